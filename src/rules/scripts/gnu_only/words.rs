//! Spans inside a word: pointing at the option or the part of a script
//! argument that is wrong, not at the whole word.

use crate::finding::Span;
use crate::model::shell::Word;
use crate::source::SourceFile;

/// The span of `len` bytes at byte `i` of the word's text (quotes removed),
/// when the word is written plainly or wholly inside one pair of quotes;
/// else the whole word.
pub(super) fn sub_span(src: &SourceFile, w: &Word, i: usize, len: usize) -> Span {
    match text_start(src, w) {
        Some(start) if i + len <= w.text.len() => src.span(start + i, start + i + len),
        _ => w.span,
    }
}

/// The byte offset in the file where the word's text starts, when its
/// text maps byte for byte onto the source.
pub(super) fn text_start(src: &SourceFile, w: &Word) -> Option<usize> {
    let raw = src.text_or_empty().get(w.span.offset..w.span.offset + w.span.len)?;
    if raw == w.text {
        return Some(w.span.offset);
    }
    let b = raw.as_bytes();
    let quoted = b.len() >= 2 && (b[0] == b'\'' || b[0] == b'"') && b[b.len() - 1] == b[0];
    (quoted && &raw[1..raw.len() - 1] == w.text).then_some(w.span.offset + 1)
}

/// An option word we can judge: written out, no expansion in it.
pub(super) fn literal(w: &Word) -> bool {
    !w.text.contains('$') && !w.text.contains('`')
}
