//! The text of the `ci-status` comment of a pull request (issue #14): each failed job of the PR's head
//! commit classified from evidence — INFRA, BROKEN TRUNK, FLAKY or NEW, in that precedence —
//! and the comment that says so, as of which commit, with what is still pending named. No LLM
//! decides a label: every label carries the evidence it rests on. Pure: the caller analyses
//! the logs and reads the base branch's sightings.

use super::{Class, Classified};
use crate::limits::MAX_BODY_CHARS;
use crate::report::summary_builtin::cell;

/// The hidden first line that finds the bot's own status comment on a PR (never its text).
pub const STATUS_MARKER: &str = "<!-- sglang-bot-ci-status -->";

impl Class {
    /// The heading of the class's table.
    fn title(self) -> &'static str {
        match self {
            Class::New => "New failures",
            Class::BrokenTrunk => "Broken trunk",
            Class::Flaky => "Flaky",
            Class::Infra => "Infrastructure",
        }
    }

    /// The name used in the counts line.
    fn short(self) -> &'static str {
        match self {
            Class::New => "new",
            Class::BrokenTrunk => "broken trunk",
            Class::Flaky => "flaky",
            Class::Infra => "infra",
        }
    }
}

/// A workflow that has no verdict yet, by where it stands.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Pending {
    pub running: Vec<String>,
    pub awaiting_approval: Vec<String>,
    pub missing: Vec<String>,
    /// Checks of other CI systems (check runs of other apps, commit statuses) not finished.
    pub other_pending: Vec<String>,
    /// Checks of other CI systems that failed, with their pages: named, not analysed (the bot
    /// reads only GitHub Actions logs).
    pub other_failed: Vec<(String, String)>,
}

impl Pending {
    /// Workflows and checks without a verdict yet.
    fn count(&self) -> usize {
        self.running.len()
            + self.awaiting_approval.len()
            + self.missing.len()
            + self.other_pending.len()
    }
}

/// What the comment is about.
#[derive(Debug, Clone)]
pub struct StatusFacts<'a> {
    pub pr: u64,
    /// The PR's page: a cut report points to its checks tab, where every job is.
    pub pr_url: &'a str,
    pub head_sha: &'a str,
    /// The merge base with the base branch (`None`: the compare API did not say).
    pub merge_base: Option<&'a str>,
    pub passed: usize,
    pub pending: &'a Pending,
    /// The coverage-gap banner (empty without gaps).
    pub banner: &'a str,
    /// What base-branch evidence was checked, or why there is none.
    pub base_note: &'a str,
}

/// The comment: marker, heading, banner, verdict, counts, pending workflows, one table per
/// class. Cut to GitHub's body limit with a note.
pub fn render(facts: &StatusFacts<'_>, jobs: &[Classified]) -> String {
    let mut out = format!(
        "{STATUS_MARKER}\n## CI Status for PR #{}\n\n{}{}\n\n",
        facts.pr,
        facts.banner,
        verdict(facts, jobs)
    );
    let base = facts
        .merge_base
        .map_or(String::new(), |m| format!(" (merge base `{}`)", short(m)));
    out.push_str(&format!(
        "As of commit `{}`{base}: {}.\n\n",
        short(facts.head_sha),
        counts(facts.passed, jobs)
    ));
    out.push_str(&pending_lines(facts.pending));
    out.push_str(&format!("_{}_\n\n", cell(facts.base_note, 400)));
    for class in [Class::New, Class::BrokenTrunk, Class::Flaky, Class::Infra] {
        let rows: Vec<&Classified> = jobs.iter().filter(|j| j.class == class).collect();
        if !rows.is_empty() {
            out.push_str(&table(class, &rows));
        }
    }
    out.push_str(FOOTER);
    fit(out, facts.pr_url)
}

const FOOTER: &str = "---\n*sglang-bot: labels come from evidence (the log engine, the base branch's runs and the daily issues), never from a model's guess. Comment `@amd-bot ci-status` to refresh.*\n";

/// The answer first: is any of the red this PR's, and is CI done?
fn verdict(facts: &StatusFacts<'_>, jobs: &[Classified]) -> String {
    let new = jobs.iter().filter(|j| j.class == Class::New).count();
    let pending = facts.pending.count();
    let mut unfinished = if pending > 0 {
        format!(
            " CI is not complete: {} {} no verdict yet.",
            count(pending, "workflow or check", "workflows or checks"),
            if pending == 1 { "has" } else { "have" }
        )
    } else {
        String::new()
    };
    let others = facts.pending.other_failed.len();
    if others > 0 {
        unfinished.push_str(&format!(
            " {} of another CI system failed (not analysed here).",
            count(others, "check", "checks")
        ));
    }
    if new > 0 {
        format!(
            "**:x: {} {} caused by this PR.**{unfinished}",
            count(new, "failed job", "failed jobs"),
            if new == 1 { "looks" } else { "look" }
        )
    } else if !jobs.is_empty() {
        format!("**:white_check_mark: No failure looks caused by this PR** (broken trunk, flaky or infrastructure).{unfinished}")
    } else if pending > 0 {
        format!("**:hourglass: No failure so far.**{unfinished}")
    } else if facts.passed == 0 {
        "**:grey_question: No CI run was found for this commit.**".into()
    } else {
        format!(
            "**:white_check_mark: All {} passed.**",
            count(facts.passed, "workflow", "workflows")
        )
    }
}

/// `1 workflow`, `2 workflows`.
fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn short(sha: &str) -> String {
    cell(&sha.chars().take(7).collect::<String>(), 7)
}

/// `2 new · 1 flaky · 3 workflows passed`.
fn counts(passed: usize, jobs: &[Classified]) -> String {
    let mut parts = Vec::new();
    for class in [Class::New, Class::BrokenTrunk, Class::Flaky, Class::Infra] {
        let n = jobs.iter().filter(|j| j.class == class).count();
        if n > 0 {
            parts.push(format!("**{n} {}**", class.short()));
        }
    }
    if parts.is_empty() {
        parts.push("no failed job".into());
    }
    parts.push(format!("{} passed", count(passed, "workflow", "workflows")));
    parts.join(" · ")
}

/// One line per kind of unfinished workflow, naming them.
fn pending_lines(p: &Pending) -> String {
    let mut out = String::new();
    for (what, names) in [
        ("Running", &p.running),
        ("Awaiting approval", &p.awaiting_approval),
        ("Missing (expected, no run)", &p.missing),
        ("Other checks pending", &p.other_pending),
    ] {
        if !names.is_empty() {
            let list: Vec<String> = names.iter().map(|n| format!("`{}`", cell(n, 80))).collect();
            out.push_str(&format!(
                "- **{what}** ({}): {}\n",
                names.len(),
                list.join(", ")
            ));
        }
    }
    if !p.other_failed.is_empty() {
        let list: Vec<String> = p
            .other_failed
            .iter()
            .map(|(name, url)| format!("[{}]({url})", link_text(name)))
            .collect();
        out.push_str(&format!(
            "- **Other checks failed** ({}, not analysed: the bot reads GitHub Actions logs only): {}\n",
            p.other_failed.len(),
            list.join(", ")
        ));
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// The evidence, and a model's "why" beside it when there is one (escaped: it is model text).
fn evidence_cell(r: &Classified) -> String {
    match &r.why {
        Some(why) => format!("{}<br>model: {}", r.evidence, cell(why, 320)),
        None => r.evidence.clone(),
    }
}

/// A name as link text that cannot end the link early or carry markup.
fn link_text(name: &str) -> String {
    cell(name, 80).replace('[', "\\[").replace(']', "\\]")
}

/// One class's table; INFRA and FLAKY say how to re-run (the bot never does).
fn table(class: Class, rows: &[&Classified]) -> String {
    let mut out = format!("### {} ({})\n\n", class.title(), rows.len());
    if matches!(class, Class::Infra | Class::Flaky) {
        out.push_str("Not caused by this PR as far as the evidence goes: use the run's **Re-run failed jobs** button (the bot never re-runs jobs).\n\n");
    }
    out.push_str(
        "| Workflow | Job | Failed tests | First error | Evidence |\n|---|---|---|---|---|\n",
    );
    for r in rows {
        let j = &r.job;
        let tests = if j.failed_tests.is_empty() {
            "—".to_string()
        } else {
            let shown: Vec<String> = j
                .failed_tests
                .iter()
                .take(5)
                .map(|t| cell(t, 120))
                .collect();
            let more = j.failed_tests.len().saturating_sub(5);
            let tail = if more > 0 {
                format!(" (+{more} more)")
            } else {
                String::new()
            };
            format!("{}{tail}", shown.join("<br>"))
        };
        let run = if matches!(class, Class::Infra | Class::Flaky) {
            format!(" ([run]({}))", j.run_url)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "| {} | [{}]({}){run} | {tests} | {} | {} |\n",
            cell(&j.workflow, 80),
            link_text(&j.job_name),
            j.job_url,
            j.first_error
                .as_deref()
                .map_or("—".into(), |e| cell(e, 200)),
            evidence_cell(r),
        ));
    }
    out.push('\n');
    out
}

/// The body within GitHub's limit: cut at a line with a note saying so.
fn fit(body: String, pr_url: &str) -> String {
    if body.chars().count() <= MAX_BODY_CHARS {
        return body;
    }
    let note = format!(
        "\n\n_… report cut to fit GitHub's comment limit: every job is on the [PR's checks page]({}/checks)._\n",
        pr_url.trim_end_matches('/')
    );
    let budget = MAX_BODY_CHARS - note.chars().count();
    let cut: String = body.chars().take(budget).collect();
    let at = cut.rfind('\n').unwrap_or(cut.len());
    format!("{}{note}", &cut[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::logs::Category;
    use crate::report::pr_status::classify;

    use crate::report::pr_status::test_job as job;

    fn facts<'a>(pending: &'a Pending, banner: &'a str) -> StatusFacts<'a> {
        StatusFacts {
            pr: 42,
            pr_url: "https://github.com/o/r/pull/42",
            head_sha: "0123456789abcdef",
            merge_base: Some("fedcba9876543210"),
            passed: 2,
            pending,
            banner,
            base_note: "Base branch `main`: 3 runs checked.",
        }
    }

    #[test]
    fn the_comment_starts_with_the_marker_heading_banner_and_verdict_then_names_what_is_pending() {
        let pending = Pending {
            running: vec!["pr-test-amd-rocm720.yml".into()],
            awaiting_approval: vec!["pr-test.yml".into()],
            missing: vec!["amd-scout.yml".into()],
            other_pending: vec![],
            other_failed: vec![("lint | <b>".into(), "https://ci.example/1".into())],
        };
        let jobs = [
            classify(job(1, Category::Infrastructure), &[], "main"),
            classify(job(2, Category::TestFailure), &[], "main"),
        ];
        let body = render(&facts(&pending, "> [!WARNING]\n> gap\n\n"), &jobs);
        assert!(
            body.starts_with("<!-- sglang-bot-ci-status -->\n## CI Status for PR #42\n\n> [!WARNING]\n> gap\n\n**:x: 1 failed job looks caused by this PR.** CI is not complete: 3 workflows or checks have"),
            "{body}"
        );
        assert!(body.contains(
            "As of commit `0123456` (merge base `fedcba9`): **1 new** · **1 infra** · 2 workflows passed."
        ));
        assert!(body.contains("**Running** (1): `pr-test-amd-rocm720.yml`"));
        assert!(body.contains("**Awaiting approval** (1): `pr-test.yml`"));
        assert!(body.contains("**Missing (expected, no run)** (1): `amd-scout.yml`"));
        assert!(
            body.contains("_Base branch 'main': 3 runs checked._"),
            "{body}"
        );
        let infra = body.find("### Infrastructure (1)").unwrap();
        assert!(body[infra..].contains("Re-run failed jobs"));
        assert!(!body[..infra].contains("Re-run failed jobs"));
    }

    #[test]
    fn the_verdict_says_when_nothing_is_the_prs_fault_or_nothing_ran() {
        let none = Pending::default();
        let infra_only = [classify(job(1, Category::Infrastructure), &[], "main")];
        assert!(
            render(&facts(&none, ""), &infra_only).contains("No failure looks caused by this PR")
        );
        assert!(render(&facts(&none, ""), &[]).contains("All 2 workflows passed."));
        let mut one = facts(&none, "");
        one.passed = 1;
        assert!(render(&one, &[]).contains("All 1 workflow passed."));
        let mut nothing = facts(&none, "");
        nothing.passed = 0;
        assert!(render(&nothing, &[]).contains("No CI run was found"));
    }

    #[test]
    fn a_models_why_sits_beside_the_evidence_escaped_and_the_class_stays() {
        let none = Pending::default();
        let mut c = classify(job(1, Category::TestFailure), &[], "main");
        c.why = Some("likely: the diff | <b>edits</b> it".into());
        let body = render(&facts(&none, ""), &[c]);
        let row = body.lines().find(|l| l.contains("stage-b-test-1")).unwrap();
        assert!(row.contains("not seen on `main` in the window<br>model: likely: the diff \\| &lt;b&gt;edits&lt;/b&gt; it"), "{row}");
        assert!(body.contains("### New failures (1)"));
    }

    #[test]
    fn untrusted_names_tests_and_errors_cannot_break_the_table() {
        let mut j = job(1, Category::TestFailure);
        j.job_name = "evil | <img src=x> ](http://x)".into();
        j.failed_tests = vec!["t.py::a|b\n| forged | row |".into()];
        j.first_error = Some("<script>|`x`".into());
        let none = Pending::default();
        let body = render(&facts(&none, ""), &[classify(j, &[], "main")]);
        let row = body.lines().find(|l| l.contains("evil")).unwrap();
        assert_eq!(row.matches(" | ").count(), 4, "{row}");
        assert!(!body.contains("<img") && !body.contains("<script>"));
        assert!(row.contains("\\](http://x)"), "{row}");
        assert_eq!(body.lines().filter(|l| l.contains("forged")).count(), 1);
    }

    #[test]
    fn a_huge_report_is_cut_within_the_limit_with_a_note_and_a_link() {
        let jobs: Vec<Classified> = (0..2000)
            .map(|i| {
                let mut j = job(i, Category::TestFailure);
                j.first_error = Some("E".repeat(200));
                classify(j, &[], "main")
            })
            .collect();
        let none = Pending::default();
        let body = render(&facts(&none, ""), &jobs);
        assert!(body.chars().count() <= MAX_BODY_CHARS);
        assert!(body.contains("report cut to fit"));
        assert!(body.contains("](https://github.com/o/r/pull/42/checks)"));
        assert!(body.starts_with(STATUS_MARKER));
    }
}
