//! The builtin report: the same section headings the LLM backends use, filled from the
//! analysis alone. Log text is untrusted: it only ever appears inside code spans (no HTML, no
//! @-mentions, no links), with table pipes escaped.

use crate::steplink::{ApiStep, LogLink, StepMap};
use crate::{Category, EvidenceSource, LogAnalysis};

/// Context lines shown before the first error annotation.
const TAIL_SHOWN: usize = 5;

/// Links and names the log itself does not know.
#[derive(Debug, Clone, Default)]
pub struct ReportContext {
    /// The job's page, for "see the log" links.
    pub job_url: Option<String>,
    /// The commit the job ran on.
    pub commit: Option<String>,
    /// `owner/name` of the repository, for the commit link.
    pub repo: Option<String>,
    /// The job's steps as the jobs API lists them, so lines link to GitHub's log viewer
    /// (`#step:N:L`); empty when unknown (a local file).
    pub steps: Vec<ApiStep>,
}

/// Where lines link to: the job page and the log's sections matched with its API steps.
struct Links<'a> {
    job_url: Option<&'a str>,
    map: StepMap,
}

impl Links<'_> {
    fn new<'a>(a: &LogAnalysis, ctx: &'a ReportContext) -> Links<'a> {
        let failing_line = a.failing_step().map(|s| s.first_line);
        Links {
            job_url: ctx.job_url.as_deref(),
            map: StepMap::new(&a.run_sections, &ctx.steps, failing_line),
        }
    }

    /// `[step N, line L](url#step:N:L)`, `[step N](url#step:N)`, or `None` when only the job
    /// page is known (the caller says the log line instead).
    fn to_line(&self, line: u64) -> Option<String> {
        let url = self.job_url?;
        let link = self.map.link(line);
        let text = match link {
            LogLink::Line { step, line } => format!("step {step}, line {line}"),
            LogLink::Step { step } => format!("step {step}"),
            LogLink::Job => return None,
        };
        Some(format!("[{text}]({url}{})", link.fragment()))
    }

    /// ` ([step N, line L](…))` after a log line number, or nothing.
    fn suffix(&self, line: u64) -> String {
        self.to_line(line)
            .map(|l| format!(" ({l})"))
            .unwrap_or_default()
    }
}

/// Text as an inline code span that renders literally, whatever it contains.
fn code(text: &str, in_table: bool) -> String {
    let mut t = text.replace(['\n', '\r'], " ");
    if in_table {
        t = t.replace('|', "\\|");
    }
    let longest = t.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    if longest == 0 && !t.is_empty() {
        return format!("`{t}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {t} {fence}")
}

fn duration(secs: f64) -> String {
    let s = secs.round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        _ => format!("{}h {}m", s / 3600, (s % 3600) / 60),
    }
}

/// Renders the analysis as the per-job report.
pub fn render_markdown(a: &LogAnalysis, ctx: &ReportContext) -> String {
    let links = Links::new(a, ctx);
    let mut out = String::new();
    if let Some(commit) = &ctx.commit {
        out.push_str("### Commit Info\n\n");
        match &ctx.repo {
            Some(repo) => out.push_str(&format!(
                "- **Commit**: [`{}`](https://github.com/{repo}/commit/{commit})\n",
                &commit[..commit.len().min(7)]
            )),
            None => out.push_str(&format!("- **Commit**: {}\n", code(commit, false))),
        }
        out.push('\n');
    }

    out.push_str("### Failure Summary\n\n");
    out.push_str(&format!("- **Category**: {}\n", a.category.label()));
    if let Some(why) = &a.why {
        // Our words and counts only (exception names are identifiers): plain text.
        out.push_str(&format!("- **In one line**: {why}\n"));
    }
    out.push_str(&format!("- **Why**: {}\n", code(&a.reason, false)));
    if let Some(step) = a.failing_step() {
        out.push_str(&failing_step_line(step, &links));
    }
    if let Some(summary) = &a.test_summary {
        out.push_str(&format!("- **Test run**: {}\n", code(summary, false)));
    }
    out.push('\n');

    if !a.failed_tests.is_empty() {
        let linked = links.job_url.is_some();
        out.push_str(if linked {
            "### Failed Tests\n\n| Test File | Test Function | Error | Log |\n|---|---|---|---|\n"
        } else {
            "### Failed Tests\n\n| Test File | Test Function | Error |\n|---|---|---|\n"
        });
        for t in &a.failed_tests {
            let file = t.file.as_deref().map_or("—".to_string(), |f| code(f, true));
            let mut error = t
                .message
                .as_deref()
                .map_or("—".to_string(), |m| code(m, true));
            if t.timed_out {
                error = format!("⏱ {error}");
            }
            if t.crashed {
                error = format!("💥 {error}");
            }
            if t.retried {
                error = format!("{error} (failed on every retry)");
            }
            let log = if linked {
                let cell = links
                    .to_line(t.line)
                    .unwrap_or_else(|| format!("line {}", t.line));
                format!(" {cell} |")
            } else {
                String::new()
            };
            out.push_str(&format!(
                "| {file} | {} | {error} |{log}\n",
                code(test_function(t), true)
            ));
        }
        out.push('\n');
    }

    if !a.flaky.is_empty() {
        out.push_str("### Passed on Retry (flaky, not counted as failures)\n\n| Test File | Test Function | First Error |\n|---|---|---|\n");
        for t in &a.flaky {
            let file = t.file.as_deref().map_or("—".to_string(), |f| code(f, true));
            let error = t
                .message
                .as_deref()
                .map_or("—".to_string(), |m| code(m, true));
            out.push_str(&format!(
                "| {file} | {} | {error} |\n",
                code(test_function(t), true)
            ));
        }
        out.push('\n');
    }

    let shown: Vec<_> = a
        .evidence
        .iter()
        .filter(|e| e.source != EvidenceSource::Tail || a.category == Category::Unknown)
        .rev()
        .take(15)
        .collect();
    if !shown.is_empty() {
        out.push_str("### Evidence\n\n");
        // The failing step is named once above; each line says only where it is.
        for e in shown.into_iter().rev() {
            out.push_str(&format!(
                "- line {}{}: {}\n",
                e.line,
                links.suffix(e.line),
                code(&e.text, false)
            ));
        }
        if let Some(url) = &ctx.job_url {
            out.push_str(&format!("\nFull log: [job page]({url})\n"));
        }
        out.push('\n');
    }

    if !a.cut_lines.is_empty() {
        out.push_str(&format!(
            "### Lines Cut Short\n\nOnly the first {} KiB of a line are analysed; the unread rest of these held an error:\n\n",
            crate::linebuf::MAX_LINE / 1024
        ));
        for c in a.cut_lines.iter().take(TAIL_SHOWN) {
            out.push_str(&format!("- line {}: {}\n", c.line, code(&c.text, false)));
        }
        out.push('\n');
    }

    // Without failed tests, the lines before the first error annotation are often the
    // message that explains it (a daemon or pip error that is no exception).
    if a.failed_tests.is_empty() && !a.error_context.is_empty() {
        out.push_str("### Last Lines Before the Error\n\n");
        for e in a.error_context.iter().take(TAIL_SHOWN) {
            out.push_str(&format!("- line {}: {}\n", e.line, code(&e.text, false)));
        }
        out.push('\n');
    }

    if !a.signatures.is_empty() {
        // First a short symptom name (what readers of the section's first line, such as the
        // failure tracker, show), then every signature.
        out.push_str(&format!("### Failure Cluster\n\n{}\n\n", cluster_name(a)));
        for s in a.signatures.iter().take(10) {
            out.push_str(&format!("- {}\n", code(s, false)));
        }
        if a.signatures.len() > 10 {
            out.push_str(&format!("- … and {} more\n", a.signatures.len() - 10));
        }
        out.push('\n');
    }

    out.push_str("### Status (factual, no priority)\n\n");
    out.push_str(&format!(
        "Analysed from the job log alone ({}) by the builtin analyser: no source checkout, no LLM.\n",
        match a.lines {
            1 => "1 line".to_string(),
            n => format!("{n} lines"),
        }
    ));
    out
}

/// The failing step: the API's name for it when the log's section maps to one (so the job
/// table's failed step and this line agree), with a link to where it starts.
fn failing_step_line(step: &crate::Step, links: &Links<'_>) -> String {
    let took = step
        .duration_secs
        .map(|d| format!(", {}", duration(d)))
        .unwrap_or_default();
    let api = links.map.link(step.first_line).step();
    let name = api
        .and_then(|n| links.map.name(n))
        .unwrap_or_else(|| step.display_name());
    let number = match (api, links.job_url) {
        (Some(n), Some(url)) => format!("[step {n}]({url}#step:{n}), "),
        (Some(n), None) => format!("step {n}, "),
        _ => String::new(),
    };
    format!(
        "- **Failing step**: {} ({number}log lines {}–{}{took})\n",
        code(name, false),
        step.first_line,
        step.last_line
    )
}

/// A one-line name for the job's failure: the first failed test's normalised message (and how
/// many others there are), or the category and reason when no test failed. Plain text (no
/// markup can start in it): it is shown as is, outside code spans.
fn cluster_name(a: &LogAnalysis) -> String {
    let name = match a.failed_tests.first() {
        Some(t) => {
            let message = t
                .message
                .as_deref()
                .map_or_else(|| format!("{} failed", t.name), crate::signature::normalize);
            match a.failed_tests.len() - 1 {
                0 => message,
                n => format!("{message} (+{n} more failed test(s))"),
            }
        }
        None => format!(
            "{}: {}",
            a.category.label(),
            crate::signature::normalize(&a.reason)
        ),
    };
    // Outside a code span: placeholders such as `<n>` would read as HTML tags, so they are
    // written with angle quotes, and a backtick cannot open a span.
    let line = name
        .replace(['\n', '\r', '`'], " ")
        .replace('<', "‹")
        .replace('>', "›");
    match line.char_indices().nth(120) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}

/// The Test Function cell: the test's id after its file (`Class::test_y`, or `test_y` for a
/// plain function), so the file and function cells name one test even when two classes of a
/// file have a test of the same name (the tracker keys its rows by these two cells).
fn test_function(t: &crate::FailedTest) -> &str {
    t.file
        .as_deref()
        .and_then(|f| t.id.strip_prefix(f))
        .and_then(|rest| rest.strip_prefix("::"))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(&t.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_failure_cluster_section_opens_with_a_short_symptom_name() {
        let section = |log: &str| {
            let md = render_markdown(
                &crate::analyze_bytes(log.as_bytes()),
                &ReportContext::default(),
            );
            md.split("### Failure Cluster\n\n")
                .nth(1)
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(
            section("FAILED test/a.py::T::test_x - AssertionError: expected 3 got 2\nFAILED test/a.py::T::test_y - KeyError: k\n"),
            "AssertionError: expected ‹n› got ‹n› (+1 more failed test(s))"
        );
        let oom = section("##[group]Run x\ntorch.OutOfMemoryError: HIP out of memory. Tried to allocate 2.00 GiB\n##[error]Process completed with exit code 1.\n");
        assert!(
            !oom.starts_with('-') && !oom.contains('`') && !oom.is_empty(),
            "{oom}"
        );
    }

    #[test]
    fn the_test_function_cell_keeps_the_class_so_file_and_function_name_one_test() {
        let log = "FAILED test/registered/amd/test_x.py::TestA::test_run - AssertionError: a\n\
                   FAILED test/registered/amd/test_x.py::TestB::test_run - AssertionError: b\n\
                   FAILED test/registered/amd/test_x.py::test_plain - AssertionError: c\n";
        let md = render_markdown(
            &crate::analyze_bytes(log.as_bytes()),
            &ReportContext::default(),
        );
        for row in [
            "| `registered/amd/test_x.py` | `TestA::test_run` | `AssertionError: a` |",
            "| `registered/amd/test_x.py` | `TestB::test_run` | `AssertionError: b` |",
            "| `registered/amd/test_x.py` | `test_plain` | `AssertionError: c` |",
        ] {
            assert!(md.contains(row), "{row}\n{md}");
        }
    }

    #[test]
    fn code_spans_survive_backticks_pipes_and_html() {
        assert_eq!(code("a|b", true), "`a\\|b`");
        assert_eq!(code("x `y` z", false), "`` x `y` z ``");
        assert_eq!(
            code("<!-- processed_job_ids: 1 --> @someone", false),
            "`<!-- processed_job_ids: 1 --> @someone`"
        );
    }
}
