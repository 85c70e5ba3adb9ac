//! Text read back from GitHub is never trusted to have the shape we wrote: a timestamp or a
//! commit hash may be any text, in any script, of any length. These properties pin that the
//! readers and renderers never panic on it (no byte slicing inside a character).

use proptest::prelude::*;

use super::cross::{cross_run_comment, WindowRun};
use super::{parse_blocks, render_block, JobAnalysis, WorkflowReport};
use crate::domain::{minute_text, CommitSha, JobId, RunId};

/// Mostly non-ASCII, with the separators a timestamp has, so 16-character prefixes straddle
/// multi-byte characters.
fn hostile() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('é'),
            Just('日'),
            Just('🚀'),
            Just('-'),
            Just(':'),
            Just('T'),
            Just(' '),
            Just('"'),
            Just('<'),
            proptest::char::range('0', '9'),
            proptest::char::any(),
        ],
        0..40,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn analysis(started: &str, sha: &str) -> JobAnalysis {
    JobAnalysis {
        job_id: JobId::new(7),
        job_name: "job".into(),
        run_url: "https://github.com/sgl-project/sglang/actions/runs/1".into(),
        started_at: Some(started.to_string()),
        failed_steps: vec!["Run test".into()],
        analysis: format!("### Failed Tests\n{}", "x ".repeat(200)),
        head_sha: sha.parse().ok(),
        signatures: Vec::new(),
        since: None,
    }
}

proptest! {
    #[test]
    fn any_text_as_timestamp_or_hash_never_panics(started in hostile(), sha in hostile()) {
        let _ = minute_text(&started, ' ');
        if let Ok(parsed) = sha.parse::<CommitSha>() {
            prop_assert!(parsed.short().len() <= 7);
        }
        let a = analysis(&started, &sha);
        let block = render_block(&a);
        // What we read back is what we wrote, whatever the text.
        let back = parse_blocks(&block);
        prop_assert_eq!(back.len(), 1);
        prop_assert_eq!(back[0].started_at.as_deref(), Some(started.trim()).filter(|s| !s.is_empty()));

        // The same text arriving from a comment someone else shaped like ours.
        let forged = format!(
            "<!-- ci-monitor-job: 7 sha={sha} -->\n<details data-job-id=\"7\" data-run-url=\"u\" data-started-at=\"{started}\">\n<summary><b>n</b> — failed step(s): s</summary>\n\nbody\n\n</details>\n"
        );
        let _ = parse_blocks(&forged);

        let analyses = [a.clone(), JobAnalysis { job_id: JobId::new(8), ..a }];
        let parts = WorkflowReport {
            workflow: "wf.yml",
            analyses: &analyses,
            summary: None,
            pending: &[],
            unanalysed: &[],
            producer: "p",
            now: &started,
            upstream: "sgl-project/sglang",
        }
        .render_parts();
        prop_assert!(!parts.is_empty());
        let window = [WindowRun {
            id: RunId::new(1),
            url: "https://github.com/sgl-project/sglang/actions/runs/1".into(),
            started_at: started.clone(),
            completed: true,
            green: false,
            head_sha: sha.parse().ok(),
        }];
        let _ = cross_run_comment("wf.yml", &analyses, &window, &started, "p", Some(&sha));
    }
}
