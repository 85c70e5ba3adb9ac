//! Failures clustered across workflows, and the comparison with yesterday's clusters.
//!
//! The clustering rule (deterministic, one key per failure):
//! 1. a job with saved signatures (`JobAnalysis::signatures`): one failure per signature key,
//!    keyed by it, so the same failure in two workflows or on two days is one cluster;
//! 2. a job without signatures (an LLM's report, the original bot's): one failure per row of
//!    its `### Failed Tests` table, keyed by the canonical `file::function`;
//! 3. a job with neither: one failure keyed by its report's `Failure Cluster` line
//!    (normalised), else by the workflow and job name (a cluster of its own).
//!
//! Yesterday's clusters come back from a hidden list in yesterday's block (keys, names and the
//! jobs they failed in), so the comparison is exact, not read from prose.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::sections::{failed_tests, first_line, section, TestRow};
use super::JobAnalysis;
use crate::domain::{JobId, SignatureKey};

/// One failure of one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub workflow: String,
    pub job_name: String,
    pub job_id: JobId,
    /// The run id, from the run URL (0 when it names none).
    pub run: u64,
    pub file: String,
    pub function: String,
    pub error: String,
}

/// Failures sharing a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub key: String,
    /// What the cluster is shown as (the signature text, the test, the cluster line).
    pub name: String,
    pub failures: Vec<Failure>,
}

impl Cluster {
    /// Distinct (workflow, job) pairs the cluster failed in.
    pub fn jobs(&self) -> BTreeSet<(String, String)> {
        self.failures
            .iter()
            .map(|f| (f.workflow.clone(), f.job_name.clone()))
            .collect()
    }

    /// Distinct workflows.
    pub fn workflows(&self) -> BTreeSet<&str> {
        self.failures.iter().map(|f| f.workflow.as_str()).collect()
    }
}

/// A run id from a run URL (`…/actions/runs/<id>`, a trailing `/` allowed).
pub fn run_id(run_url: &str) -> u64 {
    run_url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The signature texts a report lists under `### Failure Cluster`, by key.
fn signature_texts(analysis: &str) -> BTreeMap<SignatureKey, String> {
    section(analysis, "Failure Cluster")
        .unwrap_or("")
        .lines()
        .map(|l| {
            l.trim()
                .trim_start_matches(['-', '*'])
                .trim()
                .trim_matches('`')
        })
        .filter_map(|t| SignatureKey::of(t).map(|k| (k, t.to_string())))
        .collect()
}

fn failure(wf: &str, a: &JobAnalysis, row: Option<&TestRow>) -> Failure {
    Failure {
        workflow: wf.to_string(),
        job_name: a.job_name.clone(),
        job_id: a.job_id,
        run: run_id(&a.run_url),
        file: row.map_or_else(String::new, |r| r.file.clone()),
        function: row.map_or_else(String::new, |r| r.function.clone()),
        error: row.map_or_else(String::new, |r| r.error.clone()),
    }
}

/// The (key, name, failure) triples of one job, by the rule in the module doc.
fn failures_of(wf: &str, a: &JobAnalysis) -> Vec<(String, String, Failure)> {
    let tests = failed_tests(&a.analysis);
    if !a.signatures.is_empty() {
        let texts = signature_texts(&a.analysis);
        return a
            .signatures
            .iter()
            .map(|key| {
                let text = texts.get(key);
                let row = text.and_then(|t| tests.iter().find(|r| names_row(t, r)));
                let name = text.map_or_else(|| key.to_string(), |t| display_name(t));
                (key.to_string(), name, failure(wf, a, row))
            })
            .collect();
    }
    if !tests.is_empty() {
        return tests
            .iter()
            .map(|r| {
                let id = test_id(r);
                (format!("test:{id}"), id, failure(wf, a, Some(r)))
            })
            .collect();
    }
    let (key, name) = match first_line(&a.analysis, "Failure Cluster") {
        Some(line) => (
            format!("cluster:{}", crate::logs::normalize(&line).to_lowercase()),
            line,
        ),
        None => (
            format!("job:{wf}:{}", a.job_name),
            format!("{} failed (no test named)", a.job_name),
        ),
    };
    vec![(key, name, failure(wf, a, None))]
}

/// A signature text as people read it: `file::Class::test — Exception: message` for a test
/// (`v2:<kind>:<id>:<exception>:<message>`), `<category>: <text>` for another failure.
pub fn display_name(signature: &str) -> String {
    let mut parts = signature.splitn(3, ':');
    let (_version, kind, rest) = (parts.next(), parts.next().unwrap_or(""), parts.next());
    let Some(rest) = rest else {
        return signature.to_string();
    };
    // The id ends at the first single `:` (its own separators are `::`).
    let bytes = rest.as_bytes();
    let single = (0..bytes.len()).find(|&i| {
        bytes[i] == b':' && bytes.get(i + 1) != Some(&b':') && (i == 0 || bytes[i - 1] != b':')
    });
    let Some(at) = single.filter(|_| rest.contains("::") || rest.contains(".py")) else {
        return format!("{kind}: {rest}");
    };
    let (id, tail) = (&rest[..at], &rest[at + 1..]);
    let (exception, message) = tail.split_once(':').unwrap_or((tail, ""));
    let message = message.trim();
    let what = if exception == "-" || message.starts_with(exception) {
        message.to_string()
    } else if message.is_empty() {
        exception.to_string()
    } else {
        format!("{exception}: {message}")
    };
    let kind = if kind == "failed" {
        String::new()
    } else {
        format!(" ({kind})")
    };
    if what.is_empty() {
        format!("{id}{kind}")
    } else {
        format!("{id}{kind} — {what}")
    }
}

/// Whether a signature text (`v2:<kind>:<file>::<Class>::<function>:…`) is about a table row
/// (whose function cell may name the method without its class).
fn names_row(signature: &str, r: &TestRow) -> bool {
    if r.file.is_empty() {
        return false;
    }
    if r.function.is_empty() || r.function == "N/A" {
        return signature.contains(&format!(":{}:", r.file));
    }
    signature.contains(&format!(":{}::", r.file))
        && signature.contains(&format!("::{}:", r.function))
}

fn test_id(r: &TestRow) -> String {
    if r.function.is_empty() || r.function == "N/A" {
        r.file.clone()
    } else {
        format!("{}::{}", r.file, r.function)
    }
}

/// The day's clusters: most jobs first, then by name.
pub fn clusters(workflows: &[(String, Vec<JobAnalysis>)]) -> Vec<Cluster> {
    let mut by_key: BTreeMap<String, Cluster> = BTreeMap::new();
    for (wf, analyses) in workflows {
        for a in analyses {
            for (key, name, f) in failures_of(wf, a) {
                let c = by_key.entry(key.clone()).or_insert_with(|| Cluster {
                    key,
                    name,
                    failures: Vec::new(),
                });
                if !c.failures.contains(&f) {
                    c.failures.push(f);
                }
            }
        }
    }
    let mut out: Vec<Cluster> = by_key.into_values().collect();
    out.sort_by(|a, b| {
        b.jobs()
            .len()
            .cmp(&a.jobs().len())
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}

/// A job a cluster failed in, as the hidden list keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRef {
    #[serde(rename = "w")]
    pub workflow: String,
    #[serde(rename = "j")]
    pub job: String,
    /// The failing run (0 when unknown): a later run has a larger id, a re-run the same.
    #[serde(rename = "r", default)]
    pub run: u64,
    /// The failing job's id (a re-run's passing job has another).
    #[serde(rename = "i", default)]
    pub job_id: u64,
}

/// A cluster as the hidden list keeps it for tomorrow's comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterRef {
    #[serde(rename = "k")]
    pub key: String,
    #[serde(rename = "n")]
    pub name: String,
    #[serde(rename = "m", default)]
    pub members: Vec<MemberRef>,
}

/// Longest name kept in the hidden list.
const NAME_CHARS: usize = 120;

/// The hidden list of `clusters`.
pub fn refs(clusters: &[Cluster]) -> Vec<ClusterRef> {
    clusters
        .iter()
        .map(|c| {
            let mut members: Vec<MemberRef> = Vec::new();
            for f in &c.failures {
                let m = MemberRef {
                    workflow: f.workflow.clone(),
                    job: f.job_name.clone(),
                    run: f.run,
                    job_id: f.job_id.get(),
                };
                if !members.contains(&m) {
                    members.push(m);
                }
            }
            ClusterRef {
                key: c.key.clone(),
                name: c.name.chars().take(NAME_CHARS).collect(),
                members,
            }
        })
        .collect()
}

/// The hidden list read back; `None` when it is missing or not ours.
pub fn read_refs(json: &str) -> Option<Vec<ClusterRef>> {
    serde_json::from_str(json).ok()
}

/// Today's clusters against yesterday's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Keys of today's clusters absent yesterday.
    pub new: BTreeSet<String>,
    /// Keys of today's clusters also failing yesterday.
    pub still: BTreeSet<String>,
    /// Yesterday's clusters not seen today, each of whose jobs passed in a later completed run.
    pub fixed: Vec<ClusterRef>,
    /// Yesterday's clusters not seen today without such a passing run.
    pub not_seen: Vec<ClusterRef>,
}

/// Compares; `passed_later` holds the (workflow, job name) pairs a later completed run passed.
pub fn compare(
    today: &[Cluster],
    yesterday: &[ClusterRef],
    passed_later: &BTreeSet<(String, String)>,
) -> Comparison {
    let before: BTreeSet<&str> = yesterday.iter().map(|c| c.key.as_str()).collect();
    let now: BTreeSet<&str> = today.iter().map(|c| c.key.as_str()).collect();
    let mut out = Comparison::default();
    for c in today {
        if before.contains(c.key.as_str()) {
            out.still.insert(c.key.clone());
        } else {
            out.new.insert(c.key.clone());
        }
    }
    for c in yesterday.iter().filter(|c| !now.contains(c.key.as_str())) {
        let all_passed = !c.members.is_empty()
            && c.members
                .iter()
                .all(|m| passed_later.contains(&(m.workflow.clone(), m.job.clone())));
        if all_passed {
            out.fixed.push(c.clone());
        } else {
            out.not_seen.push(c.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: u64, name: &str, analysis: &str, sigs: &[&str]) -> JobAnalysis {
        JobAnalysis {
            job_id: JobId::new(id),
            job_name: name.into(),
            run_url: format!(
                "https://github.com/sgl-project/sglang/actions/runs/{}",
                id * 10
            ),
            analysis: analysis.into(),
            signatures: sigs.iter().map(|s| SignatureKey::of(s).unwrap()).collect(),
            ..JobAnalysis::default()
        }
    }

    const SIG_A: &str = "v2:failed:registered/a.py::C::test_a:AssertionError:boom";
    const SIG_B: &str = "v2:failed:registered/b.py::test_b:ValueError:bad";

    fn report(sigs: &[&str]) -> String {
        let rows: Vec<String> = sigs
            .iter()
            .map(|s| {
                let rest = &s["v2:failed:".len()..];
                let id = &rest[..rest.find(":A").or(rest.find(":V")).unwrap()];
                let (file, func) = id.split_once("::").unwrap();
                let func = func.rsplit("::").next().unwrap();
                format!("| `{file}` | `{func}` | `err of {func}` |")
            })
            .collect();
        let cluster: Vec<String> = sigs.iter().map(|s| format!("- `{s}`")).collect();
        format!(
            "### Failed Tests\n\n| Test File | Test Function | Error |\n|---|---|---|\n{}\n\n### Failure Cluster\n\n{}\n",
            rows.join("\n"),
            cluster.join("\n")
        )
    }

    #[test]
    fn failures_cluster_across_workflows_by_signature_then_test_then_cluster_line() {
        let workflows = vec![
            (
                "nightly.yml".to_string(),
                vec![job(1, "n-1", &report(&[SIG_A, SIG_B]), &[SIG_A, SIG_B])],
            ),
            (
                "pr.yml".to_string(),
                vec![
                    job(2, "p-1", &report(&[SIG_A]), &[SIG_A]),
                    // No signatures: keyed by its table's test.
                    job(3, "p-2", &report(&[SIG_B]), &[]),
                    // Neither: by its cluster line, then by the job.
                    job(4, "p-3", "### Failure Cluster\n\nHIP OOM on GPU 3\n", &[]),
                    job(5, "p-4", "nothing useful", &[]),
                ],
            ),
        ];
        let cs = clusters(&workflows);
        let a = &cs[0];
        assert_eq!(a.key, SignatureKey::of(SIG_A).unwrap().to_string());
        assert_eq!(a.name, "registered/a.py::C::test_a — AssertionError: boom");
        assert_eq!(a.workflows().len(), 2);
        assert_eq!(a.failures[0].file, "registered/a.py");
        assert_eq!(a.failures[0].function, "test_a");
        assert_eq!(a.failures[0].error, "err of test_a");
        assert_eq!(a.failures[0].run, 10);
        let keys: BTreeSet<&str> = cs.iter().map(|c| c.key.as_str()).collect();
        assert!(keys.contains("test:registered/b.py::test_b"), "{keys:?}");
        assert!(keys.contains("cluster:hip oom on gpu <id>"), "{keys:?}");
        assert!(keys.contains("job:pr.yml:p-4"), "{keys:?}");
        assert_eq!(cs.len(), 5);
    }

    #[test]
    fn signature_texts_are_shown_as_test_and_error() {
        assert_eq!(
            display_name(
                "v2:failed:srt/a.py::T::test_x:AssertionError:AssertionError: expected <n> got <n>"
            ),
            "srt/a.py::T::test_x — AssertionError: expected <n> got <n>"
        );
        assert_eq!(
            display_name("v2:timed_out:srt/b.py::test_y:-:"),
            "srt/b.py::test_y (timed_out)"
        );
        assert_eq!(
            display_name("v2:gpu_error:hip error: out of memory"),
            "gpu_error: hip error: out of memory"
        );
        assert_eq!(display_name("no version"), "no version");
    }

    #[test]
    fn new_still_fixed_and_not_seen_today() {
        let today = clusters(&[(
            "pr.yml".to_string(),
            vec![job(1, "p-1", &report(&[SIG_A]), &[SIG_A])],
        )]);
        let member = |job: &str| MemberRef {
            workflow: "pr.yml".into(),
            job: job.into(),
            run: 5,
            job_id: 50,
        };
        let yesterday = vec![
            ClusterRef {
                key: "test:x.py::gone_fixed".into(),
                name: "fixed one".into(),
                members: vec![member("p-9")],
            },
            ClusterRef {
                key: "test:y.py::gone_unknown".into(),
                name: "unknown one".into(),
                members: vec![member("p-8"), member("p-9")],
            },
        ];
        let passed = BTreeSet::from([("pr.yml".to_string(), "p-9".to_string())]);
        let cmp = compare(&today, &yesterday, &passed);
        assert_eq!(cmp.new.len(), 1);
        assert!(cmp.still.is_empty());
        assert_eq!(cmp.fixed[0].name, "fixed one");
        assert_eq!(
            cmp.not_seen[0].name, "unknown one",
            "only one of its jobs passed"
        );
        let again = refs(&today);
        let cmp2 = compare(&today, &again, &BTreeSet::new());
        assert_eq!(cmp2.still.len(), 1);
        assert!(cmp2.new.is_empty());
    }

    #[test]
    fn the_hidden_list_round_trips() {
        let cs = clusters(&[(
            "pr.yml".to_string(),
            vec![job(1, "p-1 (a>b)", &report(&[SIG_A]), &[SIG_A])],
        )]);
        let list = refs(&cs);
        let json = serde_json::to_string(&list).unwrap();
        assert_eq!(read_refs(&json), Some(list));
        assert_eq!(read_refs("not json"), None);
    }
}
