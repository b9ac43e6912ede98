//! Byte offsets to 1-based line and column, for error messages.

/// The 1-based line and column (in characters) of byte `offset` in `source`.
/// An offset past the end, or inside a character, is clamped.
pub(crate) fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Line starts of a source, for many look-ups: each costs a binary search
/// and the length of its line, not a scan from the start of the file.
pub(crate) struct Lines<'a> {
    source: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(source: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Lines { source, starts }
    }

    /// As [`line_column`].
    pub(crate) fn line_column(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        (line, self.source[start..offset].chars().count() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::{Lines, line_column};

    #[test]
    fn lines_agree_with_line_column() {
        let src = "a = 1\nbé = 2\n\nc";
        let lines = Lines::new(src);
        for offset in 0..=src.len() + 2 {
            assert_eq!(
                lines.line_column(offset),
                line_column(src, offset),
                "{offset}"
            );
        }
    }

    #[test]
    fn counts_lines_and_characters() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 6), (2, 1));
        // The space after 'é' is at byte 9 but column 3: 'é' is two bytes.
        assert_eq!(line_column(src, 9), (2, 3));
        assert_eq!(line_column(src, 999), (3, 1));
    }
}
