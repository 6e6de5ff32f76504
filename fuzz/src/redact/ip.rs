//! The `ip` rule, written again from its documentation: each address of a
//! list truncated to a prefix.

use super::query::MARKER;

/// `value`, a `,`-separated list, with each item's address truncated: the
/// blanks (spaces, TABs) around items, a `for=` (any case) and quotes
/// kept; `-`, `unknown` and obfuscated nodes kept; addresses, their ports
/// and zones dropped and IPv4-mapped ones read as IPv4, truncated to
/// /`v4` or /`v6`; anything else `REDACTED`.
pub(super) fn truncate(value: &[u8], v4: u8, v6: u8) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, item) in value.split(|&b| b == b',').enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let blank = |b: &u8| matches!(b, b' ' | b'\t');
        let start = item.iter().position(|b| !blank(b)).unwrap_or(item.len());
        let end = item
            .iter()
            .rposition(|b| !blank(b))
            .map_or(start, |last| last + 1);
        out.extend_from_slice(&item[..start]);
        let element = &item[start..end];
        if element.is_empty() {
            out.extend_from_slice(&item[end..]);
            continue;
        }
        let (name, node) = match element.get(..4) {
            Some(name) if name.eq_ignore_ascii_case(b"for=") => element.split_at(4),
            _ => (&[][..], element),
        };
        out.extend_from_slice(name);
        match node {
            [b'"', quoted @ .., b'"'] => {
                out.push(b'"');
                out.extend(network(quoted, v4, v6));
                out.push(b'"');
            }
            _ => out.extend(network(node, v4, v6)),
        }
        out.extend_from_slice(&item[end..]);
    }
    out
}

/// `text` read by std's strict parser.
fn parse<T: std::str::FromStr>(text: &[u8]) -> Option<T> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// What a node becomes.
fn network(node: &[u8], v4: u8, v6: u8) -> Vec<u8> {
    let obfuscated = |text: &[u8]| {
        text.len() > 1
            && text[0] == b'_'
            && text[1..]
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    let port = |text: &[u8]| {
        ((1..=5).contains(&text.len()) && text.iter().all(u8::is_ascii_digit)) || obfuscated(text)
    };
    let (name, node_port) = match node.iter().position(|&b| b == b':') {
        Some(colon) => (&node[..colon], Some(&node[colon + 1..])),
        None => (node, None),
    };
    let anonymous =
        (name.eq_ignore_ascii_case(b"unknown") || obfuscated(name)) && node_port.is_none_or(port);
    if node == b"-" || anonymous {
        return node.to_vec();
    }
    let v6_address = |text: &[u8]| -> Option<std::net::IpAddr> {
        let text = text.split(|&b| b == b'%').next().unwrap_or_default();
        let address: std::net::Ipv6Addr = parse(text)?;
        Some(match address.to_ipv4_mapped() {
            Some(mapped) => mapped.into(),
            None => address.into(),
        })
    };
    let colons = node.iter().filter(|&&b| b == b':').count();
    let address = match node {
        [b'[', rest @ ..] => rest.iter().position(|&b| b == b']').and_then(|close| {
            let after = &rest[close + 1..];
            let fine = after.is_empty() || after.strip_prefix(b":").is_some_and(port);
            v6_address(&rest[..close]).filter(|_| fine)
        }),
        _ if colons == 0 => parse(node).map(std::net::IpAddr::V4),
        _ if colons == 1 => node_port
            .filter(|p| port(p))
            .and_then(|_| parse(name).map(std::net::IpAddr::V4)),
        _ => v6_address(node),
    };
    match address {
        Some(std::net::IpAddr::V4(address)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(v4)).unwrap_or(0);
            std::net::Ipv4Addr::from_bits(address.to_bits() & mask)
                .to_string()
                .into_bytes()
        }
        Some(std::net::IpAddr::V6(address)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(v6)).unwrap_or(0);
            std::net::Ipv6Addr::from_bits(address.to_bits() & mask)
                .to_string()
                .into_bytes()
        }
        None => MARKER.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_examples() {
        let ip =
            |value: &str, v4, v6| String::from_utf8(truncate(value.as_bytes(), v4, v6)).unwrap();
        assert_eq!(
            ip(
                "203.0.113.195, 2001:db8:85a3:8d3:1319:8a2e:370:7348, 150.172.238.178",
                24,
                48
            ),
            "203.0.113.0, 2001:db8:85a3::, 150.172.238.0"
        );
        assert_eq!(
            ip("For=\"[2001:db8:cafe::17]:4711\"", 24, 48),
            "For=\"2001:db8:cafe::\""
        );
        assert_eq!(
            ip("[fe80::1%25eth0]:8080,::ffff:192.0.2.77", 24, 48),
            "fe80::,192.0.2.0"
        );
        assert_eq!(
            ip("\"unknown:4711\",_hidden, -,host.example,\"", 24, 48),
            "\"unknown:4711\",_hidden, -,REDACTED,REDACTED"
        );
        assert_eq!(ip("192.0.2.77:5123 ,\t", 13, 61), "192.0.0.0 ,\t");
        assert_eq!(
            ip("for=,\"\",for=\"\"", 24, 48),
            "for=REDACTED,\"REDACTED\",for=\"REDACTED\""
        );
    }
}
