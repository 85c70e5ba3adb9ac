//! Since when a job fails: the last run on the branch where it passed, the first where it
//! failed, and the commits between them (issue #16). Pure: the monitor reads the history and
//! the compare; this module walks it, renders the line and keeps the range in the job's
//! hidden marker (`<!-- ci-monitor-since: … -->`), so the tracker, `ci-status` and the
//! dashboard reuse it without new requests.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::markers::SINCE_MARKER_PREFIX;
use crate::domain::{CommitSha, JobId, RunId, SignatureKey};

/// One end of the range: a run, and the commit it ran on (what the compare link needs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPoint {
    /// The run (its page is `{repo}/actions/runs/{run}`).
    pub run: RunId,
    /// Its head commit.
    pub sha: CommitSha,
}

/// How the job ended in one run of the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    /// It succeeded: the run is green for this job.
    Passed,
    /// It failed.
    Failed,
    /// Absent, skipped, cancelled or unfinished: says nothing either way.
    Silent,
}

/// One run of the history, newest first, as the walk sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRun {
    /// The run and its commit.
    pub point: RunPoint,
    /// `YYYY-MM-DD` of the run's creation.
    pub day: String,
    /// How the job ended in it.
    pub outcome: JobOutcome,
    /// The keys of the failures its report saved, when that report could be read (only
    /// meaningful for a failed run; `None`: unknown, never "none").
    pub signatures: Option<Vec<SignatureKey>>,
}

/// Since when one failure of the job (by signature key) is seen, kept only when it differs
/// from the job's own range: a newer failure on top of an older one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureSince {
    /// The failure's key (as in the job's `sig=` list).
    pub key: SignatureKey,
    /// The oldest run of the streak whose report shows this failure.
    pub first_seen: RunPoint,
    /// The run just before it, whose report shows the job failing without it.
    pub before: RunPoint,
}

/// Since when a job fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SinceRange {
    /// The oldest run of the unbroken failing streak that ends at the reported run.
    pub first_red: RunPoint,
    /// The run just before the streak where the job passed; `None` when the history read
    /// holds no green run of it.
    pub last_green: Option<RunPoint>,
    /// Commits in `first_red` that `last_green` does not have (the compare's `ahead_by`).
    #[serde(default)]
    pub commits: Option<u64>,
    /// Runs of the streak (the reported one included).
    pub failing_runs: u32,
    /// `YYYY-MM-DD` of the first red run.
    pub since: String,
    /// The history was cut short by the request budget: older runs were not read.
    #[serde(default)]
    pub cut: bool,
    /// Failures of the job that started later than the job's range says, each with its own.
    #[serde(default)]
    pub signatures: Vec<SignatureSince>,
}

/// What the walk found before the compare: the range without its commit count.
pub fn walk(reported: RunPoint, reported_day: &str, older: &[HistoryRun]) -> SinceRange {
    let mut range = SinceRange {
        first_red: reported,
        last_green: None,
        commits: None,
        failing_runs: 1,
        since: reported_day.to_string(),
        cut: false,
        signatures: Vec::new(),
    };
    for run in older {
        match run.outcome {
            JobOutcome::Passed => {
                range.last_green = Some(run.point.clone());
                break;
            }
            JobOutcome::Failed => {
                range.first_red = run.point.clone();
                range.since = run.day.clone();
                range.failing_runs += 1;
            }
            JobOutcome::Silent => {}
        }
    }
    range
}

/// For each of the reported job's failure `keys`, where it starts in `older` (the history
/// the job's range was walked over, newest first): the oldest failed run whose report shows
/// it, and the failed run before it whose report lacks it. Kept only when the reports show
/// that it started later than the job's own first red run (a newer failure on top of an
/// older one); a report that cannot be read says nothing, so nothing is claimed.
pub fn signature_ranges(
    keys: &[SignatureKey],
    range: &SinceRange,
    reported: &RunPoint,
    older: &[HistoryRun],
) -> Vec<SignatureSince> {
    let mut out = Vec::new();
    for key in keys {
        let mut first = reported.clone();
        let mut before = None;
        for run in older {
            match (run.outcome, &run.signatures) {
                (JobOutcome::Silent, _) => continue,
                (JobOutcome::Passed, _) => before = Some(run.point.clone()),
                (JobOutcome::Failed, Some(keys)) if keys.contains(key) => {
                    first = run.point.clone();
                    continue;
                }
                (JobOutcome::Failed, Some(_)) => before = Some(run.point.clone()),
                // An unreadable report: this failure is at least as old as `first`.
                (JobOutcome::Failed, None) => {}
            }
            break;
        }
        if let Some(before) = before.filter(|_| first != range.first_red) {
            out.push(SignatureSince {
                key: key.clone(),
                first_seen: first,
                before,
            });
        }
    }
    out
}

/// `https://github.com/o/r` of a run URL `https://github.com/o/r/actions/runs/N`.
fn repo_url(run_url: &str) -> Option<&str> {
    run_url.find("/actions/runs/").map(|at| &run_url[..at])
}

/// Markdown prefix of the line, so a block read back loses it (the marker keeps the range).
pub const LINE_PREFIX: &str = "**Since when**: ";

/// The line shown at the top of the job's block; `run_url` is the job's run's page.
pub fn render_line(range: &SinceRange, run_url: &str) -> String {
    let repo = repo_url(run_url).unwrap_or("https://github.com");
    let run = |p: &RunPoint| {
        format!(
            "[run {}]({repo}/actions/runs/{}) (`{}`)",
            p.run,
            p.run,
            p.sha.short()
        )
    };
    let body = match &range.last_green {
        Some(green) => {
            let commits = match range.commits {
                Some(1) => "1 commit".to_string(),
                Some(n) => format!("{n} commits"),
                None => "the commits".to_string(),
            };
            format!(
                "last green {}, first red {}: [{commits} between them]({repo}/compare/{}...{})",
                run(green),
                run(&range.first_red),
                green.sha,
                range.first_red.sha
            )
        }
        None if range.failing_runs == 1 && !range.cut => format!(
            "failing in its only run in the history, {} ({}); no earlier run of this job was found",
            range.since,
            run(&range.first_red)
        ),
        None if range.cut => format!(
            "failing in all {} runs read since {}, first red {}; older runs were not read (history request budget)",
            range.failing_runs,
            range.since,
            run(&range.first_red)
        ),
        None => format!(
            "failing in all {} runs since {}, first red {}",
            range.failing_runs,
            range.since,
            run(&range.first_red)
        ),
    };
    let mut line = format!("{LINE_PREFIX}{body}");
    for sig in &range.signatures {
        line.push_str(&format!(
            "\n- failure `{}` is newer: first seen in {}; {} failed without it: [the commits between them]({repo}/compare/{}...{})",
            sig.key,
            run(&sig.first_seen),
            run(&sig.before),
            sig.before.sha,
            sig.first_seen.sha
        ));
    }
    line
}

/// The hidden marker keeping the range: `<!-- ci-monitor-since: JOB red=RUN@SHA failing=N
/// since=DAY[ green=RUN@SHA][ commits=N][ sigs=KEY/RUN@SHA/RUN@SHA;…][ cut] -->` (each
/// `sigs` entry: a newer failure, the run it was first seen in, the run before it).
pub fn marker(job: JobId, range: &SinceRange) -> String {
    let point = |p: &RunPoint| format!("{}@{}", p.run, p.sha);
    let mut text = format!(
        "{SINCE_MARKER_PREFIX}{job} red={} failing={} since={}",
        point(&range.first_red),
        range.failing_runs,
        range.since
    );
    if let Some(green) = &range.last_green {
        text.push_str(&format!(" green={}", point(green)));
    }
    if let Some(n) = range.commits {
        text.push_str(&format!(" commits={n}"));
    }
    if !range.signatures.is_empty() {
        let entries: Vec<String> = range
            .signatures
            .iter()
            .map(|s| format!("{}/{}/{}", s.key, point(&s.first_seen), point(&s.before)))
            .collect();
        text.push_str(&format!(" sigs={}", entries.join(";")));
    }
    if range.cut {
        text.push_str(" cut");
    }
    text.push_str(" -->");
    text
}

fn marker_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"<!-- ci-monitor-since: (\d+) red=(\d+)@([0-9a-fA-F]{4,64}) failing=(\d+) since=(\d{4}-\d{2}-\d{2})(?: green=(\d+)@([0-9a-fA-F]{4,64}))?(?: commits=(\d+))?(?: sigs=([0-9A-Za-z@/;-]+))?( cut)? -->",
        )
        .expect("since marker regex")
    })
}

/// The range saved for `job` in `text` (the last marker for it wins); `None` when there is
/// none or it does not parse.
pub fn read_marker(text: &str, job: JobId) -> Option<SinceRange> {
    let caps = marker_re()
        .captures_iter(text)
        .filter(|c| c[1].parse::<JobId>().ok() == Some(job))
        .last()?;
    let point = |run: usize, sha: usize| -> Option<RunPoint> {
        Some(RunPoint {
            run: caps.get(run)?.as_str().parse().ok()?,
            sha: caps.get(sha)?.as_str().parse().ok()?,
        })
    };
    Some(SinceRange {
        first_red: point(2, 3)?,
        last_green: point(6, 7),
        commits: caps.get(8).and_then(|n| n.as_str().parse().ok()),
        failing_runs: caps[4].parse().ok()?,
        since: caps[5].to_string(),
        cut: caps.get(10).is_some(),
        signatures: caps
            .get(9)
            .map(|list| {
                list.as_str()
                    .split(';')
                    .filter_map(read_signature)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// One `KEY/FIRST_SEEN_RUN@SHA/BEFORE_RUN@SHA` entry of the marker's `sigs=` list.
fn read_signature(entry: &str) -> Option<SignatureSince> {
    let mut parts = entry.split('/');
    let key = parts.next()?.parse().ok()?;
    let point = |text: &str| -> Option<RunPoint> {
        let (run, sha) = text.split_once('@')?;
        Some(RunPoint {
            run: run.parse().ok()?,
            sha: sha.parse().ok()?,
        })
    };
    let first_seen = point(parts.next()?)?;
    let before = point(parts.next()?)?;
    Some(SignatureSince {
        key,
        first_seen,
        before,
    })
}

/// `body` without a since-line at its start (the line is rendered from the marker).
pub fn strip_line(body: &str) -> &str {
    if !body.starts_with(LINE_PREFIX) {
        return body;
    }
    match body.find("\n\n") {
        Some(at) => body[at..].trim_start(),
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(run: u64, digit: char) -> RunPoint {
        RunPoint {
            run: RunId::new(run),
            sha: digit.to_string().repeat(40).parse().expect("sha"),
        }
    }

    fn run(id: u64, digit: char, day: &str, outcome: JobOutcome) -> HistoryRun {
        HistoryRun {
            point: point(id, digit),
            day: day.into(),
            outcome,
            signatures: None,
        }
    }

    #[test]
    fn the_walk_stops_at_the_first_green_run_and_skips_runs_without_the_job() {
        let older = [
            run(3, '3', "2026-11-23", JobOutcome::Failed),
            run(25, 'a', "2026-11-22", JobOutcome::Silent),
            run(2, '2', "2026-11-22", JobOutcome::Passed),
            run(1, '1', "2026-11-21", JobOutcome::Failed),
        ];
        let range = walk(point(4, '4'), "2026-11-24", &older);
        assert_eq!(range.first_red, point(3, '3'));
        assert_eq!(range.last_green, Some(point(2, '2')));
        assert_eq!(
            (range.failing_runs, range.since.as_str()),
            (2, "2026-11-23")
        );
    }

    #[test]
    fn without_a_green_run_the_range_says_how_many_runs_failed_since_when() {
        let older = [run(2, '2', "2026-11-20", JobOutcome::Failed)];
        let range = walk(point(4, '4'), "2026-11-24", &older);
        assert_eq!(range.last_green, None);
        let line = render_line(&range, "https://github.com/o/r/actions/runs/4");
        assert_eq!(
            line,
            "**Since when**: failing in all 2 runs since 2026-11-20, first red [run 2](https://github.com/o/r/actions/runs/2) (`2222222`)"
        );
    }

    #[test]
    fn the_marker_round_trips_every_field_and_a_marker_of_another_job_is_not_read() {
        let mut range = walk(
            point(4, '4'),
            "2026-11-24",
            &[run(2, '2', "2026-11-22", JobOutcome::Passed)],
        );
        range.commits = Some(3);
        let text = format!(
            "{}\n{}",
            marker(JobId::new(8), &range),
            marker(
                JobId::new(9),
                &SinceRange {
                    cut: true,
                    last_green: None,
                    commits: None,
                    ..range.clone()
                }
            )
        );
        assert_eq!(read_marker(&text, JobId::new(8)), Some(range.clone()));
        let cut = read_marker(&text, JobId::new(9)).expect("job 9");
        assert!(cut.cut && cut.last_green.is_none());
        assert_eq!(read_marker(&text, JobId::new(10)), None);
        assert_eq!(
            render_line(&range, "https://github.com/o/r/actions/runs/4"),
            "**Since when**: last green [run 2](https://github.com/o/r/actions/runs/2) (`2222222`), first red [run 4](https://github.com/o/r/actions/runs/4) (`4444444`): [3 commits between them](https://github.com/o/r/compare/2222222222222222222222222222222222222222...4444444444444444444444444444444444444444)"
        );
    }

    fn key(n: u8) -> SignatureKey {
        format!("v2-{:016x}", u64::from(n)).parse().expect("key")
    }

    #[test]
    fn a_failure_newer_than_the_jobs_range_is_named_with_its_own_and_the_marker_keeps_it() {
        // Run 4 (reported) fails with keys 1 and 2; run 3's report shows key 1 only; run 2
        // passed. Key 1 is as old as the job's failure (run 3); key 2 started in run 4.
        let mut r3 = run(3, '3', "2026-11-23", JobOutcome::Failed);
        r3.signatures = Some(vec![key(1)]);
        let older = [r3, run(2, '2', "2026-11-22", JobOutcome::Passed)];
        let reported = point(4, '4');
        let mut range = walk(reported.clone(), "2026-11-24", &older);
        range.signatures = signature_ranges(&[key(1), key(2)], &range, &reported, &older);
        assert_eq!(
            range.signatures,
            vec![SignatureSince {
                key: key(2),
                first_seen: point(4, '4'),
                before: point(3, '3'),
            }]
        );
        let text = marker(JobId::new(8), &range);
        assert!(
            text.contains(&format!(
                " sigs={}/4@{}/3@{} -->",
                key(2),
                "4".repeat(40),
                "3".repeat(40)
            )),
            "{text}"
        );
        assert_eq!(read_marker(&text, JobId::new(8)), Some(range.clone()));
        let line = render_line(&range, "https://github.com/o/r/actions/runs/4");
        assert!(
            line.ends_with(&format!("\n- failure `{}` is newer: first seen in [run 4](https://github.com/o/r/actions/runs/4) (`4444444`); [run 3](https://github.com/o/r/actions/runs/3) (`3333333`) failed without it: [the commits between them](https://github.com/o/r/compare/{}...{})", key(2), "3".repeat(40), "4".repeat(40))),
            "{line}"
        );
    }

    #[test]
    fn an_unreadable_report_claims_nothing_about_a_failure() {
        // Run 3's report cannot be read: whether key 2 is newer is unknown, so it is not listed.
        let older = [
            run(3, '3', "2026-11-23", JobOutcome::Failed),
            run(2, '2', "2026-11-22", JobOutcome::Passed),
        ];
        let reported = point(4, '4');
        let range = walk(reported.clone(), "2026-11-24", &older);
        assert!(signature_ranges(&[key(2)], &range, &reported, &older).is_empty());
    }

    #[test]
    fn a_job_with_no_earlier_run_says_so_in_the_singular() {
        let range = walk(point(4, '4'), "2026-11-24", &[]);
        assert_eq!(
            render_line(&range, "https://github.com/o/r/actions/runs/4"),
            "**Since when**: failing in its only run in the history, 2026-11-24 ([run 4](https://github.com/o/r/actions/runs/4) (`4444444`)); no earlier run of this job was found"
        );
    }

    #[test]
    fn the_line_is_stripped_from_a_body_read_back_and_other_bodies_stay() {
        assert_eq!(
            strip_line("**Since when**: x\n\n### Commit Info\n"),
            "### Commit Info\n"
        );
        assert_eq!(strip_line("### Commit Info\n"), "### Commit Info\n");
    }
}
