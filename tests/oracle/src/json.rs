//! Reading the JSON the product writes, member by member.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// A JSON object's members in the order written, repeated keys included,
/// which `serde_json::Map` (sorted by key, one value per key) would lose.
/// Numbers are read from their text with the standard library, which is
/// exact, where serde_json's own float reading can be a unit in the last
/// place off.
#[derive(Clone, Debug, PartialEq)]
pub struct Members(pub Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Members, D::Error> {
        struct MembersVisitor;

        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some((key, raw)) = map.next_entry::<String, Box<RawValue>>()? {
                    members.push((key, exact(raw.get()).map_err(serde::de::Error::custom)?));
                }
                Ok(Members(members))
            }
        }

        deserializer.deserialize_map(MembersVisitor)
    }
}

/// A JSON value from its text, numbers read exactly.
fn exact(text: &str) -> Result<Value, serde_json::Error> {
    if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        if let Ok(integer) = text.parse::<i64>() {
            return Ok(Value::from(integer));
        }
        if let Ok(float) = text.parse::<f64>() {
            return Ok(Value::from(float));
        }
    }
    serde_json::from_str(text)
}

/// Checks one JSON line the product wrote for `line` (with its `\n`)
/// against the members the rules give, and panics with the rule broken:
/// UTF-8, one line ending in `\n`, no raw control byte, one JSON object,
/// no key twice, and exactly the expected members in order.
pub fn check_object(expected: &[(String, Value)], written: &[u8], line: &[u8]) {
    let shown = || line.escape_ascii().to_string();
    let text = std::str::from_utf8(written)
        .unwrap_or_else(|e| panic!("output is not UTF-8 ({e}) for line {}", shown()));
    let Some(body) = text.strip_suffix('\n') else {
        panic!(
            "output {text:?} does not end in a newline, line {}",
            shown()
        );
    };
    assert!(
        body.bytes().all(|b| b >= 0x20),
        "raw control byte or line break inside {text:?}, line {}",
        shown()
    );
    let Members(members) = serde_json::from_str(body).unwrap_or_else(|e| {
        panic!(
            "output {text:?} is not one JSON object: {e}; line {}",
            shown()
        )
    });
    let mut keys: Vec<&str> = members.iter().map(|(key, _)| key.as_str()).collect();
    keys.sort_unstable();
    let repeated = keys.windows(2).find(|pair| pair[0] == pair[1]);
    assert!(
        repeated.is_none(),
        "key {:?} appears twice in {text:?}: distinct labels must give distinct keys; line {}",
        repeated.map(|pair| pair[0]),
        shown()
    );
    assert_eq!(
        members,
        expected,
        "members differ from the rules for line {}",
        shown()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_keep_their_order_and_repeats() {
        let Members(members) = serde_json::from_str(r#"{"b":1,"a":null,"b":"x"}"#).unwrap();
        assert_eq!(
            members,
            [
                ("b".to_owned(), Value::from(1)),
                ("a".to_owned(), Value::Null),
                ("b".to_owned(), Value::from("x"))
            ]
        );
    }

    #[test]
    fn numbers_read_exactly_and_other_values_as_json() {
        // Shortest round-trip texts of spread-out doubles, as the product
        // writes them, read back to the same double.
        let mut bits: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..10_000 {
            bits = bits.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let x = f64::from_bits(bits >> 2);
            if x.is_finite() {
                assert_eq!(exact(&format!("{x:?}")).unwrap(), Value::from(x));
            }
        }
        assert_eq!(exact("-12").unwrap(), Value::from(-12));
        assert_eq!(exact("1e3").unwrap(), Value::from(1000.0));
        assert_eq!(exact("\"7\"").unwrap(), Value::from("7"));
        assert_eq!(exact("true").unwrap(), Value::from(true));
        assert!(exact("-x").is_err());
    }

    #[test]
    fn the_check_catches_each_broken_rule() {
        let expected = [("a".to_owned(), Value::from("1"))];
        check_object(&expected, b"{\"a\":\"1\"}\n", b"a:1");
        for written in [
            &b"{\"a\":\"1\"}"[..],
            b"{\"a\":\"1\"}\n\n",
            b"{\"a\":\"1\t\"}\n",
            b"{\"a\":\"1\",\"a\":\"1\"}\n",
            b"{\"a\":1}\n",
            b"[\"a\"]\n",
            b"{\"a\":\"\xff\"}\n",
        ] {
            let caught =
                std::panic::catch_unwind(|| check_object(&expected, written, b"a:1")).is_err();
            assert!(caught, "{}", written.escape_ascii());
        }
    }
}
