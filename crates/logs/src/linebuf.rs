//! Turns chunks of bytes into lines, holding at most one partial line between chunks.
//!
//! A line longer than [`MAX_LINE`] is cut: its first `MAX_LINE` bytes are analysed and the
//! rest skipped, so a 10 MB single line costs no more memory than a short one. The skipped
//! part is still searched for a few words that mark an error, so a report can say that the
//! part it did not read held one.

/// Longest prefix of a line the analyser looks at.
pub const MAX_LINE: usize = 16 * 1024;

/// Words that mark an error in the part of a long line that is not analysed.
const CUT_ERROR_WORDS: &[&[u8]] = &[
    b"Traceback",
    b"Error",
    b"error:",
    b"FAILED",
    b"Exception",
    b"Killed",
];
/// Bytes kept of the error found in a cut part.
const CUT_SNIPPET: usize = 240;
/// Lines whose cut part held an error that are recorded, at most.
const MAX_CUT_ERRORS: usize = 20;
/// Skipped bytes kept between chunks: a split error word, and the start of the word it ends.
const CARRY: usize = 64;

/// Where the word holding the first error word of `hay` starts (`RuntimeError`, not `Error`).
fn error_start(hay: &[u8]) -> Option<usize> {
    let at = CUT_ERROR_WORDS
        .iter()
        .filter_map(|w| memchr::memmem::find(hay, w))
        .min()?;
    Some(
        hay[..at]
            .iter()
            .rposition(u8::is_ascii_whitespace)
            .map_or(0, |p| p + 1),
    )
}

/// An error found in the part of a line that was cut off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CutError {
    /// 1-based line number.
    pub line: u64,
    /// The cut part from the error word on (at most [`CUT_SNIPPET`] bytes).
    pub text: Vec<u8>,
}

/// Splits a byte stream into lines without allocating per line.
#[derive(Debug, Default)]
pub struct LineBuffer {
    partial: Vec<u8>,
    /// The current line is longer than `MAX_LINE`; skip until its newline.
    skipping: bool,
    /// Lines handed out so far.
    emitted: u64,
    /// The end of the skipped bytes seen last, for a word split between two chunks.
    carry: Vec<u8>,
    /// What the current line's cut part holds, once found.
    found: Option<Vec<u8>>,
    cut_errors: Vec<CutError>,
}

impl LineBuffer {
    /// Feeds a chunk; `on_line` gets every complete line (without `\n`; `\r` stays).
    pub fn feed(&mut self, mut chunk: &[u8], on_line: &mut impl FnMut(&[u8])) {
        while !chunk.is_empty() {
            match memchr::memchr(b'\n', chunk) {
                Some(nl) => {
                    let piece = &chunk[..nl];
                    if self.skipping {
                        self.skip(piece);
                        self.skipping = false;
                        self.emit_partial(on_line);
                    } else if self.partial.is_empty() {
                        self.skip(&piece[piece.len().min(MAX_LINE)..]);
                        self.emitted += 1;
                        on_line(&piece[..piece.len().min(MAX_LINE)]);
                        self.end_line();
                    } else {
                        let room = MAX_LINE.saturating_sub(self.partial.len());
                        self.partial
                            .extend_from_slice(&piece[..piece.len().min(room)]);
                        self.skip(&piece[piece.len().min(room)..]);
                        self.emit_partial(on_line);
                    }
                    chunk = &chunk[nl + 1..];
                }
                None => {
                    if self.skipping {
                        self.skip(chunk);
                    } else {
                        let room = MAX_LINE.saturating_sub(self.partial.len());
                        self.partial
                            .extend_from_slice(&chunk[..chunk.len().min(room)]);
                        if chunk.len() > room {
                            self.skipping = true;
                            self.skip(&chunk[room..]);
                        }
                    }
                    chunk = &[];
                }
            }
        }
    }

    /// Hands out the assembled line and empties the buffer (keeping its allocation).
    fn emit_partial(&mut self, on_line: &mut impl FnMut(&[u8])) {
        let line = std::mem::take(&mut self.partial);
        self.emitted += 1;
        on_line(&line);
        self.partial = line;
        self.partial.clear();
        self.end_line();
    }

    /// Searches bytes of the current line that are cut off for an error word, then keeps what
    /// follows it up to [`CUT_SNIPPET`] bytes. The bytes are searched where they lie (no copy of
    /// a long line); only a word split between two chunks is looked for in a short joint.
    fn skip(&mut self, cut: &[u8]) {
        if cut.is_empty() {
            return;
        }
        if let Some(found) = &mut self.found {
            let room = CUT_SNIPPET.saturating_sub(found.len());
            found.extend_from_slice(&cut[..cut.len().min(room)]);
            return;
        }
        if !self.carry.is_empty() {
            let mut joint = std::mem::take(&mut self.carry);
            let head = cut.len().min(CARRY);
            joint.extend_from_slice(&cut[..head]);
            if let Some(start) = error_start(&joint) {
                let mut snippet = joint[start..].to_vec();
                snippet.extend_from_slice(&cut[head..]);
                snippet.truncate(CUT_SNIPPET);
                self.found = Some(snippet);
                return;
            }
            if cut.len() < CARRY {
                self.carry = joint[joint.len().saturating_sub(CARRY)..].to_vec();
                return;
            }
        }
        match error_start(cut) {
            Some(start) => {
                self.found = Some(cut[start..cut.len().min(start + CUT_SNIPPET)].to_vec());
            }
            None => self.carry = cut[cut.len().saturating_sub(CARRY)..].to_vec(),
        }
    }

    /// Records what the finished line's cut part held (at most [`MAX_CUT_ERRORS`] lines).
    fn end_line(&mut self) {
        self.carry.clear();
        if let Some(text) = self
            .found
            .take()
            .filter(|_| self.cut_errors.len() < MAX_CUT_ERRORS)
        {
            self.cut_errors.push(CutError {
                line: self.emitted,
                text,
            });
        }
    }

    /// The errors found in cut parts of lines, in line order.
    pub fn take_cut_errors(&mut self) -> Vec<CutError> {
        std::mem::take(&mut self.cut_errors)
    }

    /// The last line if the input did not end with a newline. Returns whether one was given.
    pub fn finish(&mut self, on_line: &mut impl FnMut(&[u8])) -> bool {
        if self.partial.is_empty() && !self.skipping {
            return false;
        }
        self.skipping = false;
        self.emit_partial(on_line);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = LineBuffer::default();
        for c in chunks {
            buf.feed(c, &mut |l| out.push(l.to_vec()));
        }
        buf.finish(&mut |l| out.push(l.to_vec()));
        out
    }

    #[test]
    fn lines_are_the_same_whatever_the_chunking() {
        let text = b"a\r\nbb\n\nccc";
        let whole = lines(&[text]);
        assert_eq!(
            whole,
            [
                b"a\r".to_vec(),
                b"bb".to_vec(),
                b"".to_vec(),
                b"ccc".to_vec()
            ]
        );
        for cut in 0..text.len() {
            assert_eq!(lines(&[&text[..cut], &text[cut..]]), whole, "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(lines(&bytes), whole);
    }

    #[test]
    fn an_error_in_the_cut_part_of_a_line_is_found_whatever_the_chunking() {
        let mut text = b"short\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE + 5000));
        text.extend_from_slice(b" RuntimeError: HIP out of memory\nnext\n");
        text.extend(std::iter::repeat_n(b'y', MAX_LINE * 2));
        text.extend_from_slice(b"\nlast");
        for size in [1usize, 7, 4096, 65536, text.len()] {
            let mut buf = LineBuffer::default();
            let mut n = 0;
            for c in text.chunks(size) {
                buf.feed(c, &mut |_| n += 1);
            }
            buf.finish(&mut |_| n += 1);
            assert_eq!(n, 5, "chunks of {size}");
            let found = buf.take_cut_errors();
            assert_eq!(found.len(), 1, "chunks of {size}: {found:?}");
            assert_eq!(found[0].line, 2);
            assert!(
                found[0]
                    .text
                    .starts_with(b"RuntimeError: HIP out of memory"),
                "chunks of {size}"
            );
        }
    }

    #[test]
    fn an_error_deep_in_a_single_huge_chunk_is_found_and_few_lines_are_kept() {
        let mut text = Vec::new();
        // Past 1 MiB into each line, and more lines than are kept.
        for _ in 0..MAX_CUT_ERRORS + 2 {
            text.extend(std::iter::repeat_n(b'x', 3 << 19));
            text.extend_from_slice(b" Killed\n");
        }
        let mut buf = LineBuffer::default();
        let mut n = 0;
        buf.feed(&text, &mut |_| n += 1);
        assert_eq!(n, MAX_CUT_ERRORS + 2);
        let found = buf.take_cut_errors();
        assert_eq!(found.len(), MAX_CUT_ERRORS, "a cap, not one per line");
        assert_eq!(found[0].text, b"Killed");
    }

    #[test]
    fn a_huge_line_is_cut_not_held() {
        let mut text = vec![b'x'; 10 * 1024 * 1024];
        text.extend_from_slice(b"\nnext\n");
        let chunks: Vec<&[u8]> = text.chunks(65536).collect();
        let out = lines(&chunks);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].len(), MAX_LINE);
        assert_eq!(out[1], b"next");
    }
}
