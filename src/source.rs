//! A file as read from the work tree, the index or a base tree, with the
//! line index that turns byte offsets into 1-based line/column spans.

use crate::finding::Span;

/// Files larger than this are not parsed: they get a `lint/unreadable-file`
/// finding instead (a migration or a snapshot of this size is a mistake).
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// Why a file's bytes could not be turned into text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// Contains a NUL byte at this offset: a binary file.
    Binary { offset: usize },
    /// Not valid UTF-8 from this offset on.
    NotUtf8 { offset: usize },
    /// Larger than [`MAX_FILE_BYTES`].
    TooLarge { size: usize },
}

impl Unreadable {
    pub fn describe(&self) -> String {
        match self {
            Unreadable::Binary { .. } => "binary file (contains a NUL byte)".into(),
            Unreadable::NotUtf8 { .. } => "not valid UTF-8".into(),
            Unreadable::TooLarge { size } => format!(
                "{size} bytes, larger than the {} MiB trm-ci reads",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        }
    }
}

/// One artifact file: its repository-relative path (always `/`-separated),
/// its bytes, its git mode where known, and its text when it is text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub bytes: Vec<u8>,
    /// 0o100755 / 0o100644 as git would record it; None when unknown.
    pub mode: Option<u32>,
    text: Result<String, Unreadable>,
    line_starts: Vec<usize>,
    /// All-ASCII text: a column is a byte distance, no character counting.
    ascii: bool,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, bytes: Vec<u8>, mode: Option<u32>) -> SourceFile {
        let text = decode(&bytes);
        let line_starts = match &text {
            Ok(t) => line_starts(t),
            Err(_) => vec![0],
        };
        let ascii = text.as_ref().map(|t| t.is_ascii()).unwrap_or(false);
        SourceFile { path: path.into(), bytes, mode, text, line_starts, ascii }
    }

    /// The file's text, or why it has none.
    pub fn text(&self) -> Result<&str, &Unreadable> {
        self.text.as_ref().map(|s| s.as_str())
    }

    /// The text, or "" for unreadable files (their finding is reported once, by the engine).
    pub fn text_or_empty(&self) -> &str {
        self.text.as_deref().unwrap_or("")
    }

    pub fn is_executable(&self) -> Option<bool> {
        self.mode.map(|m| m & 0o111 != 0)
    }

    /// 1-based (line, column) of a byte offset; columns count characters.
    /// Offsets past the end clamp to the end; offsets inside a character
    /// clamp to its start.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let text = self.text_or_empty();
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = if self.ascii { offset - start } else { text[start..offset].chars().count() };
        (line as u32 + 1, col as u32 + 1)
    }

    /// The span of the bytes `start..end`.
    pub fn span(&self, start: usize, end: usize) -> Span {
        let end = end.max(start);
        let (line, col) = self.line_col(start);
        let (end_line, end_col) = self.line_col(end);
        Span { line, col, end_line, end_col, offset: start, len: end - start }
    }

    /// The span of a whole 1-based line (without its line break).
    pub fn line_span(&self, line: u32) -> Span {
        let idx = (line.max(1) as usize - 1).min(self.line_starts.len() - 1);
        let start = self.line_starts[idx];
        let text = self.text_or_empty();
        let end = text[start..].find('\n').map(|i| start + i).unwrap_or(text.len());
        let end = if end > start && text.as_bytes()[end - 1] == b'\r' { end - 1 } else { end };
        self.span(start, end)
    }

    /// Byte offset where a 1-based line starts.
    pub fn line_start(&self, line: u32) -> usize {
        let idx = (line.max(1) as usize - 1).min(self.line_starts.len() - 1);
        self.line_starts[idx]
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

fn decode(bytes: &[u8]) -> Result<String, Unreadable> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Unreadable::TooLarge { size: bytes.len() });
    }
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(Unreadable::Binary { offset });
    }
    match std::str::from_utf8(bytes) {
        // A UTF-8 byte-order mark is tolerated and dropped would shift every
        // offset: keep it, parsers treat it as whitespace.
        Ok(s) => Ok(s.to_string()),
        Err(e) => Err(Unreadable::NotUtf8 { offset: e.valid_up_to() }),
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_one_based_and_counts_chars() {
        let f = SourceFile::new("a.sql", "ab\nçd\n".as_bytes().to_vec(), None);
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(5), (2, 2)); // after the two-byte ç
        assert_eq!(f.line_col(999), (3, 1));
    }

    #[test]
    fn unreadable_files_are_classified() {
        assert!(matches!(SourceFile::new("x", vec![b'a', 0], None).text(), Err(Unreadable::Binary { offset: 1 })));
        assert!(matches!(SourceFile::new("x", vec![b'a', 0xff], None).text(), Err(Unreadable::NotUtf8 { offset: 1 })));
    }
}
