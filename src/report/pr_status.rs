//! The `ci-status` comment of a pull request (issue #14): each failed job of the PR's head
//! commit classified from evidence — INFRA, BROKEN TRUNK, FLAKY or NEW, in that precedence —
//! and the comment that says so, as of which commit, with what is still pending named. No LLM
//! decides a label: every label carries the evidence it rests on. Pure: the caller analyses
//! the logs and reads the base branch's sightings.

use crate::domain::{JobId, SignatureKey};
use crate::limits::MAX_BODY_CHARS;
use crate::logs::Category;

use super::summary_builtin::cell;

/// The hidden first line that finds the bot's own status comment on a PR (never its text).
pub const STATUS_MARKER: &str = "<!-- sglang-bot-ci-status -->";

/// What a failed job's red most likely is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Caused by this PR, as far as the evidence goes.
    New,
    /// The same failure is on the base branch.
    BrokenTrunk,
    /// It failed then passed (on retry, or alternately on the base branch).
    Flaky,
    /// The runner, the GPU host or the network failed, not the code.
    Infra,
}

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

/// One failed job of the head commit with what its log says.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FailedJob {
    /// The workflow file (or name).
    pub workflow: String,
    pub amd: bool,
    pub job_id: JobId,
    pub job_name: String,
    pub job_url: String,
    /// The run's page, whose "Re-run failed jobs" button re-runs it.
    pub run_url: String,
    /// The log engine's category (`None`: the log could not be read).
    pub category: Option<Category>,
    /// Why the log engine chose the category (or why there is no log).
    pub reason: String,
    /// Canonical ids of the tests named as failing.
    pub failed_tests: Vec<String>,
    /// Tests that failed and then passed on retry.
    pub flaky_tests: Vec<String>,
    pub first_error: Option<String>,
    pub signatures: Vec<SignatureKey>,
}

/// A failure signature seen in a base-branch analysis of the bot's daily issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub key: SignatureKey,
    /// The daily-issue entry: `https://github.com/{bot_repo}/issues/{n}#job-{id}`.
    pub link: String,
    /// Whether the base branch failed with it (`false`: a run it passed, when known).
    pub failed: bool,
}

/// A job's class and the evidence for it (Markdown: a link, or escaped text).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Classified {
    pub job: FailedJob,
    pub class: Class,
    pub evidence: String,
}

/// The log engine's categories that mean the runner, host or network failed rather than the
/// code: only `Infrastructure` (lost runner, no space left, network, registry). GPU errors and
/// timeouts are judged like any failure (a PR can break a kernel or hang a test), and a
/// cancellation is not a failure verdict.
fn is_infra(category: Category) -> bool {
    matches!(category, Category::Infrastructure)
}

/// The class of `job` given the base branch's sightings in the lookback window.
pub fn classify(job: FailedJob, sightings: &[Sighting]) -> Classified {
    let (class, evidence) = decide(&job, sightings);
    Classified {
        job,
        class,
        evidence,
    }
}

fn decide(job: &FailedJob, sightings: &[Sighting]) -> (Class, String) {
    if let Some(c) = job.category.filter(|c| is_infra(*c)) {
        return (
            Class::Infra,
            format!("log engine: {} ({})", c.label(), cell(&job.reason, 160)),
        );
    }
    let seen = |failed: bool| {
        sightings
            .iter()
            .find(|s| s.failed == failed && job.signatures.contains(&s.key))
    };
    match (seen(true), seen(false)) {
        (Some(fail), Some(pass)) => {
            return (
                Class::Flaky,
                format!(
                    "failed on the base branch ([entry]({})) and passed there ([entry]({}))",
                    fail.link, pass.link
                ),
            )
        }
        (Some(fail), None) => {
            return (
                Class::BrokenTrunk,
                format!("same failure on the base branch: [entry]({})", fail.link),
            )
        }
        _ => {}
    }
    // Tests that passed on retry explain the red only when nothing failed for good.
    if !job.flaky_tests.is_empty() && job.failed_tests.is_empty() {
        let names: Vec<String> = job.flaky_tests.iter().map(|t| cell(t, 120)).collect();
        return (
            Class::Flaky,
            format!("passed on retry: {}", names.join(", ")),
        );
    }
    let why = if job.signatures.is_empty() {
        "no signature to compare with the base branch"
    } else {
        "not seen on the base branch in the window"
    };
    (Class::New, why.to_string())
}

/// A workflow that has no verdict yet, by where it stands.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Pending {
    pub running: Vec<String>,
    pub awaiting_approval: Vec<String>,
    pub missing: Vec<String>,
}

/// What the comment is about.
#[derive(Debug, Clone)]
pub struct StatusFacts<'a> {
    pub pr: u64,
    pub head_sha: &'a str,
    pub passed: usize,
    pub pending: &'a Pending,
    /// The coverage-gap banner (empty without gaps).
    pub banner: &'a str,
    /// Said when no base-branch evidence could be read (no bot repository, a read failed).
    pub base_note: Option<&'a str>,
}

/// The comment: marker, heading, banner, counts and pending workflows, one table per class.
/// Cut to GitHub's body limit with a note.
pub fn render(facts: &StatusFacts<'_>, jobs: &[Classified]) -> String {
    let mut out = format!(
        "{STATUS_MARKER}\n## CI Status for PR #{}\n\n{}",
        facts.pr, facts.banner
    );
    let sha7: String = facts.head_sha.chars().take(7).collect();
    out.push_str(&format!(
        "As of commit `{}`: {}.\n\n",
        cell(&sha7, 7),
        counts(facts.passed, jobs)
    ));
    out.push_str(&pending_lines(facts.pending));
    if let Some(note) = facts.base_note {
        out.push_str(&format!("_{}_\n\n", cell(note, 300)));
    }
    for class in [Class::New, Class::BrokenTrunk, Class::Flaky, Class::Infra] {
        let rows: Vec<&Classified> = jobs.iter().filter(|j| j.class == class).collect();
        if !rows.is_empty() {
            out.push_str(&table(class, &rows));
        }
    }
    fit(out)
}

/// `2 new · 1 flaky · 3 workflow(s) passed`.
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
    parts.push(format!("{passed} workflow(s) passed"));
    parts.join(" · ")
}

/// One line per kind of unfinished workflow, naming them.
fn pending_lines(p: &Pending) -> String {
    let mut out = String::new();
    for (what, names) in [
        ("Running", &p.running),
        ("Awaiting approval", &p.awaiting_approval),
        ("Missing (expected, no run)", &p.missing),
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
    if !out.is_empty() {
        out.push('\n');
    }
    out
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
            cell(&j.job_name, 100)
                .replace('[', "\\[")
                .replace(']', "\\]"),
            j.job_url,
            j.first_error
                .as_deref()
                .map_or("—".into(), |e| cell(e, 200)),
            r.evidence,
        ));
    }
    out.push('\n');
    out
}

/// The body within GitHub's limit: cut at a line with a note saying so.
fn fit(body: String) -> String {
    const NOTE: &str = "\n\n_… report cut to fit GitHub's comment limit._\n";
    if body.chars().count() <= MAX_BODY_CHARS {
        return body;
    }
    let budget = MAX_BODY_CHARS - NOTE.chars().count();
    let cut: String = body.chars().take(budget).collect();
    let at = cut.rfind('\n').unwrap_or(cut.len());
    format!("{}{NOTE}", &cut[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> SignatureKey {
        SignatureKey::of(&format!("v2:test:registered/t{n}.py::test_x")).unwrap()
    }

    fn job(id: u64, category: Category) -> FailedJob {
        FailedJob {
            workflow: "pr-test-amd.yml".into(),
            amd: true,
            job_id: JobId::new(id),
            job_name: format!("stage-b-test-{id}"),
            job_url: format!("https://github.com/o/r/actions/runs/1/job/{id}"),
            run_url: "https://github.com/o/r/actions/runs/1".into(),
            category: Some(category),
            reason: "rule matched".into(),
            failed_tests: vec![format!("registered/t{id}.py::test_x")],
            flaky_tests: vec![],
            first_error: Some("AssertionError: 1 != 2".into()),
            signatures: vec![key(id as u8)],
        }
    }

    fn seen(n: u8, failed: bool) -> Sighting {
        Sighting {
            key: key(n),
            link: format!("https://github.com/bot/r/issues/7#job-{n}00"),
            failed,
        }
    }

    #[test]
    fn infra_beats_broken_trunk_which_beats_flaky_which_beats_new() {
        let sightings = [seen(1, true), seen(2, true), seen(3, true)];
        let mut flaky_and_trunk = job(2, Category::TestFailure);
        flaky_and_trunk.flaky_tests = vec!["registered/t9.py::test_y".into()];
        assert_eq!(
            classify(job(1, Category::Infrastructure), &sightings).class,
            Class::Infra
        );
        let trunk = classify(flaky_and_trunk, &sightings);
        assert_eq!(trunk.class, Class::BrokenTrunk);
        assert!(trunk
            .evidence
            .contains("https://github.com/bot/r/issues/7#job-200"));
        let mut retried = job(4, Category::Unknown);
        retried.flaky_tests = vec!["registered/t4.py::test_z".into()];
        let hard_too = retried.clone();
        retried.failed_tests.clear();
        assert_eq!(
            classify(hard_too, &sightings).class,
            Class::New,
            "a test that failed for good is the red, not the flaky one"
        );
        let flaky = classify(retried, &sightings);
        assert_eq!(flaky.class, Class::Flaky);
        assert!(flaky.evidence.contains("passed on retry"));
        let new = classify(job(5, Category::TestFailure), &sightings);
        assert_eq!(new.class, Class::New);
        assert!(new.evidence.contains("not seen on the base branch"));
    }

    #[test]
    fn gpu_errors_and_timeouts_are_judged_by_evidence_not_called_infra() {
        for c in [Category::GpuError, Category::Timeout, Category::Unknown] {
            assert_eq!(classify(job(1, c), &[]).class, Class::New, "{c:?}");
        }
    }

    #[test]
    fn a_signature_that_failed_and_passed_on_the_base_branch_is_flaky_with_both_links() {
        let c = classify(
            job(3, Category::TestFailure),
            &[seen(3, true), seen(3, false)],
        );
        assert_eq!(c.class, Class::Flaky);
        assert_eq!(c.evidence.matches("#job-300").count(), 2);
    }

    #[test]
    fn the_comment_starts_with_the_marker_then_the_heading_then_the_banner() {
        let pending = Pending {
            running: vec!["pr-test-amd-rocm720.yml".into()],
            awaiting_approval: vec!["pr-test.yml".into()],
            missing: vec!["amd-scout.yml".into()],
        };
        let facts = StatusFacts {
            pr: 42,
            head_sha: "0123456789abcdef",
            passed: 2,
            pending: &pending,
            banner: "> [!WARNING]\n> gap\n\n",
            base_note: None,
        };
        let jobs = [
            classify(job(1, Category::Infrastructure), &[]),
            classify(job(2, Category::TestFailure), &[]),
        ];
        let body = render(&facts, &jobs);
        assert!(body
            .starts_with("<!-- sglang-bot-ci-status -->\n## CI Status for PR #42\n\n> [!WARNING]"));
        assert!(body
            .contains("As of commit `0123456`: **1 new** · **1 infra** · 2 workflow(s) passed."));
        assert!(body.contains("**Running** (1): `pr-test-amd-rocm720.yml`"));
        assert!(body.contains("**Awaiting approval** (1): `pr-test.yml`"));
        assert!(body.contains("**Missing (expected, no run)** (1): `amd-scout.yml`"));
        assert!(body.contains("### New failures (1)"));
        let infra = &body[body.find("### Infrastructure").unwrap()..];
        assert!(infra.contains("Re-run failed jobs"));
        assert!(!body[..body.find("### Infrastructure").unwrap()].contains("Re-run failed jobs"));
    }

    #[test]
    fn untrusted_names_tests_and_errors_cannot_break_the_table() {
        let mut j = job(1, Category::TestFailure);
        j.job_name = "evil | <img src=x> ](http://x)".into();
        j.failed_tests = vec!["t.py::a|b\n| forged | row |".into()];
        j.first_error = Some("<script>|`x`".into());
        let body = render(
            &StatusFacts {
                pr: 1,
                head_sha: "abc",
                passed: 0,
                pending: &Pending::default(),
                banner: "",
                base_note: None,
            },
            &[classify(j, &[])],
        );
        let row = body.lines().find(|l| l.contains("evil")).unwrap();
        assert_eq!(row.matches(" | ").count(), 4, "{row}");
        assert!(!body.contains("<img") && !body.contains("<script>"));
        assert!(row.contains("\\](http://x)"), "{row}");
        assert_eq!(body.lines().filter(|l| l.contains("forged")).count(), 1);
    }

    #[test]
    fn a_huge_report_is_cut_within_the_limit_with_a_note() {
        let jobs: Vec<Classified> = (0..2000)
            .map(|i| {
                let mut j = job(i, Category::TestFailure);
                j.first_error = Some("E".repeat(200));
                classify(j, &[])
            })
            .collect();
        let body = render(
            &StatusFacts {
                pr: 1,
                head_sha: "abc",
                passed: 0,
                pending: &Pending::default(),
                banner: "",
                base_note: None,
            },
            &jobs,
        );
        assert!(body.chars().count() <= MAX_BODY_CHARS);
        assert!(body.contains("report cut to fit"));
        assert!(body.starts_with(STATUS_MARKER));
    }
}
