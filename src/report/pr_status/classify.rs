//! Which class a PR's failed job belongs to, decided from evidence only: the log engine's
//! category, then the base branch's outcomes in the lookback window, then the job's own
//! retries. The precedence is INFRA > BROKEN TRUNK > FLAKY > NEW, and each label says what
//! it rests on, with links a reader can follow.

use chrono::{DateTime, Utc};

use super::{Class, Classified, FailedJob};
use crate::domain::SignatureKey;
use crate::logs::Category;
use crate::report::summary_builtin::cell;

/// What a failure is matched by across the PR and the base branch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchKey {
    /// A saved signature: the test, the kind of failure and its normalised message.
    Signature(SignatureKey),
    /// A canonical test id (`file::Class::test`), for base-branch entries saved without
    /// signatures (the original bot's comments, an LLM's report): read from their Failed
    /// Tests table.
    Test(String),
}

/// How a base-branch job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseVerdict {
    /// It failed, with these keys (its signatures when saved, else its failed tests).
    Failed(Vec<MatchKey>),
    /// It passed.
    Passed,
}

/// One job of a base-branch run in the lookback window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseOutcome {
    /// The workflow file.
    pub workflow: String,
    pub job_name: String,
    /// When the run started: the order in which outcomes alternate.
    pub at: DateTime<Utc>,
    /// The commit the run tested.
    pub sha: String,
    /// Whether that commit is the PR's merge base or one of its descendants (per the compare
    /// API); `false` when unknown.
    pub after_merge_base: bool,
    pub verdict: BaseVerdict,
    /// Where a reader sees it: the daily-issue entry (`#job-<id>`) of a failure, the job page
    /// of a pass.
    pub link: String,
}

impl BaseOutcome {
    /// Whether this is a failure of the same kind as `job`'s.
    pub fn same_failure_as(&self, job: &FailedJob) -> bool {
        let BaseVerdict::Failed(keys) = &self.verdict else {
            return false;
        };
        keys.iter().any(|k| match k {
            MatchKey::Signature(s) => job.signatures.contains(s),
            MatchKey::Test(t) => job.failed_tests.contains(t),
        })
    }

    fn same_job(&self, other: &BaseOutcome) -> bool {
        self.workflow == other.workflow && self.job_name == other.job_name
    }
}

/// The class of `job` given the outcomes of the base branch (named `base`, e.g. `main`) in
/// the lookback window.
pub fn classify(job: FailedJob, base: &[BaseOutcome], base_name: &str) -> Classified {
    let (class, evidence) = decide(&job, base, &cell(base_name, 60));
    Classified {
        job,
        class,
        evidence,
        why: None,
    }
}

/// The log engine's categories that mean the runner, host or network failed rather than the
/// code: only `Infrastructure` (lost runner, no space left, network, registry, no GPU device
/// visible). GPU errors and timeouts are judged like any failure (a PR can break a kernel or
/// hang a test), and a cancellation is not a failure verdict.
fn is_infra(category: Category) -> bool {
    matches!(category, Category::Infrastructure)
}

fn decide(job: &FailedJob, base: &[BaseOutcome], base_name: &str) -> (Class, String) {
    if let Some(c) = job.category.filter(|c| is_infra(*c)) {
        return (
            Class::Infra,
            format!("log engine: {} ({})", c.label(), cell(&job.reason, 160)),
        );
    }
    let failures: Vec<&BaseOutcome> = base.iter().filter(|o| o.same_failure_as(job)).collect();
    if let Some(trunk) = newest(failures.iter().copied().filter(|o| o.after_merge_base)) {
        return (
            Class::BrokenTrunk,
            format!(
                "same failure on `{base_name}` at `{}`, at or after the merge base: [daily-issue entry]({})",
                short(&trunk.sha),
                trunk.link
            ),
        );
    }
    if let Some((failed, passed)) = alternation(job, &failures, base) {
        return (
            Class::Flaky,
            format!(
                "fails and passes by turns on `{base_name}`: failed ([daily-issue entry]({})), passed ([job]({}))",
                failed.link, passed.link
            ),
        );
    }
    // Tests that passed on retry explain the red only when nothing failed for good.
    if !job.flaky_tests.is_empty() && job.failed_tests.is_empty() {
        let names: Vec<String> = job.flaky_tests.iter().map(|t| cell(t, 120)).collect();
        return (
            Class::Flaky,
            format!("passed on retry: {}", names.join(", ")),
        );
    }
    (Class::New, new_evidence(job, &failures, base_name))
}

/// The failure of the same kind that comes last, and a pass of the same job, when the job's
/// outcomes on the base branch change at least twice (fail → pass → fail, or pass → fail →
/// pass): a failure that comes and goes without a fix.
fn alternation<'a>(
    job: &FailedJob,
    failures: &[&'a BaseOutcome],
    base: &'a [BaseOutcome],
) -> Option<(&'a BaseOutcome, &'a BaseOutcome)> {
    for first in failures {
        let mut line: Vec<&BaseOutcome> = base
            .iter()
            .filter(|o| o.same_job(first))
            .filter(|o| o.verdict == BaseVerdict::Passed || o.same_failure_as(job))
            .collect();
        line.sort_by_key(|o| o.at);
        let failed = |o: &BaseOutcome| o.verdict != BaseVerdict::Passed;
        let changes = line
            .windows(2)
            .filter(|w| failed(w[0]) != failed(w[1]))
            .count();
        if changes >= 2 {
            let last_fail = newest(line.iter().copied().filter(|o| failed(o)))?;
            let last_pass = newest(line.iter().copied().filter(|o| !failed(o)))?;
            return Some((last_fail, last_pass));
        }
    }
    None
}

/// What a NEW label rests on: the absence of the failure on the base branch, said precisely.
fn new_evidence(job: &FailedJob, failures: &[&BaseOutcome], base_name: &str) -> String {
    if let Some(before) = newest(failures.iter().copied()) {
        return format!(
            "failed on `{base_name}` only before the merge base ([daily-issue entry]({})), not since",
            before.link
        );
    }
    if job.signatures.is_empty() && job.failed_tests.is_empty() {
        return "nothing in the log to compare with the base branch".into();
    }
    format!("not seen on `{base_name}` in the window")
}

fn newest<'a>(outcomes: impl Iterator<Item = &'a BaseOutcome>) -> Option<&'a BaseOutcome> {
    outcomes.max_by_key(|o| o.at)
}

fn short(sha: &str) -> String {
    cell(&sha.chars().take(7).collect::<String>(), 7)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    use crate::report::pr_status::test_key as key;

    use crate::report::pr_status::test_job as job;

    /// Job `n`'s failure (or pass) on the base branch, `hour` hours into the window.
    fn base(n: u64, hour: u32, failed: bool, after_merge_base: bool) -> BaseOutcome {
        BaseOutcome {
            workflow: "pr-test-amd.yml".into(),
            job_name: format!("stage-b-test-{n}"),
            at: Utc.with_ymd_and_hms(2026, 11, 20, hour, 0, 0).unwrap(),
            sha: format!("{n:02}{hour:02}abcdef"),
            after_merge_base,
            verdict: if failed {
                BaseVerdict::Failed(vec![MatchKey::Signature(key(n))])
            } else {
                BaseVerdict::Passed
            },
            link: format!("https://github.com/bot/r/issues/7#job-{n}{hour:02}"),
        }
    }

    fn class_of(j: FailedJob, base: &[BaseOutcome]) -> Classified {
        classify(j, base, "main")
    }

    #[test]
    fn infra_beats_broken_trunk_which_beats_flaky_which_beats_new() {
        let history = [
            base(1, 1, true, true),
            base(2, 1, true, true),
            base(2, 2, false, true),
            base(2, 3, true, true),
        ];
        let infra = class_of(job(1, Category::Infrastructure), &history);
        assert_eq!(infra.class, Class::Infra);
        let trunk = class_of(job(2, Category::TestFailure), &history);
        assert_eq!(trunk.class, Class::BrokenTrunk, "{}", trunk.evidence);
        assert!(
            trunk.evidence.contains("issues/7#job-203"),
            "the newest: {}",
            trunk.evidence
        );
        let mut retried = job(4, Category::Unknown);
        retried.flaky_tests = vec!["registered/t4.py::test_z".into()];
        retried.failed_tests.clear();
        let flaky = class_of(retried, &history);
        assert_eq!(flaky.class, Class::Flaky);
        assert!(flaky.evidence.contains("passed on retry"));
        let new = class_of(job(5, Category::TestFailure), &history);
        assert_eq!(new.class, Class::New);
        assert!(
            new.evidence.contains("not seen on `main`"),
            "{}",
            new.evidence
        );
    }

    #[test]
    fn a_test_that_failed_for_good_is_the_red_not_the_one_that_passed_on_retry() {
        let mut j = job(4, Category::TestFailure);
        j.flaky_tests = vec!["registered/t9.py::test_y".into()];
        assert_eq!(class_of(j, &[]).class, Class::New);
    }

    #[test]
    fn gpu_errors_and_timeouts_are_judged_by_evidence_not_called_infra() {
        for c in [Category::GpuError, Category::Timeout, Category::Unknown] {
            assert_eq!(class_of(job(1, c), &[]).class, Class::New, "{c:?}");
        }
    }

    #[test]
    fn a_failure_only_before_the_merge_base_is_new_and_says_where_it_was_seen() {
        let c = class_of(job(3, Category::TestFailure), &[base(3, 1, true, false)]);
        assert_eq!(c.class, Class::New);
        assert!(c.evidence.contains("only before the merge base"));
        assert!(c.evidence.contains("#job-301"));
    }

    #[test]
    fn a_failure_that_comes_and_goes_on_the_base_branch_is_flaky_with_both_links() {
        let history = [
            base(3, 1, false, false),
            base(3, 2, true, false),
            base(3, 3, false, false),
        ];
        let c = class_of(job(3, Category::TestFailure), &history);
        assert_eq!(c.class, Class::Flaky, "{}", c.evidence);
        assert!(c.evidence.contains("#job-302") && c.evidence.contains("#job-303"));
    }

    #[test]
    fn one_change_is_not_alternation_a_break_that_stays_or_a_fix_is_not_flaky() {
        for history in [
            [base(3, 1, false, false), base(3, 2, true, false)],
            [base(3, 1, true, false), base(3, 2, false, false)],
        ] {
            assert_eq!(
                class_of(job(3, Category::TestFailure), &history).class,
                Class::New
            );
        }
    }

    #[test]
    fn other_failures_of_the_same_job_do_not_count_as_this_one_coming_back() {
        let mut other = base(3, 3, true, false);
        other.verdict = BaseVerdict::Failed(vec![MatchKey::Signature(key(99))]);
        let history = [base(3, 1, true, false), base(3, 2, false, false), other];
        assert_eq!(
            class_of(job(3, Category::TestFailure), &history).class,
            Class::New
        );
    }

    #[test]
    fn entries_saved_without_signatures_match_by_their_failed_tests() {
        let mut old = base(6, 1, true, true);
        old.verdict = BaseVerdict::Failed(vec![MatchKey::Test("registered/t6.py::test_x".into())]);
        let c = class_of(job(6, Category::TestFailure), &[old]);
        assert_eq!(c.class, Class::BrokenTrunk);
    }

    #[test]
    fn a_job_whose_log_names_nothing_says_so_rather_than_not_seen() {
        let mut j = job(7, Category::Unknown);
        j.signatures.clear();
        j.failed_tests.clear();
        let c = class_of(j, &[]);
        assert_eq!(c.class, Class::New);
        assert!(c.evidence.contains("nothing in the log"));
    }
}
