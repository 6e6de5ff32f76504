//! What one task may hold in memory, whatever its object: the bounds that
//! make a task's peak memory independent of the object's size and of the
//! number of hours it spans.

/// S3's smallest part of a multipart upload, but for the last.
pub const MIN_PART_BYTES: usize = 5 * 1024 * 1024;

/// The bounds of one task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Hours written at once. Past it, the hour written least recently is
    /// finished, and a line of that hour that comes later starts its next
    /// object (`-000002`, …).
    pub open_hours: usize,
    /// Encoded bytes an object gathers before they are uploaded as a part.
    pub part_bytes: usize,
    /// Parts being uploaded at once.
    pub uploads_in_flight: usize,
    /// The longest line, its line end included. A longer one is not a log
    /// line (Firehose takes no record over 1,000 KiB): the task fails.
    pub max_line: usize,
    /// Compressed bytes of the source fed to the decoder at a time, so
    /// that what one feed can decompress to stays small.
    pub feed_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            open_hours: 32,
            part_bytes: MIN_PART_BYTES,
            uploads_in_flight: 4,
            max_line: 1_024_000,
            feed_bytes: 16 * 1024,
        }
    }
}

impl Limits {
    /// The most the task's buffers hold: every open hour's part and the
    /// failed lines' part filling, the parts in flight, and the longest
    /// line. Each compressor adds about 300 KB of its own state.
    pub fn buffered_bytes(&self) -> usize {
        (self.open_hours + 1 + self.uploads_in_flight) * self.part_bytes + self.max_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_bounds_fit_a_small_function() {
        let limits = Limits::default();
        assert!(limits.part_bytes >= MIN_PART_BYTES);
        // 37 parts of 5 MiB and a line: about 195 MiB at worst.
        assert!(limits.buffered_bytes() < 200 * 1024 * 1024);
    }

    #[test]
    fn what_a_task_holds_is_counted_exactly() {
        // S3's documented minimum part size.
        assert_eq!(MIN_PART_BYTES, 5_242_880);
        // 37 parts of 5 MiB and a line of 1,024,000 bytes.
        assert_eq!(Limits::default().buffered_bytes(), 195_010_560);
        let limits = Limits {
            open_hours: 2,
            part_bytes: 10,
            uploads_in_flight: 3,
            max_line: 7,
            feed_bytes: 1,
        };
        // The two open hours' parts, the failed lines' part, three in
        // flight, and a line.
        assert_eq!(limits.buffered_bytes(), (2 + 1 + 3) * 10 + 7);
    }
}
