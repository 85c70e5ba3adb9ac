//! Keeping the report and dropping the chatter around it in LLM output.

use std::sync::OnceLock;

use regex::Regex;

fn first_heading() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?m)^#{1,6}\s").expect("heading regex"))
}

/// Drops any prose before the first Markdown heading; text without a heading is kept whole
/// (apart from leading whitespace).
pub fn strip_preamble(text: &str) -> &str {
    let text = text.trim_start();
    match first_heading().find(text) {
        Some(m) if m.start() > 0 => &text[m.start()..],
        _ => text,
    }
}

/// Keeps `text` from the **last** match of `anchor` (agents sometimes repeat their report);
/// without a match, strips the preamble.
pub fn extract_report<'a>(text: &'a str, anchor: &Regex) -> &'a str {
    match anchor.find_iter(text).last() {
        Some(m) => &text[m.start()..],
        None => strip_preamble(text),
    }
}

/// Removes heading lines whose text matches `words` (e.g. `Summary|Overview`) at levels 1–3,
/// used where our own heading replaces the model's.
pub fn drop_headings(text: &str, words: &str) -> String {
    let re = Regex::new(&format!(r"(?m)^#{{1,3}}\s+.*(?:{words}).*$\n?")).expect("heading filter");
    re.replace_all(text, "").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::markers::{COMMIT_INFO_ANCHOR, COUNTS_ANCHOR};

    #[test]
    fn report_is_kept_from_the_last_anchor() {
        let anchor = Regex::new(COMMIT_INFO_ANCHOR).unwrap();
        let text = "chatter\n### Commit Info\nold\n### Commit Info\nnew";
        assert_eq!(extract_report(text, &anchor), "### Commit Info\nnew");
        let counts = Regex::new(COUNTS_ANCHOR).unwrap();
        let copies = "**Counts**: 1\n".repeat(12) + "**Counts**: last";
        assert_eq!(extract_report(&copies, &counts), "**Counts**: last");
    }

    #[test]
    fn without_an_anchor_prose_before_the_first_heading_is_dropped() {
        let anchor = Regex::new(COMMIT_INFO_ANCHOR).unwrap();
        assert_eq!(
            extract_report("Sure! Here it is.\n## Report\nx", &anchor),
            "## Report\nx"
        );
        assert_eq!(
            extract_report("  \n no heading at all", &anchor),
            "no heading at all"
        );
    }

    #[test]
    fn summary_headings_are_dropped() {
        assert_eq!(
            drop_headings(
                "## Cross-Job Summary\n**Counts**: 2\n#### Summary stays\n",
                "Summary|Overview"
            ),
            "**Counts**: 2\n#### Summary stays"
        );
    }
}
