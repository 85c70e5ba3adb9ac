//! Turns chunks of bytes into lines, holding at most one partial line between chunks.
//!
//! A line longer than [`MAX_LINE`] is cut: its first `MAX_LINE` bytes are analysed and the
//! rest skipped, so a 10 MB single line costs no more memory than a short one.

/// Longest prefix of a line the analyser looks at.
pub const MAX_LINE: usize = 16 * 1024;

/// Splits a byte stream into lines without allocating per line.
#[derive(Debug, Default)]
pub struct LineBuffer {
    partial: Vec<u8>,
    /// The current line is longer than `MAX_LINE`; skip until its newline.
    skipping: bool,
}

impl LineBuffer {
    /// Feeds a chunk; `on_line` gets every complete line (without `\n`; `\r` stays).
    pub fn feed(&mut self, mut chunk: &[u8], on_line: &mut impl FnMut(&[u8])) {
        while !chunk.is_empty() {
            match memchr::memchr(b'\n', chunk) {
                Some(nl) => {
                    let piece = &chunk[..nl];
                    if self.skipping {
                        self.skipping = false;
                        let line = std::mem::take(&mut self.partial);
                        on_line(&line);
                        self.partial = line;
                        self.partial.clear();
                    } else if self.partial.is_empty() {
                        on_line(&piece[..piece.len().min(MAX_LINE)]);
                    } else {
                        let room = MAX_LINE.saturating_sub(self.partial.len());
                        self.partial
                            .extend_from_slice(&piece[..piece.len().min(room)]);
                        let line = std::mem::take(&mut self.partial);
                        on_line(&line);
                        self.partial = line;
                        self.partial.clear();
                    }
                    chunk = &chunk[nl + 1..];
                }
                None => {
                    if !self.skipping {
                        let room = MAX_LINE.saturating_sub(self.partial.len());
                        self.partial
                            .extend_from_slice(&chunk[..chunk.len().min(room)]);
                        if chunk.len() > room {
                            self.skipping = true;
                        }
                    }
                    chunk = &[];
                }
            }
        }
    }

    /// The last line if the input did not end with a newline. Returns whether one was given.
    pub fn finish(&mut self, on_line: &mut impl FnMut(&[u8])) -> bool {
        if self.partial.is_empty() && !self.skipping {
            return false;
        }
        let line = std::mem::take(&mut self.partial);
        self.skipping = false;
        on_line(&line);
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
