//! Client addresses, and lists of them, truncated to a network prefix.
//!
//! For labels holding a client address or a list of them: Apache's `%h`
//! and `%a`, nginx's `$remote_addr`, `X-Forwarded-For`, nginx's
//! `$proxy_add_x_forwarded_for`, the nodes of an RFC 7239 `Forwarded`
//! header. The value is a list separated by `,`: the separators, empty
//! items, and the spaces and tabs around items are kept byte for byte
//! (`a, b` stays `x, y`, `a,b` stays `x,y`). Each item becomes, with the
//! default prefixes /24 for IPv4 and /48 for IPv6:
//!
//! | item | becomes |
//! |---|---|
//! | an IPv4 address, `192.0.2.77` | its network address, `192.0.2.0` |
//! | an IPv4 address and port, `192.0.2.77:5123` | `192.0.2.0`: the port is dropped, as a source port and a time can single out a subscriber behind carrier-grade NAT |
//! | an IPv6 address, `2001:db8:1:2::77`, `[2001:db8:1:2::77]`, `[2001:db8:1:2::77]:443` | `2001:db8:1::`, in RFC 5952 form, without brackets or port |
//! | an IPv6 address with a zone, `fe80::1%eth0` | `fe80::`: the zone is dropped |
//! | an IPv4-mapped IPv6 address, `::ffff:192.0.2.77` | `192.0.2.0`, truncated as the IPv4 address it is |
//! | a quoted `Forwarded` node, `"[2001:db8:cafe::17]:4711"` | `"2001:db8:cafe::"`, quotes kept |
//! | a node after `for=` (any case), `for=192.0.2.43` | `for=192.0.2.0` |
//! | `unknown` (any case), or an obfuscated node (RFC 7239 §6.3) such as `_hidden` or `_gazonk:_port1` | kept |
//! | `-`, a server's way of logging no value | kept |
//! | anything else: a host name, a malformed address or port | `REDACTED` |
//!
//! Every bit beyond the prefix is zero, so no truncated address says more
//! than its network. Prefixes longer than an address are taken as the whole
//! address.

use std::io::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use memchr::memchr;

/// The prefix lengths kept: IPv4 /`v4`, IPv6 /`v6`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Prefixes {
    /// The leading bits of an IPv4 address kept, 0 to 32.
    pub(crate) v4: u8,
    /// The leading bits of an IPv6 address kept, 0 to 128.
    pub(crate) v6: u8,
}

impl Prefixes {
    /// IPv4 /24 and IPv6 /48, the prefixes Google Analytics' IP
    /// anonymization keeps: a network, not a subscriber.
    pub(crate) const DEFAULT: Prefixes = Prefixes { v4: 24, v6: 48 };
}

/// What replaces an item that cannot be truncated: the same marker as
/// `query::MARKER`, kept apart because this module comes first in the map.
const REDACTED: &[u8] = b"REDACTED";

/// Appends `value` to `out` with each address in its `,`-separated list
/// truncated to `prefixes`, as the module documentation describes. Any bytes
/// are accepted.
pub(crate) fn truncate(value: &[u8], prefixes: Prefixes, out: &mut Vec<u8>) {
    out.reserve(value.len());
    let mut rest = value;
    while let Some(comma) = memchr(b',', rest) {
        item(&rest[..comma], prefixes, out);
        out.push(b',');
        rest = &rest[comma + 1..];
    }
    item(rest, prefixes, out);
}

/// Writes one list item, its surrounding blanks kept.
fn item(item: &[u8], prefixes: Prefixes, out: &mut Vec<u8>) {
    let start = item
        .iter()
        .position(|&b| !is_blank(b))
        .unwrap_or(item.len());
    let end = item
        .iter()
        .rposition(|&b| !is_blank(b))
        .map_or(start, |last| last + 1);
    out.extend_from_slice(&item[..start]);
    let element = &item[start..end];
    if !element.is_empty() {
        // RFC 7239 parameter names are case-insensitive.
        let (name, node) = match element.get(..4) {
            Some(name) if name.eq_ignore_ascii_case(b"for=") => element.split_at(4),
            _ => (&[][..], element),
        };
        out.extend_from_slice(name);
        match node {
            [b'"', quoted @ .., b'"'] => {
                out.push(b'"');
                write_node(quoted, prefixes, out);
                out.push(b'"');
            }
            _ => write_node(node, prefixes, out),
        }
    }
    out.extend_from_slice(&item[end..]);
}

/// Writes one node: an address truncated, a name that identifies no one
/// kept, anything else replaced.
fn write_node(node: &[u8], prefixes: Prefixes, out: &mut Vec<u8>) {
    if node == b"-" || is_anonymous(node) {
        out.extend_from_slice(node);
        return;
    }
    match address(node) {
        Some(Address::V4(address)) => {
            let [a, b, c, d] = (address.to_bits() & mask_v4(prefixes.v4)).to_be_bytes();
            push_decimal(a, out);
            for octet in [b, c, d] {
                out.push(b'.');
                push_decimal(octet, out);
            }
        }
        Some(Address::V6(address)) => {
            let network = Ipv6Addr::from_bits(address.to_bits() & mask_v6(prefixes.v6));
            // A network is never IPv4-mapped (those are `Address::V4`), so
            // Display writes plain RFC 5952 text; and writing to a Vec
            // cannot fail.
            let _ = write!(out, "{network}");
        }
        None => out.extend_from_slice(REDACTED),
    }
}

/// An address read from a node.
enum Address {
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

/// The address of a node, its brackets, zone and port dropped; `None` when
/// it is not one.
fn address(node: &[u8]) -> Option<Address> {
    let v6 = if let Some(bracketed) = node.strip_prefix(b"[") {
        let close = memchr(b']', bracketed)?;
        let after = &bracketed[close + 1..];
        if !after.is_empty() && !after.strip_prefix(b":").is_some_and(is_port) {
            return None;
        }
        &bracketed[..close]
    } else {
        match memchr(b':', node) {
            None => return parse(node).map(Address::V4),
            // One colon is an IPv4 address and port: IPv6 text has two.
            Some(colon) if memchr(b':', &node[colon + 1..]).is_none() => {
                return if is_port(&node[colon + 1..]) {
                    parse(&node[..colon]).map(Address::V4)
                } else {
                    None
                };
            }
            Some(_) => node,
        }
    };
    let without_zone = memchr(b'%', v6).map_or(v6, |zone| &v6[..zone]);
    let address: Ipv6Addr = parse(without_zone)?;
    // Truncated at /48, a mapped address would keep all of its IPv4 address.
    Some(match address.to_ipv4_mapped() {
        Some(v4) => Address::V4(v4),
        None => Address::V6(address),
    })
}

/// `text` parsed by std's strict parser (no leading zeros, no shorthands).
fn parse<T: FromStr>(text: &[u8]) -> Option<T> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// Whether `node` is `unknown` or an obfuscated identifier, with or without
/// a port (RFC 7239 §6.2 and §6.3): a proxy's way of saying who without
/// saying who.
fn is_anonymous(node: &[u8]) -> bool {
    let (name, port) = match memchr(b':', node) {
        Some(colon) => (&node[..colon], Some(&node[colon + 1..])),
        None => (node, None),
    };
    (name.eq_ignore_ascii_case(b"unknown") || is_obfuscated(name)) && port.is_none_or(is_port)
}

/// RFC 7239's `obfnode` and `obfport`: `_` and one or more of ALPHA, DIGIT,
/// `.`, `_`, `-`.
fn is_obfuscated(text: &[u8]) -> bool {
    match text {
        [b'_', rest @ ..] => {
            !rest.is_empty()
                && rest
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        }
        _ => false,
    }
}

/// RFC 7239's `node-port`: one to five digits, or obfuscated.
fn is_port(text: &[u8]) -> bool {
    ((1..=5).contains(&text.len()) && text.iter().all(u8::is_ascii_digit)) || is_obfuscated(text)
}

/// The spaces and tabs HTTP allows around list items.
fn is_blank(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t')
}

/// The first `bits` bits set, at most 32.
fn mask_v4(bits: u8) -> u32 {
    u32::MAX
        .checked_shl(32 - u32::from(bits.min(32)))
        .unwrap_or(0)
}

/// The first `bits` bits set, at most 128.
fn mask_v6(bits: u8) -> u128 {
    u128::MAX
        .checked_shl(128 - u32::from(bits.min(128)))
        .unwrap_or(0)
}

/// Writes `byte` in decimal without leading zeros, as dotted IPv4 text has it.
fn push_decimal(byte: u8, out: &mut Vec<u8>) {
    if byte >= 100 {
        out.push(b'0' + byte / 100);
    }
    if byte >= 10 {
        out.push(b'0' + byte / 10 % 10);
    }
    out.push(b'0' + byte % 10);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn truncated(value: &[u8], prefixes: Prefixes) -> Vec<u8> {
        let mut out = b"kept".to_vec();
        truncate(value, prefixes, &mut out);
        assert!(out.starts_with(b"kept"));
        out.split_off(4)
    }

    #[test]
    fn real_header_shapes() {
        let cases: &[(&str, &str)] = &[
            ("192.0.2.77", "192.0.2.0"),
            ("192.0.2.255", "192.0.2.0"),
            ("0.0.0.0", "0.0.0.0"),
            ("255.255.255.255", "255.255.255.0"),
            ("10.1.2.3", "10.1.2.0"),
            // X-Forwarded-For as proxies append to it, with and without spaces.
            (
                "203.0.113.195, 2001:db8:85a3:8d3:1319:8a2e:370:7348, 150.172.238.178",
                "203.0.113.0, 2001:db8:85a3::, 150.172.238.0",
            ),
            ("192.0.2.77,198.51.100.23", "192.0.2.0,198.51.100.0"),
            (
                "192.0.2.77 ,\t198.51.100.23  ",
                "192.0.2.0 ,\t198.51.100.0  ",
            ),
            // Ports, as Azure Application Gateway and some CDNs add them.
            ("192.0.2.77:5123", "192.0.2.0"),
            (
                "192.0.2.77:5123, 198.51.100.23:80",
                "192.0.2.0, 198.51.100.0",
            ),
            ("2001:db8:1:2::77", "2001:db8:1::"),
            ("2001:DB8:0001:0002:0000:0000:0000:0077", "2001:db8:1::"),
            ("[2001:db8::1]", "2001:db8::"),
            ("[2001:db8:1:2::1]:443", "2001:db8:1::"),
            ("::1", "::"),
            ("::", "::"),
            ("fe80::1%eth0", "fe80::"),
            ("[fe80::1%25eth0]:8080", "fe80::"),
            ("::ffff:192.0.2.77", "192.0.2.0"),
            ("[::ffff:192.0.2.77]:80", "192.0.2.0"),
            ("::ffff:c000:24d", "192.0.2.0"),
            // IPv4-compatible addresses are plain IPv6 addresses.
            ("::192.0.2.77", "::"),
            // RFC 7239's examples.
            ("\"192.0.2.43:47011\"", "\"192.0.2.0\""),
            ("\"[2001:db8:cafe::17]:4711\"", "\"2001:db8:cafe::\""),
            (
                "for=192.0.2.43, for=198.51.100.17",
                "for=192.0.2.0, for=198.51.100.0",
            ),
            (
                "For=\"[2001:db8:cafe::17]:4711\"",
                "For=\"2001:db8:cafe::\"",
            ),
            ("for=\"_gazonk\"", "for=\"_gazonk\""),
            ("FOR=unknown", "FOR=unknown"),
            ("for=", "for=REDACTED"),
            ("for=\"\"", "for=\"REDACTED\""),
            ("\"", "REDACTED"),
            ("\"192.0.2.43", "REDACTED"),
            ("unknown", "unknown"),
            ("Unknown, 192.0.2.77", "Unknown, 192.0.2.0"),
            ("\"unknown:4711\"", "\"unknown:4711\""),
            ("_hidden", "_hidden"),
            ("_SEVKISEK", "_SEVKISEK"),
            ("_gazonk:_port1", "_gazonk:_port1"),
            ("_hidden:4711", "_hidden:4711"),
            ("_a.b-c_d", "_a.b-c_d"),
            ("_", "REDACTED"),
            ("_hidden:", "REDACTED"),
            ("_hidden:_", "REDACTED"),
            ("_hidden:123456", "REDACTED"),
            ("_hid den", "REDACTED"),
            ("_hidden/x", "REDACTED"),
            // Host names, with HostnameLookups on.
            ("crawl-66-249-66-1.googlebot.com", "REDACTED"),
            ("localhost", "REDACTED"),
            ("client.example.com, 192.0.2.77", "REDACTED, 192.0.2.0"),
            // Malformed addresses and ports.
            ("01.2.3.4", "REDACTED"),
            ("1.2.3", "REDACTED"),
            ("1.2.3.4.5", "REDACTED"),
            ("256.0.0.1", "REDACTED"),
            ("192.0.2.77:", "REDACTED"),
            ("192.0.2.77:99a", "REDACTED"),
            ("192.0.2.77:123456", "REDACTED"),
            ("192.0.2.77%eth0", "REDACTED"),
            ("[192.0.2.77]", "REDACTED"),
            ("[2001:db8::1", "REDACTED"),
            ("[2001:db8::1]x", "REDACTED"),
            ("[2001:db8::1]:", "REDACTED"),
            ("2001:db8::1::2", "REDACTED"),
            ("2001:db8::g", "REDACTED"),
            ("192.0.2.77 198.51.100.23", "REDACTED"),
            // Empty items, and Apache's `-` for a header not sent.
            ("", ""),
            ("  ", "  "),
            ("-", "-"),
            (" - ", " - "),
            ("192.0.2.77,", "192.0.2.0,"),
            (",192.0.2.77", ",192.0.2.0"),
            (",", ","),
            (" , ", " , "),
            (",,", ",,"),
        ];
        for &(value, expected) in cases {
            let out = truncated(value.as_bytes(), Prefixes::DEFAULT);
            assert_eq!(String::from_utf8_lossy(&out), expected, "{value:?}");
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_replaced() {
        assert_eq!(truncated(b"\xff", Prefixes::DEFAULT), b"REDACTED");
        assert_eq!(
            truncated(b"192.0.2.77,\xc0\xa8.0.1, \x80", Prefixes::DEFAULT),
            b"192.0.2.0,REDACTED, REDACTED"
        );
    }

    #[test]
    fn prefixes_from_none_to_all_and_beyond() {
        let cases: &[(u8, u8, &str)] = &[
            (0, 0, "0.0.0.0, ::"),
            (8, 16, "192.0.0.0, 2001::"),
            (16, 32, "192.0.0.0, 2001:db8::"),
            (23, 47, "192.0.2.0, 2001:db8:fffe::"),
            (25, 49, "192.0.2.128, 2001:db8:ffff:8000::"),
            (
                31,
                127,
                "192.0.2.254, 2001:db8:ffff:ffff:ffff:ffff:ffff:fffe",
            ),
            (
                32,
                128,
                "192.0.2.255, 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
            (
                33,
                129,
                "192.0.2.255, 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
            (
                255,
                255,
                "192.0.2.255, 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
        ];
        for &(v4, v6, expected) in cases {
            let out = truncated(
                b"192.0.2.255, 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                Prefixes { v4, v6 },
            );
            assert_eq!(String::from_utf8_lossy(&out), expected, "/{v4} /{v6}");
        }
        // A mapped address takes the IPv4 prefix, whatever the IPv6 one.
        assert_eq!(
            truncated(b"::ffff:192.0.2.255", Prefixes { v4: 16, v6: 128 }),
            b"192.0.0.0"
        );
    }

    /// The network of `bits` leading bits, masked bit by bit.
    fn naive_network(address: u128, width: u32, bits: u8) -> u128 {
        (0..u32::from(bits).min(width))
            .map(|bit| 1u128 << (width - 1 - bit))
            .fold(0, |mask, bit| mask | bit)
            & address
    }

    /// An address as a list item may hold it: `text`, around which `before`
    /// and `after` must be kept.
    #[derive(Debug)]
    struct Item {
        text: String,
        before: String,
        after: String,
        /// The address as a number; IPv6 unless `v4`.
        bits: u128,
        v4: bool,
    }

    impl Item {
        /// What the item must become: its address's network, written the
        /// way std writes it, mapped addresses as IPv4.
        fn expected(&self, prefixes: Prefixes) -> String {
            let v6 = Ipv6Addr::from_bits(self.bits);
            let network = match v6.to_ipv4_mapped() {
                _ if self.v4 => {
                    Ipv4Addr::from_bits(naive_network(self.bits, 32, prefixes.v4) as u32)
                        .to_string()
                }
                Some(v4) => {
                    let bits = u128::from(v4.to_bits());
                    Ipv4Addr::from_bits(naive_network(bits, 32, prefixes.v4) as u32).to_string()
                }
                None => Ipv6Addr::from_bits(naive_network(self.bits, 128, prefixes.v6)).to_string(),
            };
            format!("{}{network}{}", self.before, self.after)
        }
    }

    fn address_item() -> impl Strategy<Value = Item> {
        (
            prop_oneof![
                any::<u32>().prop_map(|v4| (u128::from(v4), true)),
                any::<u128>().prop_map(|v6| (v6, false)),
                any::<u32>().prop_map(|v4| (u128::from(v4) | 0xffff << 32, false)),
            ],
            0..4u8,
            any::<u16>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            "[ \t]{0,2}",
            "[ \t]{0,2}",
        )
            .prop_map(
                |((bits, v4), form, port, expanded, quoted, named, blank, trailing)| {
                    let address = if v4 {
                        let v4 = Ipv4Addr::from_bits(bits as u32);
                        match form {
                            0 | 1 => format!("{v4}"),
                            _ => format!("{v4}:{port}"),
                        }
                    } else {
                        let v6 = Ipv6Addr::from_bits(bits);
                        let text = if expanded {
                            v6.segments().map(|s| format!("{s:04X}")).join(":")
                        } else {
                            v6.to_string()
                        };
                        match form {
                            0 => text,
                            1 => format!("[{text}]"),
                            2 => format!("[{text}]:{port}"),
                            _ => format!("{text}%eth{port}"),
                        }
                    };
                    let quote = if quoted { "\"" } else { "" };
                    let name = if named { "for=" } else { "" };
                    Item {
                        text: format!("{blank}{name}{quote}{address}{quote}{trailing}"),
                        before: format!("{blank}{name}{quote}"),
                        after: format!("{quote}{trailing}"),
                        bits,
                        v4,
                    }
                },
            )
    }

    /// Whether `item`, once its blanks, `for=` and quotes are gone, is an
    /// address with a bit set beyond its prefix.
    fn reveals_a_host(item: &[u8], prefixes: Prefixes) -> bool {
        let text = String::from_utf8_lossy(item);
        let text = text.trim_matches([' ', '\t']);
        let text = if text.len() >= 4 && text[..4].eq_ignore_ascii_case("for=") {
            &text[4..]
        } else {
            text
        };
        let text = text.trim_matches('"');
        if let Ok(v4) = text.parse::<Ipv4Addr>() {
            let bits = u128::from(v4.to_bits());
            return naive_network(bits, 32, prefixes.v4) != bits;
        }
        if let Ok(v6) = text.parse::<Ipv6Addr>() {
            let bits = v6.to_bits();
            return v6.to_ipv4_mapped().is_some() || naive_network(bits, 128, prefixes.v6) != bits;
        }
        false
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

        /// Every address becomes its network, as masking its number bit by
        /// bit gives it, and nothing else in the list changes.
        #[test]
        fn addresses_become_their_networks(
            items in proptest::collection::vec(address_item(), 0..6),
            v4 in 0..40u8,
            v6 in 0..140u8,
        ) {
            let prefixes = Prefixes { v4, v6 };
            let value = items.iter().map(|item| item.text.as_str()).collect::<Vec<_>>().join(",");
            let expected = items.iter().map(|item| item.expected(prefixes)).collect::<Vec<_>>().join(",");
            prop_assert_eq!(
                String::from_utf8(truncated(value.as_bytes(), prefixes)).unwrap(),
                expected,
                "{:?}", value
            );
        }

        /// Whatever the bytes, the output keeps the list's separators and
        /// holds no address with a host bit set.
        #[test]
        fn no_input_reveals_a_host(
            value in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..64),
                "[0-9a-fA-F:.\\[\\]%, \t\"_=forFOR]{0,48}".prop_map(String::into_bytes),
                "(([0-9]{1,3}\\.){3}[0-9]{1,3}(:[0-9]{1,6})?|[0-9a-f:]{2,20}|, ?){0,6}"
                    .prop_map(String::into_bytes),
            ],
            v4 in 0..40u8,
            v6 in 0..140u8,
        ) {
            let prefixes = Prefixes { v4, v6 };
            let out = truncated(&value, prefixes);
            prop_assert_eq!(
                out.iter().filter(|&&b| b == b',').count(),
                value.iter().filter(|&&b| b == b',').count()
            );
            for item in out.split(|&b| b == b',') {
                prop_assert!(
                    !reveals_a_host(item, prefixes),
                    "{:?} in {:?}",
                    item.escape_ascii().to_string(),
                    value.escape_ascii().to_string()
                );
            }
        }
    }
}
