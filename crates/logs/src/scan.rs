//! The literal prefilter: one Aho-Corasick pass over each whole chunk finds every needle any
//! later check needs, and each line gets a bit mask of the needles it holds. Lines with an
//! empty mask (almost all of a real log) skip every regex and substring search.
//!
//! Needles are case-sensitive (so the search can use its SIMD prefilter); a word needed in
//! two spellings is listed twice. Searching per chunk instead of per line is what makes the
//! engine fast: one search call per megabyte instead of one per line.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use memchr::memmem::Finder;

pub(crate) use crate::mask::*;

const EXTRA: &[(&str, Mask)] = &[
    ("Error", ERROR_WORD),
    ("ERROR", ERROR_WORD),
    ("Exception", EXCEPTION),
    ("Failure", FAILURE),
    ("FAILED", FAILED),
    ("\u{2717}", CROSS),
    ("\u{274c}", CROSS),
    ("##[error]", ANNOTATION),
    ("Memory access fault by GPU", CRASH),
    ("Fatal Python error", CRASH),
    ("Segmentation fault", CRASH),
    ("Killed", CRASH),
    ("exit code 137", CRASH),
    ("exit code 134", CRASH),
    ("Received signal", CRASH),
];

struct Table {
    /// All matches, overlapping: the exact mask of one line.
    ac: AhoCorasick,
    /// Leftmost-first, with its prefilter: whether a stretch of a chunk holds any needle.
    /// Every line holding a needle gets at least one match, since no needle spans a newline.
    any: AhoCorasick,
    bit_of: Vec<Mask>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let rules = crate::classify::line_rule_needles();
        assert!(rules.len() <= RULE_BITS as usize, "too many line rules");
        let mut needles: Vec<&str> = rules.clone();
        let mut bit_of: Vec<Mask> = (0..rules.len()).map(|i| 1 << i).collect();
        for (needle, bit) in EXTRA {
            needles.push(needle);
            bit_of.push(*bit);
        }
        let ac = AhoCorasick::builder()
            .build(&needles)
            .expect("needles compile");
        let any = AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(&needles)
            .expect("needles compile");
        Table { ac, any, bit_of }
    })
}

/// The mask of one line searched on its own (lines assembled across chunks, group titles).
pub(crate) fn line_mask(line: &[u8]) -> Mask {
    let t = table();
    t.ac.find_overlapping_iter(line)
        .fold(0, |m, hit| m | t.bit_of[hit.pattern().as_usize()])
}

/// Where the current chunk holds needles, consumed line by line in order.
#[derive(Debug, Default)]
pub(crate) struct ChunkHits {
    starts: Vec<usize>,
    cursor: usize,
}

impl ChunkHits {
    /// Searches a whole chunk once.
    pub(crate) fn scan(&mut self, chunk: &[u8]) {
        self.starts.clear();
        self.cursor = 0;
        self.starts
            .extend(table().any.find_iter(chunk).map(|hit| hit.start()));
    }

    /// Whether the chunk's bytes `start..end` hold a needle; calls come in increasing order.
    pub(crate) fn any(&mut self, start: usize, end: usize) -> bool {
        while self.cursor < self.starts.len() && self.starts[self.cursor] < start {
            self.cursor += 1;
        }
        let found = self.cursor < self.starts.len() && self.starts[self.cursor] < end;
        while self.cursor < self.starts.len() && self.starts[self.cursor] < end {
            self.cursor += 1;
        }
        found
    }
}

/// Case-sensitive confirmations of mask bits, built once.
pub(crate) struct Needles {
    pub error: Finder<'static>,
    pub error_caps: Finder<'static>,
    pub exception: Finder<'static>,
    pub failure: Finder<'static>,
    pub failed: Finder<'static>,
    pub annotation: Finder<'static>,
    /// The [`CRASH`] needles that say a process died on their own (`Killed` needs its place).
    pub crash: Vec<Finder<'static>>,
}

/// The shared [`Needles`].
pub(crate) fn needles() -> &'static Needles {
    static N: OnceLock<Needles> = OnceLock::new();
    N.get_or_init(|| Needles {
        error: Finder::new(b"Error"),
        error_caps: Finder::new(b"ERROR"),
        exception: Finder::new(b"Exception"),
        failure: Finder::new(b"Failure"),
        failed: Finder::new(b"FAILED"),
        annotation: Finder::new(b"##[error]"),
        crash: [
            "Memory access fault by GPU",
            "Fatal Python error",
            "Segmentation fault",
            "exit code 137",
            "exit code 134",
            "Received signal",
        ]
        .iter()
        .map(|n| Finder::new(n.as_bytes()))
        .collect(),
    })
}

/// Whether a line whose mask has [`CRASH`] says a process died (`Killed` only as the line's
/// last word, as the shell prints it).
pub(crate) fn is_crash(line: &[u8]) -> bool {
    line == b"Killed"
        || line.ends_with(b" Killed")
        || needles().crash.iter().any(|f| f.find(line).is_some())
}

/// Whether `line` holds `Error` or `Exception` (case-sensitive), given its mask.
pub(crate) fn has_exception_word(line: &[u8], mask: Mask) -> bool {
    let n = needles();
    (mask & ERROR_WORD != 0 && n.error.find(line).is_some())
        || (mask & EXCEPTION != 0 && n.exception.find(line).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_search_flags_exactly_the_lines_with_needles() {
        let chunk = b"ok line\nFAILED a::b - ValueError: x\n##[error]boom\nplain\n\xe2\x9c\x97 FAILED: t.py\nout of memory error\n";
        let mut hits = ChunkHits::default();
        hits.scan(chunk);
        let mut start = 0;
        for line in chunk.split(|&b| b == b'\n') {
            let end = start + line.len();
            assert_eq!(hits.any(start, end), line_mask(line) != 0, "{line:?}");
            start = end + 1;
        }
        assert_eq!(line_mask(b"plain"), 0);
        assert_ne!(line_mask(b"##[error]x") & ANNOTATION, 0);
    }
}
