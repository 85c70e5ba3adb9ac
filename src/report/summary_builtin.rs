//! The builtin daily summary: the layout `agent/CLAUDE.md` asks the agent for, filled from the
//! facts alone (clusters by saved signature, run counts and the 7-day trend, the comparison
//! with yesterday's hidden cluster list). Deterministic, so equal facts give equal text.

use std::fmt::Write as _;

use super::summary_clusters::{clusters, compare, Cluster, ClusterRef, Comparison};
use super::summary_facts::{SummaryFacts, WorkflowRuns};
use crate::domain::Day;

/// Clusters shown with their table; the rest are listed in one line each.
const CLUSTERS_SHOWN: usize = 25;
/// Rows of one cluster's table.
const ROWS_SHOWN: usize = 12;
/// Rows of one workflow's drill-down.
const DRILL_ROWS: usize = 30;

/// Untrusted text as one table-safe line: no HTML, no pipes, no newlines, bounded.
pub fn cell(text: &str, max: usize) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = one.chars().take(max).collect();
    if one.chars().count() > max {
        cut.push('…');
    }
    let safe = cut
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('`', "'");
    if safe.is_empty() {
        "—".into()
    } else {
        safe
    }
}

/// Link text that cannot end the link early.
fn link_text(text: &str) -> String {
    cell(text, 80).replace('[', "\\[").replace(']', "\\]")
}

/// The job page on the upstream repository (never an in-issue anchor).
fn job_link(upstream: &str, run: u64, job: u64, name: &str) -> String {
    if run == 0 {
        return link_text(name);
    }
    format!(
        "[{}](https://github.com/{upstream}/actions/runs/{run}/job/{job})",
        link_text(name)
    )
}

/// The builtin summary text (from its heading on; the wrapper adds markers and footer).
pub fn render(facts: &SummaryFacts) -> String {
    let today = clusters(&facts.workflows);
    let cmp = facts
        .yesterday_clusters
        .as_deref()
        .map(|y| compare(&today, y, &facts.passed_later));
    let mut order: Vec<usize> = (0..today.len()).collect();
    // New clusters first, then the clustering order (most jobs first); IDs in that order.
    order.sort_by_key(|&i| !is_new(cmp.as_ref(), &today[i].key));
    let mut ids = vec![String::new(); today.len()];
    for (rank, &i) in order.iter().enumerate() {
        ids[i] = format!("R{}", rank + 1);
    }
    let mut out = format!(
        "# Daily Cross-Workflow Summary — {}\n**Snapshot**: {} · Only completed runs counted · Built from the saved failure signatures (builtin, no LLM)\n\n",
        facts.date, facts.snapshot
    );
    tldr(&mut out, &today, cmp.as_ref(), &order, &ids);
    status_table(&mut out, facts);
    cluster_sections(&mut out, facts, &today, cmp.as_ref(), &order, &ids);
    yesterday_section(&mut out, facts, cmp.as_ref());
    drill_down(&mut out, facts, &today, &ids);
    out.push_str("## How this report is generated\n\n- Every failed job's saved failure signatures are its clusters (a job without signatures: each failed test, else its `Failure Cluster` line); one signature in several workflows is one cluster.\n- Runs: completed runs created that UTC day (✅ success, ❌ failure); runs still in flight are shown apart and left out of the trend.\n- New / still failing come from yesterday's hidden cluster list; a cluster gone today is **fixed** only when a later completed run of each of its jobs passed, else **not seen today**.\n");
    out
}

fn is_new(cmp: Option<&Comparison>, key: &str) -> bool {
    cmp.is_some_and(|c| c.new.contains(key))
}

fn tldr(
    out: &mut String,
    today: &[Cluster],
    cmp: Option<&Comparison>,
    order: &[usize],
    ids: &[String],
) {
    let new = cmp.map_or(0, |c| c.new.len());
    let (health, ask) = match (today.first(), order.first()) {
        (None, _) | (_, None) => (
            "🟢 GREEN",
            "nothing failed today; nothing to triage.".to_string(),
        ),
        (Some(_), Some(&first)) => {
            let c = &today[first];
            let label = format!("{} ({})", ids[first], cell(&c.name, 80));
            if new > 0 {
                (
                    "🔴 RED",
                    format!("triage the {new} new cluster(s), starting with {label}."),
                )
            } else {
                (
                    "🟡 YELLOW",
                    format!(
                        "follow up on {label}, failing in {} job(s).",
                        c.jobs().len()
                    ),
                )
            }
        }
    };
    let carried = match cmp {
        Some(c) => format!(
            "{} carrying over · {} fixed since yesterday · {} not seen today",
            c.still.len(),
            c.fixed.len(),
            c.not_seen.len()
        ),
        None => "no comparable summary yesterday".to_string(),
    };
    let _ = write!(
        out,
        "## TL;DR\n{health} · {} unique clusters · {new} NEW today · {carried}\n👉 **Today's ask**: {ask}\n\n",
        today.len()
    );
}

fn trend(runs: &WorkflowRuns) -> String {
    let marks: String = runs
        .days
        .iter()
        .map(|d| match (d.completed(), d.failed) {
            (0, _) => '·',
            (_, 0) => '✅',
            _ => '❌',
        })
        .collect();
    let green = runs
        .days
        .iter()
        .filter(|d| d.completed() > 0 && d.failed == 0)
        .count();
    let active = runs.days.iter().filter(|d| d.completed() > 0).count();
    format!("{marks} ({green}/{active} days green)")
}

fn status_table(out: &mut String, facts: &SummaryFacts) {
    out.push_str("## Workflow status\n| Workflow | Runs | ✅ | ❌ | 7d trend (completed runs only) | Δ vs yesterday |\n|---|---|---|---|---|---|\n");
    for (wf, _) in &facts.workflows {
        let Some(runs) = facts.runs.iter().find(|r| &r.workflow == wf) else {
            let _ = writeln!(
                out,
                "| `{}` | ? | ? | ? | (runs not read) | — |",
                cell(wf, 80)
            );
            continue;
        };
        let (t, y) = (runs.today(), runs.yesterday());
        let done = t.map_or(0, |t| t.completed());
        let in_flight = match runs.in_flight {
            0 => String::new(),
            n => format!(" (+{n} IN-FLIGHT)"),
        };
        let failed = t.map_or(0, |t| t.failed);
        let delta = match failed as i64 - y.map_or(0, |y| y.failed) as i64 {
            0 => "=".to_string(),
            d if d > 0 => format!("❌ +{d}"),
            d => format!("❌ {d}"),
        };
        let _ = writeln!(
            out,
            "| `{}` | {done}{in_flight} | {} | {failed} | {} | {delta} |",
            cell(wf, 80),
            t.map_or(0, |t| t.passed),
            trend(runs)
        );
    }
    out.push('\n');
}

fn cluster_sections(
    out: &mut String,
    facts: &SummaryFacts,
    today: &[Cluster],
    cmp: Option<&Comparison>,
    order: &[usize],
    ids: &[String],
) {
    out.push_str("## Failure clusters (deduplicated across all workflows)\n\n");
    if today.is_empty() {
        out.push_str("_No failed job was reported today._\n\n");
    }
    for (shown, &i) in order.iter().enumerate() {
        let c = &today[i];
        let status = match cmp {
            Some(cmp) if cmp.new.contains(&c.key) => "new today",
            Some(_) => "still failing since yesterday",
            None => "[unique] no comparable summary yesterday",
        };
        let badge = if is_new(cmp, &c.key) { " · 🆕" } else { "" };
        let spread = format!(
            "{} job(s) in {} workflow(s)",
            c.jobs().len(),
            c.workflows().len()
        );
        if shown >= CLUSTERS_SHOWN {
            let _ = writeln!(
                out,
                "- **{}**{badge} · {} — {spread} · {status}",
                ids[i],
                cell(&c.name, 120)
            );
            continue;
        }
        let _ = write!(
            out,
            "### {}{badge} · {} — {spread}\n- **Status**: {status}\n- **Key**: `{}`\n\n| Workflow | Job (shard) | Test File | Test Function | Error (one line) | Log |\n|---|---|---|---|---|---|\n",
            ids[i],
            cell(&c.name, 160),
            cell(&c.key, 120)
        );
        for f in c.failures.iter().take(ROWS_SHOWN) {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} |",
                cell(&f.workflow, 80),
                cell(&f.job_name, 80),
                cell(&f.file, 80),
                cell(&f.function, 80),
                cell(&f.error, 110),
                job_link(&facts.upstream, f.run, f.job_id.get(), "job log")
            );
        }
        if c.failures.len() > ROWS_SHOWN {
            let _ = writeln!(
                out,
                "\n_… and {} more failure(s) in this cluster._",
                c.failures.len() - ROWS_SHOWN
            );
        }
        out.push('\n');
    }
}

fn refs_list(out: &mut String, title: &str, refs: &[ClusterRef]) {
    if refs.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title}");
    for r in refs {
        let jobs: Vec<String> = r.members.iter().map(|m| cell(&m.job, 60)).collect();
        let _ = writeln!(out, "- {} — {}", cell(&r.name, 120), jobs.join(", "));
    }
    out.push('\n');
}

fn yesterday_section(out: &mut String, facts: &SummaryFacts, cmp: Option<&Comparison>) {
    out.push_str("## Compared with yesterday\n\n");
    let Some(cmp) = cmp else {
        let why = if facts.yesterday_text.is_some() {
            "yesterday's summary has no cluster list this bot can read (an older format)"
        } else {
            "there is no summary for yesterday"
        };
        let _ = writeln!(out, "_No comparison: {why}._\n");
        return;
    };
    let _ = writeln!(
        out,
        "{} new · {} still failing · {} fixed · {} not seen today\n",
        cmp.new.len(),
        cmp.still.len(),
        cmp.fixed.len(),
        cmp.not_seen.len()
    );
    refs_list(
        out,
        "**✅ Fixed** (a later completed run of each job passed):",
        &cmp.fixed,
    );
    refs_list(
        out,
        "**⚪ Not seen today** (no later passing run found; may still be broken):",
        &cmp.not_seen,
    );
}

fn drill_down(out: &mut String, facts: &SummaryFacts, today: &[Cluster], ids: &[String]) {
    out.push_str("## Workflow drill-down (per-workflow view)\n\n");
    for (wf, analyses) in facts.workflows.iter().filter(|(_, a)| !a.is_empty()) {
        let rows: Vec<String> = today
            .iter()
            .enumerate()
            .flat_map(|(i, c)| {
                c.failures
                    .iter()
                    .filter(move |f| &f.workflow == wf)
                    .map(move |f| (i, f))
            })
            .map(|(i, f)| {
                format!(
                    "| {} | {} | {} | {} | {} |",
                    job_link(&facts.upstream, f.run, f.job_id.get(), &f.job_name),
                    cell(&f.file, 80),
                    cell(&f.function, 80),
                    ids[i],
                    cell(&f.error, 110)
                )
            })
            .collect();
        let _ = write!(
            out,
            "<details><summary><b>{}</b> · {} failed job(s) · {} failure(s)</summary>\n\n| Job (shard) | Test File | Test Function | Cluster | Error |\n|---|---|---|---|---|\n",
            cell(wf, 80),
            analyses.len(),
            rows.len()
        );
        for row in rows.iter().take(DRILL_ROWS) {
            out.push_str(row);
            out.push('\n');
        }
        if rows.len() > DRILL_ROWS {
            let _ = writeln!(out, "\n_… and {} more._", rows.len() - DRILL_ROWS);
        }
        out.push_str("\n</details>\n\n");
    }
}

/// The day before `day`.
pub fn previous_day(day: Day) -> Day {
    Day::from(day.date().pred_opt().unwrap_or(day.date()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Conclusion, JobId, RunId, SignatureKey};
    use crate::report::summary_clusters::refs;
    use crate::report::summary_facts::{tally, RunFact};
    use crate::report::JobAnalysis;
    use std::collections::BTreeSet;

    const SIG: &str = "v2:failed:registered/a.py::C::test_a:AssertionError:x <n> | y";

    fn facts(yesterday: Option<Vec<ClusterRef>>) -> SummaryFacts {
        let date: Day = "2026-11-24".parse().unwrap();
        let job = JobAnalysis {
            job_id: JobId::new(77),
            job_name: "stage-a <b>|x</b>".into(),
            run_url: "https://github.com/sgl-project/sglang/actions/runs/9".into(),
            analysis: format!("### Failed Tests\n| Test File | Test Function | Error |\n|---|---|---|\n| `registered/a.py` | `C::test_a` | `AssertionError: x` |\n\n### Failure Cluster\n\n- `{SIG}`\n"),
            signatures: vec![SignatureKey::of(SIG).unwrap()],
            ..JobAnalysis::default()
        };
        let runs = [RunFact {
            id: RunId::new(9),
            day: date,
            completed: true,
            conclusion: Some(Conclusion::Failure),
        }];
        SummaryFacts {
            date,
            snapshot: "2026-11-24 06:00 UTC".into(),
            upstream: "sgl-project/sglang".into(),
            issue: 3,
            workflows: vec![("pr.yml".into(), vec![job]), ("nightly.yml".into(), vec![])],
            runs: vec![
                tally("pr.yml", &runs, date),
                tally("nightly.yml", &[], date),
            ],
            yesterday_text: yesterday.as_ref().map(|_| "y".into()),
            yesterday_clusters: yesterday,
            passed_later: BTreeSet::new(),
        }
    }

    #[test]
    fn the_builtin_summary_has_the_layout_links_to_job_pages_and_escapes_untrusted_text() {
        let text = render(&facts(None));
        assert!(text.starts_with(
            "# Daily Cross-Workflow Summary — 2026-11-24\n**Snapshot**: 2026-11-24 06:00 UTC"
        ));
        for heading in [
            "## TL;DR",
            "## Workflow status",
            "## Failure clusters (deduplicated across all workflows)",
            "## Workflow drill-down (per-workflow view)",
            "## How this report is generated",
        ] {
            assert!(text.contains(heading), "{heading}\n{text}");
        }
        assert!(text.contains("https://github.com/sgl-project/sglang/actions/runs/9/job/77"));
        assert!(!text.contains("#job-"));
        assert!(!text.contains("<b>|x"), "{text}");
        assert!(text.contains("stage-a &lt;b&gt;\\|x&lt;/b&gt;"), "{text}");
        // Every workflow has a status row, with none failing too.
        assert!(
            text.contains("| `nightly.yml` | 0 | 0 | 0 | ······· (0/0 days green) | = |"),
            "{text}"
        );
        assert!(
            text.contains("| `pr.yml` | 1 | 0 | 1 | ······❌ (0/1 days green) | ❌ +1 |"),
            "{text}"
        );
        assert!(text.contains("[unique] no comparable summary yesterday"));
        assert_eq!(render(&facts(None)), text, "deterministic");
    }

    #[test]
    fn with_yesterdays_list_clusters_are_new_or_carried_over() {
        let first = facts(None);
        let list = refs(&clusters(&first.workflows));
        let again = render(&facts(Some(list)));
        assert!(
            again.contains("🟡 YELLOW · 1 unique clusters · 0 NEW today · 1 carrying over"),
            "{again}"
        );
        assert!(again.contains("still failing since yesterday"));
        let new = render(&facts(Some(Vec::new())));
        assert!(
            new.contains("🔴 RED · 1 unique clusters · 1 NEW today"),
            "{new}"
        );
        assert!(new.contains("### R1 · 🆕 · "), "{new}");
    }

    #[test]
    fn the_previous_day_crosses_month_ends() {
        assert_eq!(
            previous_day("2026-12-01".parse().unwrap()).to_string(),
            "2026-11-30"
        );
    }
}
