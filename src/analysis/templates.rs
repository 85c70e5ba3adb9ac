//! The API-mode prompts, read from `agent/CLAUDE.md` so that no prompt prose lives in code.
//!
//! The file's `## API Mode Prompts` section (the last one, or one followed by `\n---\n\n## `)
//! holds templates under lower-case kebab-case `### name` headings; `{placeholder}`s are filled
//! with `str.format` rules (`{{` and `}}` are literal braces, anything else is an error).

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// Where the API-mode templates start.
pub const API_SECTION: &str = "## API Mode Prompts";

/// `agent/CLAUDE.md` as it was when the binary was built: the guide used unless
/// `backend.instructions` names another, so the binary runs from any directory.
pub const BUILT_IN_GUIDE: &str = include_str!("../../agent/CLAUDE.md");

/// The agent guide to use: the file `path` names, else the built-in one.
pub fn guide_text(path: Option<&Path>) -> Result<String> {
    match path {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the agent guide {}", path.display())),
        None => Ok(BUILT_IN_GUIDE.to_string()),
    }
}

/// The templates the code fills, with exactly the placeholders it provides.
pub const REQUIRED: &[(&str, &[&str])] = &[
    (
        "focused-job-analysis",
        &["job_name", "run_url", "errors_section", "filtered_log"],
    ),
    (
        "cross-job-summary",
        &["num_jobs", "workflow_name", "jobs_text"],
    ),
    (
        "pr-correlation",
        &[
            "pr_number",
            "files_summary",
            "diff_text",
            "errors_text",
            "job_list",
        ],
    ),
    (
        "daily-cross-workflow-summary",
        &[
            "date_str",
            "snapshot_utc",
            "issue_number",
            "workflows_block",
            "yesterday_clusters_summary_or_none",
        ],
    ),
    (
        "pr-review-api",
        &[
            "pr_title",
            "pr_author",
            "pr_head_ref",
            "pr_base_ref",
            "pr_body",
            "num_files",
            "files_summary",
            "focus_section",
            "context_section",
            "diff",
        ],
    ),
];

/// Section headings the agent is routed to by the `Task:` line of its prompt.
pub const TASK_SECTIONS: &[(&str, &str)] = &[
    (
        "Job Failure Analysis",
        "## Job Failure Analysis — Per-Job Failure Investigation",
    ),
    ("Cross-Job Summary", "## Cross-Job Summary"),
    (
        "Cross-Run Pattern Analysis",
        "## Cross-Run Pattern Analysis",
    ),
    (
        "Daily Cross-Workflow Summary",
        "## Daily Cross-Workflow Summary",
    ),
    ("Failure Tracker Data", "## Failure Tracker Data"),
    ("PR CI Status Check", "## PR CI Status Check"),
    ("PR Code Review", "## PR Code Review"),
    ("PR Correlation", "## PR Correlation"),
];

/// The templates of one CLAUDE.md.
#[derive(Debug, Clone, PartialEq)]
pub struct Templates {
    templates: Vec<(String, String)>,
}

impl Templates {
    /// Reads and checks the file: every required template must be there.
    pub fn load(path: Option<&Path>) -> Result<Templates> {
        let text = guide_text(path)?;
        let problems = check(&text);
        if !problems.is_empty() {
            let which = path.map_or("the built-in agent guide".to_string(), |p| {
                p.display().to_string()
            });
            bail!("{which} is not usable: {}", problems.join("; "));
        }
        Ok(Templates::parse(&text))
    }

    /// The templates of a CLAUDE.md text, without checking them.
    pub fn parse(text: &str) -> Templates {
        let Some(start) = text.find(API_SECTION) else {
            return Templates {
                templates: Vec::new(),
            };
        };
        let area = &text[start..];
        let area = match area.find("\n---\n\n## ") {
            Some(end) => &area[..end],
            None => area,
        };
        let mut templates: Vec<(String, String)> = Vec::new();
        let mut current: Option<(String, Vec<&str>)> = None;
        for line in area.lines() {
            if let Some(name) = template_heading(line) {
                if let Some((n, body)) = current.take() {
                    templates.push((n, body.join("\n").trim().to_string()));
                }
                current = Some((name.to_string(), Vec::new()));
            } else if let Some((_, body)) = current.as_mut() {
                body.push(line);
            }
        }
        if let Some((n, body)) = current {
            templates.push((n, body.join("\n").trim().to_string()));
        }
        Templates { templates }
    }

    /// The raw text of a template.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.templates
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
    }

    /// Fills a template; every placeholder must be given and every value is used as is.
    pub fn fill(&self, name: &str, values: &[(&str, &str)]) -> Result<String> {
        let template = self
            .get(name)
            .with_context(|| format!("the agent guide has no `### {name}` template"))?;
        fill(template, values).with_context(|| format!("template `{name}`"))
    }
}

/// `### name` with a lower-case kebab-case name.
fn template_heading(line: &str) -> Option<&str> {
    let name = line.strip_prefix("### ")?;
    let mut chars = name.chars();
    let first = chars.next()?;
    (first.is_ascii_lowercase()
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
    .then_some(name)
}

/// The placeholders of a template, or an error for a stray brace.
pub fn placeholders(template: &str) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    scan(template, &mut |name| {
        names.insert(name.to_string());
        Ok(String::new())
    })?;
    Ok(names)
}

/// `str.format` with named fields only.
pub fn fill(template: &str, values: &[(&str, &str)]) -> Result<String> {
    scan(template, &mut |name| {
        values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
            .with_context(|| format!("no value for {{{name}}}"))
    })
}

fn scan(template: &str, value: &mut dyn FnMut(&str) -> Result<String>) -> Result<String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
        } else if tail.starts_with('}') {
            bail!("a single `}}` at byte {}", template.len() - tail.len());
        } else {
            let end = tail.find('}').with_context(|| {
                format!("an unclosed `{{` at byte {}", template.len() - tail.len())
            })?;
            let name = &tail[1..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                bail!("`{{{name}}}` is not a placeholder name");
            }
            out.push_str(&value(name)?);
            rest = &tail[end + 1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Everything wrong with a CLAUDE.md text, for the code that depends on it.
pub fn check(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for heading in ["## Task Dispatch", "## Ground Rules"]
        .into_iter()
        .chain(TASK_SECTIONS.iter().map(|(_, h)| *h))
    {
        if !text.lines().any(|l| l.trim_end() == heading) {
            problems.push(format!("section `{heading}` is missing"));
        }
    }
    for (task, _) in TASK_SECTIONS {
        if !text.contains(&format!("`Task: {task}`")) {
            problems.push(format!("the dispatch table does not route `Task: {task}`"));
        }
    }
    if !text.contains(API_SECTION) {
        problems.push(format!("section `{API_SECTION}` is missing"));
        return problems;
    }
    let templates = Templates::parse(text);
    for (name, wanted) in REQUIRED {
        let Some(body) = templates.get(name) else {
            problems.push(format!("template `### {name}` is missing"));
            continue;
        };
        match placeholders(body) {
            Ok(found) => {
                let wanted: BTreeSet<String> = wanted.iter().map(|s| s.to_string()).collect();
                if found != wanted {
                    problems.push(format!(
                        "template `{name}` has placeholders {found:?}, the code fills {wanted:?}"
                    ));
                }
            }
            Err(e) => problems.push(format!("template `{name}`: {e}")),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUIDE: &str = include_str!("../../agent/CLAUDE.md");

    #[test]
    fn our_agent_guide_has_every_section_and_template_the_code_needs() {
        assert_eq!(check(GUIDE), Vec::<String>::new());
        // The copy built into the binary is the guide, and is what an unset path loads.
        assert_eq!(BUILT_IN_GUIDE, GUIDE);
        assert_eq!(guide_text(None).unwrap(), GUIDE);
        assert!(Templates::load(None).is_ok());
        let missing = Templates::load(Some(Path::new("/nonexistent/CLAUDE.md"))).unwrap_err();
        assert!(
            missing.to_string().contains("/nonexistent/CLAUDE.md"),
            "{missing}"
        );
    }

    #[test]
    fn a_guide_missing_a_template_or_a_section_is_refused() {
        let without = GUIDE.replace("### pr-correlation", "### Pr Correlation");
        assert!(check(&without)
            .iter()
            .any(|p| p.contains("`### pr-correlation` is missing")));
        let without = GUIDE.replace("## Ground Rules", "## Rules");
        assert!(check(&without).iter().any(|p| p.contains("Ground Rules")));
        let extra = GUIDE.replace("Job: {job_name}", "Job: {job_name} {job_id}");
        assert!(check(&extra)
            .iter()
            .any(|p| p.contains("focused-job-analysis")));
    }

    #[test]
    fn templates_end_at_the_next_template_or_a_following_section() {
        let text = "# x\n## API Mode Prompts\n\n### one\n\nA {a}\n### Failed Tests\nkept\n\n### two\nB\n---\n\n## Later\n### three\nC";
        let t = Templates::parse(text);
        assert_eq!(t.get("one"), Some("A {a}\n### Failed Tests\nkept"));
        assert_eq!(t.get("two"), Some("B"));
        assert_eq!(t.get("three"), None);
    }

    #[test]
    fn filling_follows_str_format_and_refuses_stray_braces() {
        assert_eq!(
            fill("[{{\"k\": {v}}}]", &[("v", "1")]).unwrap(),
            "[{\"k\": 1}]"
        );
        // Values are inserted as they are, braces included.
        assert_eq!(fill("{a}", &[("a", "{b}")]).unwrap(), "{b}");
        assert!(fill("{missing}", &[]).is_err());
        assert!(fill("a } b", &[]).is_err());
        assert!(fill("a { b", &[]).is_err());
        assert!(fill("{not a name}", &[]).is_err());
    }

    #[test]
    fn the_focused_job_template_fills_with_the_code_values() {
        let t = Templates::parse(GUIDE);
        let text = t
            .fill(
                "focused-job-analysis",
                &[
                    ("job_name", "stage-a (mi325)"),
                    (
                        "run_url",
                        "https://github.com/sgl-project/sglang/actions/runs/1",
                    ),
                    ("errors_section", "- none"),
                    ("filtered_log", "log {with} braces"),
                ],
            )
            .unwrap();
        assert!(text.contains("Job: stage-a (mi325)"));
        assert!(text.contains("<untrusted-log>\nlog {with} braces\n</untrusted-log>"));
    }
}
