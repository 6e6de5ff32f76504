//! The column a label is read into, as Athena and Iceberg name columns.

/// The column a label is read into: lowercase, with characters outside
/// `[a-z0-9_]` made `_`, as Athena names columns.
pub(crate) fn column_name(label: &str) -> String {
    label
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_') => c,
            _ => '_',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_with_underscores() {
        assert_eq!(column_name("X-Forwarded-For"), "x_forwarded_for");
        assert_eq!(column_name("a.b"), "a_b");
        assert_eq!(column_name("UA"), "ua");
        assert_eq!(column_name("req_time2"), "req_time2");
        assert_eq!(column_name("ラベル"), "___");
    }
}
