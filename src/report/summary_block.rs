//! The summary block in the daily issue's body: finding it (either marker family, mixed
//! allowed), replacing it literally, seeding a body that has none, and reading back what the
//! block holds (yesterday's text, the inputs digest). Everything outside the block is kept
//! byte for byte.

use std::ops::Range;

use super::daily::SUMMARY_PLACEHOLDER;
use super::markers::{
    LEGACY_BODY_KEPT, LEGACY_SUMMARY_END, LEGACY_SUMMARY_START, SUMMARY_CONTENT, SUMMARY_END,
    SUMMARY_INPUTS_PREFIX, SUMMARY_START,
};

const STARTS: [&str; 2] = [SUMMARY_START, LEGACY_SUMMARY_START];
const ENDS: [&str; 2] = [SUMMARY_END, LEGACY_SUMMARY_END];

/// The first of `needles` in `text` from `from` on: (position, needle length).
fn first_of(text: &str, from: usize, needles: &[&str]) -> Option<(usize, usize)> {
    needles
        .iter()
        .filter_map(|n| text[from..].find(n).map(|p| (from + p, n.len())))
        .min()
}

/// Where the first block is: (whole block with its markers, its inner text). The leftmost
/// start marker of either family and the nearest end marker of either family after it.
fn locate(body: &str, from: usize) -> Option<(Range<usize>, Range<usize>)> {
    let (start, start_len) = first_of(body, from, &STARTS)?;
    let inner_start = start + start_len;
    let (end, end_len) = first_of(body, inner_start, &ENDS)?;
    Some((start..end + end_len, inner_start..end))
}

/// The first block of `body`, markers included.
pub fn find(body: &str) -> Option<Range<usize>> {
    locate(body, 0).map(|(whole, _)| whole)
}

/// The text between the first block's markers.
pub fn inner(body: &str) -> Option<&str> {
    locate(body, 0).map(|(_, inner)| &body[inner])
}

/// How many blocks `body` holds (each search resumes after the previous block).
pub fn count(body: &str) -> usize {
    let mut n = 0;
    let mut from = 0;
    while let Some((whole, _)) = locate(body, from) {
        n += 1;
        from = whole.end;
    }
    n
}

/// The block as written: always the current marker names, so a legacy pair migrates.
pub fn new_block(summary: &str) -> String {
    format!("{SUMMARY_START}\n{}\n{SUMMARY_END}", summary.trim())
}

/// `body` with its first block replaced by `summary`, inserted literally (no replacement
/// pattern is ever read: `\1` and `$1` stay as they are). A body without a block becomes
/// `seeded` (a fresh daily body, whose placeholder block takes the summary) with the old body,
/// when it is not blank, kept below a separator and [`LEGACY_BODY_KEPT`].
pub fn replace(body: &str, summary: &str, seeded: &str) -> String {
    let block = new_block(summary);
    if let Some(range) = find(body) {
        let mut out = String::with_capacity(body.len() + block.len());
        out.push_str(&body[..range.start]);
        out.push_str(&block);
        out.push_str(&body[range.end..]);
        return out;
    }
    let fresh = match find(seeded) {
        Some(range) => format!("{}{block}{}", &seeded[..range.start], &seeded[range.end..]),
        None => format!("{block}\n\n{seeded}"),
    };
    if body.trim().is_empty() {
        return fresh;
    }
    format!(
        "{}\n\n---\n\n{LEGACY_BODY_KEPT}\n\n{}\n",
        fresh.trim_end(),
        body.trim()
    )
}

/// `body` with every block after the first removed (markers and content), so it holds exactly
/// one. Idempotent, and the first block and everything that is not a block stay as they are:
/// concurrent writers that each replace the first block can only agree on this form.
pub fn keep_first_block(body: &str) -> String {
    let Some((first, _)) = locate(body, 0) else {
        return body.to_string();
    };
    let mut out = body[..first.end].to_string();
    let mut from = first.end;
    while let Some((whole, _)) = locate(body, from) {
        out.push_str(&body[from..whole.start]);
        from = whole.end;
    }
    out.push_str(&body[from..]);
    out
}

/// The inputs digest recorded in a block's text, if any.
pub fn digest(inner: &str) -> Option<&str> {
    let start = inner.find(SUMMARY_INPUTS_PREFIX)? + SUMMARY_INPUTS_PREFIX.len();
    let len = inner[start..].find(" -->")?;
    let digest = inner[start..start + len].trim();
    (!digest.is_empty()).then_some(digest)
}

/// Whether a block's text is the seeded placeholder, not a summary: our own placeholder, or
/// (for the original's wording) one italic line without any heading or content marker.
pub fn is_placeholder(inner: &str) -> bool {
    let text = inner.trim();
    if text == SUMMARY_PLACEHOLDER {
        return true;
    }
    let one_line = !text.contains('\n');
    let italic = (text.starts_with('_') && text.ends_with('_'))
        || (text.starts_with('*') && text.ends_with('*') && !text.starts_with("**"));
    one_line && italic && !text.contains(SUMMARY_CONTENT)
}

/// The summary a body's block holds (trimmed), or `None` when there is no block, it is blank,
/// or it still holds the seeded placeholder (which is no summary to compare with).
pub fn summary_text(body: &str) -> Option<String> {
    let text = inner(body)?.trim();
    (!text.is_empty() && !is_placeholder(text)).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::daily::seeded_body;

    const SEEDED: &str = "<!-- daily-cross-workflow-summary:start -->\n_placeholder_\n<!-- daily-cross-workflow-summary:end -->\n\n## CI Monitor\n";

    #[test]
    fn g19_only_the_first_block_is_replaced_and_the_rest_stays_byte_identical() {
        let body = format!("intro \r\n\t{SUMMARY_START}\nold\n{SUMMARY_END}  tail ✓\n{SUMMARY_START}\nsecond\n{SUMMARY_END}\nend");
        let out = replace(&body, "  new  ", SEEDED);
        assert_eq!(
            out,
            format!("intro \r\n\t{SUMMARY_START}\nnew\n{SUMMARY_END}  tail ✓\n{SUMMARY_START}\nsecond\n{SUMMARY_END}\nend")
        );
        // The shortest span: the nearest end marker after the first start.
        assert_eq!(inner(&body), Some("\nold\n"));
        assert_eq!(count(&body), 2);
    }

    #[test]
    fn g20_legacy_and_mixed_marker_pairs_are_replaced_with_the_current_markers() {
        for (start, end) in [
            (LEGACY_SUMMARY_START, LEGACY_SUMMARY_END),
            (LEGACY_SUMMARY_START, SUMMARY_END),
            (SUMMARY_START, LEGACY_SUMMARY_END),
        ] {
            let body = format!("a\n{start}\nold board\n{end}\nb");
            assert_eq!(
                replace(&body, "x", SEEDED),
                format!("a\n{SUMMARY_START}\nx\n{SUMMARY_END}\nb")
            );
        }
        // A legacy start before a current one: the leftmost start wins.
        let body = format!("{LEGACY_SUMMARY_START}1{SUMMARY_START}2{SUMMARY_END}");
        assert_eq!(inner(&body), Some(format!("1{SUMMARY_START}2").as_str()));
    }

    #[test]
    fn g21_a_body_without_markers_is_seeded_and_a_non_blank_old_body_kept_below() {
        let seeded = seeded_body("2026-11-24", "sgl-project/sglang", &["a.yml".into()]);
        let out = replace("  old text by hand \n", "S", &seeded);
        assert!(out.starts_with(&format!(
            "{SUMMARY_START}\nS\n{SUMMARY_END}\n\n---\n\n## CI Monitor — 2026-11-24"
        )));
        assert!(out.ends_with(&format!(
            "_\n\n---\n\n{LEGACY_BODY_KEPT}\n\nold text by hand\n"
        )));
        assert_eq!(count(&out), 1);
        // A blank or empty body: the seeded body alone.
        for blank in ["", " \n\t"] {
            assert_eq!(
                replace(blank, "S", &seeded),
                seeded.replace(SUMMARY_PLACEHOLDER, "S")
            );
        }
        // An end marker alone is no block.
        let lone_end = format!("x {SUMMARY_END}");
        assert!(replace(&lone_end, "S", SEEDED).contains(LEGACY_BODY_KEPT));
    }

    #[test]
    fn g22_replacement_text_is_inserted_literally() {
        let text = r"\1 \g<0> \d $1 ${x} $$ \n";
        let body = format!("a{SUMMARY_START}old{SUMMARY_END}b");
        assert_eq!(
            replace(&body, text, SEEDED),
            format!("a{SUMMARY_START}\n{text}\n{SUMMARY_END}b")
        );
        assert!(replace("", text, SEEDED).contains(text));
    }

    #[test]
    fn keeping_the_first_block_removes_later_ones_and_is_idempotent() {
        let body = format!("h\n{SUMMARY_START}\nA\n{SUMMARY_END}\nmid\n{LEGACY_SUMMARY_START}\nB\n{SUMMARY_END}\ntail");
        let once = keep_first_block(&body);
        assert_eq!(
            once,
            format!("h\n{SUMMARY_START}\nA\n{SUMMARY_END}\nmid\n\ntail")
        );
        assert_eq!(keep_first_block(&once), once);
        assert_eq!(count(&once), 1);
        assert_eq!(keep_first_block("no block"), "no block");
    }

    #[test]
    fn weakness_9_the_seeded_placeholder_is_no_summary() {
        let seeded = seeded_body("2026-11-24", "sgl-project/sglang", &[]);
        assert_eq!(summary_text(&seeded), None);
        let original = format!(
            "{SUMMARY_START}\n_Daily summary will appear here after the first scan (~30 min)._\n{SUMMARY_END}"
        );
        assert_eq!(summary_text(&original), None);
        let blank = format!("{SUMMARY_START}\n \n{SUMMARY_END}");
        assert_eq!(summary_text(&blank), None);
        let real = format!(
            "{SUMMARY_START}\n{SUMMARY_CONTENT}\n# Daily Cross-Workflow Summary — x\n{SUMMARY_END}"
        );
        assert!(summary_text(&real).unwrap().contains("# Daily"));
        // ST-G12: a legacy block in yesterday's body is still read.
        let legacy =
            format!("{LEGACY_SUMMARY_START}\n# Daily Cross-Workflow Summary\n{SUMMARY_END}");
        assert_eq!(
            summary_text(&legacy).as_deref(),
            Some("# Daily Cross-Workflow Summary")
        );
    }

    #[test]
    fn the_digest_is_read_from_its_hidden_comment() {
        assert_eq!(
            digest("x\n<!-- daily-summary-inputs: 0a1b -->\n"),
            Some("0a1b")
        );
        assert_eq!(digest("<!-- daily-summary-inputs:  -->"), None);
        assert_eq!(digest("nothing"), None);
    }
}
