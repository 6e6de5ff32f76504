//! HTTP request lines (`%r`, `$request`): `METHOD SP TARGET SP PROTOCOL`,
//! split into the parts `LTSV_SPLIT_REQUEST` adds as columns.

use memchr::memchr;

/// The labels request splitting adds, in order.
pub const REQUEST_PARTS: [&str; 4] = ["method", "path", "query", "protocol"];

/// The method, path (the target up to `?`), query (after `?`, if there is
/// one) and protocol of `request`, in the order of [`REQUEST_PARTS`]; `None`
/// when it is not three non-empty words separated by single spaces
/// (`BOGUS`, Apache's `-` for a 408).
pub(crate) fn split(request: &[u8]) -> Option<[Option<&[u8]>; 4]> {
    let mut words = request.split(|&b| b == b' ');
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some(method), Some(target), Some(protocol), None)
            if !method.is_empty() && !target.is_empty() && !protocol.is_empty() =>
        {
            let (path, query) = match memchr(b'?', target) {
                Some(q) => (&target[..q], Some(&target[q + 1..])),
                None => (target, None),
            };
            Some([Some(method), Some(path), query, Some(protocol)])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_words_split_and_the_target_splits_at_its_first_question_mark() {
        assert_eq!(
            split(b"GET /a?b=1?c HTTP/1.1"),
            Some([
                Some(&b"GET"[..]),
                Some(b"/a"),
                Some(b"b=1?c"),
                Some(b"HTTP/1.1")
            ])
        );
        assert_eq!(
            split(b"GET / HTTP/1.1"),
            Some([Some(&b"GET"[..]), Some(b"/"), None, Some(b"HTTP/1.1")])
        );
        assert_eq!(
            split(b"POST /a? h2"),
            Some([Some(&b"POST"[..]), Some(b"/a"), Some(b""), Some(b"h2")])
        );
    }

    #[test]
    fn other_shapes_do_not_split() {
        for bad in [
            &b"BOGUS"[..],
            b"-",
            b"GET /",
            b"GET  / HTTP/1.1",
            b"GET / HTTP/1.1 x",
            b" / HTTP/1.1",
            b"GET / ",
            b"",
        ] {
            assert_eq!(split(bad), None, "{:?}", bad.escape_ascii().to_string());
        }
    }
}
