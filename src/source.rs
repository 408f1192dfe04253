//! A file as read from the work tree, the index or a base tree, with the
//! line index that turns byte offsets into 1-based line/column spans.

use std::cell::Cell;
use std::collections::BTreeMap;

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
    /// Never read: a symbolic link leading outside the repository, or not a regular file
    /// (the `lint/outside-repository` finding; see src/boundary.rs).
    Refused(crate::boundary::Refusal),
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
            Unreadable::Refused(r) => format!("{}: not read", r.describe()),
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
    index: LineIndex,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, bytes: Vec<u8>, mode: Option<u32>) -> SourceFile {
        let text = decode(&bytes);
        let index = LineIndex::new(text.as_deref().unwrap_or(""));
        SourceFile { path: path.into(), bytes, mode, text, index }
    }

    /// A path of the repository that is not read (outside it, or not a regular file).
    pub fn refused(path: impl Into<String>, why: crate::boundary::Refusal) -> SourceFile {
        SourceFile { path: path.into(), bytes: Vec::new(), mode: None, text: Err(Unreadable::Refused(why)), index: LineIndex::new("") }
    }

    /// Why the file was not read at all, if it was not.
    pub fn refusal(&self) -> Option<&crate::boundary::Refusal> {
        match &self.text {
            Err(Unreadable::Refused(r)) => Some(r),
            _ => None,
        }
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

    /// The file's line index.
    pub fn lines(&self) -> &LineIndex {
        &self.index
    }

    /// 1-based (line, column) of a byte offset; columns count characters.
    /// Offsets past the end clamp to the end; offsets inside a character
    /// clamp to its start.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        self.index.line_col(self.text_or_empty(), offset)
    }

    /// The span of the bytes `start..end`.
    pub fn span(&self, start: usize, end: usize) -> Span {
        self.index.span(self.text_or_empty(), start, end)
    }

    /// The span of `start..end`, both on the 1-based `line` (no search).
    pub fn span_on_line(&self, line: u32, start: usize, end: usize) -> Span {
        self.index.span_on_line(self.text_or_empty(), line, start, end)
    }

    /// The byte offset of the 1-based `line`'s 0-based character column
    /// `col` (the position YAML and PostgreSQL report); past the line's end
    /// it clamps to the end of the line.
    pub fn offset_at(&self, line: u32, col: usize) -> usize {
        self.index.offset_at(self.text_or_empty(), line, col)
    }

    /// The span of a whole 1-based line (without its line break).
    pub fn line_span(&self, line: u32) -> Span {
        let text = self.text_or_empty();
        let start = self.index.line_start(line);
        let end = self.index.line_end(text, line);
        self.span(start, end)
    }

    /// Byte offset where a 1-based line starts.
    pub fn line_start(&self, line: u32) -> usize {
        self.index.line_start(line)
    }

    pub fn line_count(&self) -> usize {
        self.index.line_count()
    }
}

/// The artifact files of one version of the repository, by repo-relative path.
#[derive(Debug, Clone, Default)]
pub struct Artifacts {
    pub files: BTreeMap<String, SourceFile>,
}

impl Artifacts {
    pub fn get(&self, path: &str) -> Option<&SourceFile> {
        self.files.get(path)
    }

    /// Files directly inside `dir` (not in subdirectories), sorted by path.
    pub fn children(&self, dir: &str) -> impl Iterator<Item = &SourceFile> + '_ {
        let prefix = dir_prefix(dir);
        let n = prefix.len();
        self.below(dir).filter(move |f| !f.path[n..].contains('/'))
    }

    /// Files anywhere below `dir`, sorted by path.
    pub fn below(&self, dir: &str) -> impl Iterator<Item = &SourceFile> + '_ {
        let prefix = dir_prefix(dir);
        self.files.range(prefix.clone()..).take_while(move |(p, _)| p.starts_with(&prefix)).map(|(_, f)| f)
    }

    /// Adds `f` under its path.
    pub fn insert(&mut self, f: SourceFile) {
        self.files.insert(f.path.clone(), f);
    }
}

fn dir_prefix(dir: &str) -> String {
    let d = dir.trim_end_matches('/');
    if d.is_empty() || d == "." {
        String::new()
    } else {
        format!("{d}/")
    }
}

/// The one offset <-> line/column index: where each line starts, and the
/// conversions between byte offsets and 1-based lines and columns (columns
/// count characters). In O(log n) for ASCII text, and incrementally along a
/// line otherwise: counting the characters from the line start for every
/// token of a long non-ASCII line would make parsing quadratic, so the last
/// lookup in each direction is cached and the next one on the same line
/// walks on from it.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    /// All-ASCII text: a column is a byte distance, no character counting.
    ascii: bool,
    /// (line index, offset, column) of the last offset -> column lookup.
    to_col: Cell<(usize, usize, u32)>,
    /// (line index, column, offset) of the last column -> offset lookup.
    to_offset: Cell<(usize, usize, usize)>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            starts,
            ascii: text.is_ascii(),
            to_col: Cell::new((usize::MAX, 0, 0)),
            to_offset: Cell::new((usize::MAX, 0, 0)),
        }
    }

    /// 1-based (line, column) of a byte offset of `text` (the text this
    /// index was built from).
    pub fn line_col(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = floor_boundary(text, offset);
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        (line as u32 + 1, self.col(text, line, offset))
    }

    /// The span of the bytes `start..end` of `text`.
    pub fn span(&self, text: &str, start: usize, end: usize) -> Span {
        let end = end.max(start);
        let (line, col) = self.line_col(text, start);
        let (end_line, end_col) = self.line_col(text, end);
        Span { line, col, end_line, end_col, offset: start, len: end - start }
    }

    /// The span of `start..end`, both on the 1-based `line`: for parsers
    /// that walk line by line and know it (no search).
    pub fn span_on_line(&self, text: &str, line: u32, start: usize, end: usize) -> Span {
        let len = end.saturating_sub(start);
        let idx = self.line_index(line);
        let ls = self.starts[idx];
        let le = self.line_end(text, line).max(ls);
        let (start_c, end_c) = (start.clamp(ls, le), end.clamp(ls, le));
        let (col, end_col) = if self.ascii {
            ((start_c - ls) as u32 + 1, (end_c - ls) as u32 + 1)
        } else {
            let c = self.col(text, idx, floor_boundary(text, start_c));
            (c, self.col(text, idx, floor_boundary(text, end_c)))
        };
        let line = idx as u32 + 1;
        Span { line, col, end_line: line, end_col, offset: start, len }
    }

    /// 1-based column of `offset` (a char boundary) on line index `line`.
    fn col(&self, text: &str, line: usize, offset: usize) -> u32 {
        let ls = self.starts[line];
        if self.ascii {
            return (offset - ls) as u32 + 1;
        }
        let (cl, co, cc) = self.to_col.get();
        let col = if cl == line && co <= offset {
            cc + text[co..offset].chars().count() as u32
        } else {
            text[ls..offset].chars().count() as u32 + 1
        };
        self.to_col.set((line, offset, col));
        col
    }

    /// The byte offset of the 0-based character column `col` of the 1-based
    /// `line`, clamped to the end of the line.
    pub fn offset_at(&self, text: &str, line: u32, col: usize) -> usize {
        let idx = self.line_index(line);
        let ls = self.starts[idx];
        let end = self.line_end(text, line).max(ls);
        if self.ascii {
            return (ls + col).min(end);
        }
        let (cl, cc, co) = self.to_offset.get();
        let (mut at, mut c) = if cl == idx && cc <= col { (co, cc) } else { (ls, 0) };
        while c < col {
            match text[at..end].chars().next() {
                Some(ch) => {
                    at += ch.len_utf8();
                    c += 1;
                }
                None => break,
            }
        }
        self.to_offset.set((idx, c, at));
        at
    }

    /// Byte offset where a 1-based line starts (clamped to the last line).
    pub fn line_start(&self, line: u32) -> usize {
        self.starts[self.line_index(line)]
    }

    /// Byte offset where a 1-based line's text ends (before `\n` / `\r\n`).
    pub fn line_end(&self, text: &str, line: u32) -> usize {
        let idx = self.line_index(line);
        let start = self.starts[idx];
        let end = self.starts.get(idx + 1).map(|s| s - 1).unwrap_or(text.len());
        if end > start && text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    fn line_index(&self, line: u32) -> usize {
        (line.max(1) as usize - 1).min(self.starts.len() - 1)
    }
}

/// `offset` clamped to `text` and moved back to a character boundary.
fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
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

/// How much of a text an error message quotes ([`excerpt`]).
pub const EXCERPT_CHARS: usize = 300;

/// A text for a message: trimmed; when longer than `max` characters, its first `max`
/// characters then `…`. Error messages quote [`EXCERPT_CHARS`].
pub fn excerpt(text: &str, max: usize) -> String {
    let t = text.trim();
    if t.chars().count() > max {
        format!("{}…", t.chars().take(max).collect::<String>())
    } else {
        t.to_string()
    }
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

    /// The plain definition the index must agree with, whatever order the
    /// lookups come in (the caches only shortcut it).
    fn naive(t: &str, offset: usize) -> (u32, u32) {
        let mut o = offset.min(t.len());
        while !t.is_char_boundary(o) {
            o -= 1;
        }
        let before = &t[..o];
        let line = before.matches('\n').count() as u32 + 1;
        let col = before.rsplit('\n').next().unwrap_or("").chars().count() as u32 + 1;
        (line, col)
    }

    #[test]
    fn the_cached_index_agrees_with_the_definition_in_any_order() {
        for t in ["ab\nçd é\n\nxyz", "plain ascii\nlines\n", "", "é", "a\r\nü\r\n"] {
            let f = SourceFile::new("x", t.as_bytes().to_vec(), None);
            for a in 0..=t.len() + 1 {
                for b in a..=t.len() + 1 {
                    let sp = f.span(a, b);
                    assert_eq!((sp.line, sp.col), naive(t, a), "{t:?} {a}");
                    assert_eq!((sp.end_line, sp.end_col), naive(t, b), "{t:?} {b}");
                }
            }
            for a in (0..=t.len()).rev() {
                assert_eq!(f.line_col(a), naive(t, a), "{t:?} {a} backwards");
            }
        }
    }

    #[test]
    fn columns_map_back_to_offsets() {
        let t = "ab\nçd é\r\nxyz";
        let f = SourceFile::new("x", t.as_bytes().to_vec(), None);
        assert_eq!(f.offset_at(1, 0), 0);
        assert_eq!(f.offset_at(2, 1), 5); // after ç
        assert_eq!(f.offset_at(2, 3), 7); // é
        assert_eq!(f.offset_at(2, 0), 3); // backwards: from the line start again
        assert_eq!(f.offset_at(2, 99), 9); // clamped before \r\n
        assert_eq!(f.offset_at(3, 2), 13);
        assert_eq!(f.offset_at(99, 0), 11); // the last line
        for off in [0, 1, 3, 5, 6, 7, 9, 11, 12] {
            let (l, c) = f.line_col(off);
            assert_eq!(f.offset_at(l, c as usize - 1), off, "{off}");
        }
        let s = f.span_on_line(2, 5, 9);
        assert_eq!((s.line, s.col, s.end_line, s.end_col), (2, 2, 2, 5));
    }

    #[test]
    fn a_long_non_ascii_line_is_indexed_in_one_pass() {
        // 200,000 characters on one line, looked up left to right: linear
        // with the caches (quadratic without them, which would not finish).
        let t = "é,".repeat(100_000);
        let f = SourceFile::new("x", t.as_bytes().to_vec(), None);
        let mut last = 0;
        for off in (0..t.len()).step_by(3) {
            let (_, c) = f.line_col(off);
            assert!(c >= last);
            last = c;
            assert_eq!(f.offset_at(1, c as usize - 1), off);
        }
    }
}
