//! What a file that is not LTSV looks like, said once for the file rather
//! than as the same error on every line: an Apache combined log, JSON, or
//! LTSV whose fields are separated by spaces.

/// Lines looked at from the start of each file.
const SAMPLE: u32 = 16;

/// Of those, how many must fail, with none written, for the file to be
/// named as not LTSV.
const FAILING: u32 = 12;

/// The start of one file, watched line by line.
#[derive(Debug, Default)]
pub(crate) struct Looks {
    lines: u32,
    failed: u32,
    /// What the first failing line looked like.
    shape: Option<&'static str>,
    told: bool,
}

impl Looks {
    /// Counts `line` of the file, failed or not; once the start of the file
    /// has shown it is not LTSV, gives what to say of it, once.
    pub(crate) fn line(&mut self, line: &[u8], failed: bool) -> Option<&'static str> {
        if self.lines >= SAMPLE || self.told {
            return None;
        }
        self.lines += 1;
        if failed {
            self.failed += 1;
            self.shape.get_or_insert_with(|| shape(line));
        } else if self.lines > self.failed {
            // A line converted: whatever the others are, this is LTSV.
            self.told = true;
            return None;
        }
        let decided = self.failed >= FAILING;
        self.told |= decided;
        self.shape.filter(|_| decided)
    }

    /// At the end of the file: what to say of a short file whose every
    /// line failed, if it was not said already.
    pub(crate) fn end(&mut self) -> Option<&'static str> {
        let all_failed = self.lines >= 3 && self.failed == self.lines;
        let said = std::mem::replace(&mut self.told, true);
        self.shape.filter(|_| all_failed && !said)
    }
}

/// What a line that failed looks like.
fn shape(line: &[u8]) -> &'static str {
    let line = line.trim_ascii();
    let words: Vec<&[u8]> = line.splitn(5, |&b| b == b' ').collect();
    if let [_, _, _, time, rest] = words.as_slice()
        && time.starts_with(b"[")
        && (rest.contains(&b'"') || rest.starts_with(b"+") || rest.starts_with(b"-"))
    {
        return "it looks like Apache's or nginx's common or combined log format, which has no \
                labels: have the server write LTSV (see docs/configuration.md)";
    }
    if line.starts_with(b"{") {
        return "it looks like JSON lines; ltsv2json reads LTSV";
    }
    if !line.contains(&b'\t')
        && line.windows(2).any(|w| w[0] == b' ' && w[1] != b' ')
        && line.contains(&b':')
    {
        return "its fields seem to be separated by spaces, where LTSV has TABs";
    }
    "its lines have no TAB-separated label:value fields"
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMBINED: &[u8] = b"192.0.2.1 - - [28/Jun/2021:17:22:48 +0900] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl/8.5.0\"\n";

    #[test]
    fn a_file_whose_first_lines_fail_is_named_once_for_its_look() {
        let mut looks = Looks::default();
        let said: Vec<_> = (0..40).filter_map(|_| looks.line(COMBINED, true)).collect();
        assert_eq!(said.len(), 1);
        assert!(said[0].starts_with("it looks like Apache's or nginx's common or combined"));
        assert_eq!(looks.end(), None, "said once");
    }

    #[test]
    fn a_file_with_a_line_that_converts_is_ltsv() {
        let mut looks = Looks::default();
        assert_eq!(looks.line(b"status:200\n", false), None);
        for _ in 0..40 {
            assert_eq!(looks.line(COMBINED, true), None);
        }
        assert_eq!(looks.end(), None);
        // Fewer failing lines than the sample needs: only at the end.
        let mut looks = Looks::default();
        for _ in 0..FAILING - 1 {
            assert_eq!(looks.line(COMBINED, true), None);
        }
        assert!(looks.end().is_some());
        let mut short = Looks::default();
        short.line(b"a b\n", true);
        short.line(b"a b\n", true);
        assert_eq!(short.end(), None, "two lines say too little");
    }

    #[test]
    fn each_look_is_told_apart() {
        let spaced = b"time:[28/Jun/2021:17:22:48 +0900] host:192.0.2.1 status:200";
        assert!(shape(spaced).contains("separated by spaces"));
        assert!(shape(b"{\"status\":200}").contains("JSON"));
        assert!(shape(COMBINED).contains("combined"));
        let common = b"192.0.2.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326";
        assert!(shape(common).contains("combined"));
        assert_eq!(
            shape(b"hello"),
            "its lines have no TAB-separated label:value fields"
        );
    }
}
