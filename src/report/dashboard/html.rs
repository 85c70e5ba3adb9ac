//! The dashboard as one self-contained `index.html`: the grid and tables rendered here (so the
//! page reads even without JavaScript), the data inlined as JSON, inline CSS, an inline SVG
//! trend chart, and a few lines of plain JavaScript for the filter (`#q=` in the URL). No
//! external script, style or font: the page opens from disk, offline.

use std::fmt::Write as _;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::data::{CellState, Dashboard};

/// The page.
pub fn render(d: &Dashboard) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let title = format!("AMD CI of {}", d.target_repo);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n<p class=\"meta\">Generated {} · {} days · red: the bot reported failed jobs, green: a run passed, grey: no run.</p>\n",
        text(&title),
        text(&title),
        text(&d.generated_at),
        d.days.len()
    );
    out.push_str(&today_lists(d));
    out.push_str("<p><label>Filter <input id=\"q\" type=\"search\" placeholder=\"workflow, test or error\" autocomplete=\"off\"></label></p>\n");
    out.push_str(&grid(d));
    out.push_str(&trend(d));
    out.push_str(&failures(d));
    let json = serde_json::to_string(d).unwrap_or_else(|_| "{}".into());
    let _ = write!(
        out,
        "<script type=\"application/json\" id=\"dashboard-data\">{}</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        inert_json(&json)
    );
    out
}

/// JSON that cannot end its `<script>` element or open a comment.
fn inert_json(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A link target we emit: GitHub's pages only; anything else (from untrusted text) is dropped.
fn href(url: &str) -> Option<String> {
    url.starts_with("https://").then(|| attr(url).into_owned())
}

fn today_lists(d: &Dashboard) -> String {
    let list = |items: &[String]| {
        if items.is_empty() {
            return "<p class=\"none\">none</p>\n".to_string();
        }
        let li: String = items
            .iter()
            .map(|i| format!("<li>{}</li>", text(i)))
            .collect();
        format!("<ul>{li}</ul>\n")
    };
    format!(
        "<section id=\"today\"><div><h2>New today ({})</h2>\n{}</div><div><h2>Fixed today ({})</h2>\n{}</div></section>\n",
        d.new_today.len(),
        list(&d.new_today),
        d.fixed_today.len(),
        list(&d.fixed_today)
    )
}

fn grid(d: &Dashboard) -> String {
    let mut out = String::from("<h2>Workflows by day</h2>\n<div class=\"scroll\"><table id=\"grid\">\n<thead><tr><th>Workflow</th>");
    for day in &d.days {
        let _ = write!(out, "<th title=\"{day}\">{}</th>", day.format("%m-%d"));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for w in &d.workflows {
        let _ = write!(
            out,
            "<tr class=\"row\" data-text=\"{}\"><th>{}</th>",
            attr(&format!("{} {}", w.file, w.name).to_lowercase()),
            text(&w.name)
        );
        for c in &w.cells {
            let (class, label) = match c.state {
                CellState::Failed if c.failing_jobs > 0 => ("failed", c.failing_jobs.to_string()),
                CellState::Failed => ("failed", "!".into()),
                CellState::Passed => ("passed", String::new()),
                CellState::NoRun => ("no_run", String::new()),
            };
            let tip = format!("{} · {} · {} failed job(s)", w.name, c.day, c.failing_jobs);
            let inner = match c.link.as_deref().and_then(href) {
                Some(url) => format!("<a href=\"{url}\">{label}</a>"),
                None => label,
            };
            let _ = write!(
                out,
                "<td class=\"cell {class}\" title=\"{}\">{inner}</td>",
                attr(&tip)
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    out
}

/// Failing tests per day, one line per workflow, as inline SVG.
fn trend(d: &Dashboard) -> String {
    const W: f64 = 720.0;
    const H: f64 = 160.0;
    let max = d
        .workflows
        .iter()
        .flat_map(|w| w.cells.iter().map(|c| c.failing_tests))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let step = if d.days.len() > 1 {
        W / (d.days.len() - 1) as f64
    } else {
        0.0
    };
    let mut out = format!(
        "<h2>Failing tests per day</h2>\n<svg id=\"trend\" viewBox=\"0 0 {W} {}\" role=\"img\" aria-label=\"failing tests per day and workflow\">\n<line x1=\"0\" y1=\"{H}\" x2=\"{W}\" y2=\"{H}\" class=\"axis\"/>\n<text x=\"0\" y=\"12\" class=\"label\">{max}</text>\n",
        H + 20.0
    );
    for (i, w) in d.workflows.iter().enumerate() {
        // A day without a run is a gap in the line, not a zero.
        let mut segments: Vec<Vec<String>> = vec![Vec::new()];
        for (x, c) in w.cells.iter().enumerate() {
            if c.state == CellState::NoRun {
                segments.push(Vec::new());
                continue;
            }
            let y = H - c.failing_tests as f64 / max * (H - 16.0);
            if let Some(current) = segments.last_mut() {
                current.push(format!("{:.1},{y:.1}", x as f64 * step));
            }
        }
        for points in segments.iter().filter(|p| !p.is_empty()) {
            let _ = writeln!(
                out,
                "<polyline class=\"series s{}\" fill=\"none\" points=\"{}\"><title>{}</title></polyline>",
                i % 8,
                points.join(" "),
                text(&w.name)
            );
        }
    }
    out.push_str("</svg>\n<p class=\"legend\">");
    for (i, w) in d.workflows.iter().enumerate() {
        let _ = write!(
            out,
            "<span class=\"key s{}\">{}</span> ",
            i % 8,
            text(&w.name)
        );
    }
    out.push_str("</p>\n");
    out
}

/// Where the failure started: the compare link with its commit count, or how long it has
/// failed when no green run was in the history read.
fn since_cell(since: Option<&super::data::SinceWhen>) -> String {
    let Some(s) = since else {
        return "—".into();
    };
    match s.compare_url.as_deref().and_then(href) {
        Some(url) => {
            let commits = s
                .commits
                .map_or(String::new(), |n| format!("{n} commits, "));
            format!("<a href=\"{url}\">{commits}since {}</a>", text(&s.since))
        }
        None => format!(
            "failing in all {} runs since {}",
            s.failing_runs,
            text(&s.since)
        ),
    }
}

fn failures(d: &Dashboard) -> String {
    let open: usize = d.clusters.iter().map(|c| c.failures.len()).sum();
    let mut out = format!(
        "<h2>Open failures ({open})</h2>\n<table id=\"failures\">\n<thead><tr><th>Cluster</th><th>Workflow</th><th>Test</th><th>Error</th><th>First seen</th><th>Last seen</th><th>Streak</th><th>Flaky</th><th>Since</th><th>Links</th></tr></thead>\n<tbody>\n"
    );
    for c in &d.clusters {
        for f in &c.failures {
            let day = |x: Option<chrono::NaiveDate>| x.map_or("—".to_string(), |d| d.to_string());
            let since = since_cell(f.since.as_ref());
            let mut links = Vec::new();
            if let Some(u) = href(&f.tracker_url) {
                links.push(format!("<a href=\"{u}\">tracker</a>"));
            }
            if let Some(u) = f.log_url.as_deref().and_then(href) {
                links.push(format!("<a href=\"{u}\">log</a>"));
            }
            let _ = writeln!(
                out,
                "<tr class=\"row failure\"><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td class=\"streak\">{}</td><td>{}</td><td>{since}</td><td>{}</td></tr>",
                text(&c.name),
                text(&f.workflow),
                text(&f.test),
                text(&f.error.chars().take(200).collect::<String>()),
                day(f.first_seen),
                day(f.last_seen),
                f.streak,
                f.flakiness,
                links.join(" · ")
            );
        }
    }
    out.push_str("</tbody></table>\n");
    out
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1f2328}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.4em}.meta{color:#59636e}#today{display:flex;gap:3em}.none{color:#59636e}table{border-collapse:collapse}th,td{padding:2px 6px;text-align:left}#grid td.cell{width:22px;height:22px;text-align:center;border:1px solid #fff}#grid td.failed{background:#cf222e}#grid td.failed a{color:#fff}#grid td.passed{background:#2da44e}#grid td.no_run{background:#d0d7de}#failures td{border-top:1px solid #d0d7de;vertical-align:top}.scroll{overflow-x:auto}svg{max-width:760px;width:100%}.axis{stroke:#59636e}.label{font-size:10px;fill:#59636e}.series{stroke-width:2}.s0{stroke:#cf222e;color:#cf222e}.s1{stroke:#0969da;color:#0969da}.s2{stroke:#8250df;color:#8250df}.s3{stroke:#bf8700;color:#bf8700}.s4{stroke:#1a7f37;color:#1a7f37}.s5{stroke:#e16f24;color:#e16f24}.s6{stroke:#57606a;color:#57606a}.s7{stroke:#bf3989;color:#bf3989}.key{margin-right:1em}.key::before{content:'\\25A0 '}tr[hidden]{display:none}";

/// The filter: rows whose text (and, for the grid, the workflow's file) holds every word of
/// the box stay; the box starts from `#q=`
/// and writes back to it, so a filtered view can be linked.
const SCRIPT: &str = r#"
(function () {
  var box = document.getElementById('q');
  var rows = document.querySelectorAll('tr.row');
  function apply(q) {
    var words = q.toLowerCase().split(/\s+/).filter(Boolean);
    rows.forEach(function (r) {
      var t = (r.getAttribute('data-text') || '') + ' ' + r.textContent.toLowerCase();
      r.hidden = !words.every(function (w) { return t.indexOf(w) >= 0; });
    });
  }
  var m = /(?:^#|&)q=([^&]*)/.exec(location.hash);
  if (m) { box.value = decodeURIComponent(m[1].replace(/\+/g, ' ')); }
  apply(box.value);
  box.addEventListener('input', function () {
    apply(box.value);
    history.replaceState(null, '', box.value ? '#q=' + encodeURIComponent(box.value) : '#');
  });
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::dashboard::data::{Cell, Cluster, OpenFailure, WorkflowRow, SCHEMA_VERSION};
    use chrono::NaiveDate;

    fn dashboard(error: &str, link: &str) -> Dashboard {
        let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        Dashboard {
            schema_version: SCHEMA_VERSION,
            generated_at: "2026-11-24T06:00:00Z".into(),
            target_repo: "sgl-project/sglang".into(),
            days: vec![day],
            workflows: vec![WorkflowRow {
                file: "a.yml".into(),
                name: "A".into(),
                cells: vec![Cell {
                    day,
                    state: CellState::Failed,
                    failing_jobs: 2,
                    failing_tests: 3,
                    link: Some(link.into()),
                }],
            }],
            clusters: vec![Cluster {
                name: "oom".into(),
                failures: vec![OpenFailure {
                    workflow: "a.yml".into(),
                    test: "t.py::T::x".into(),
                    error: error.into(),
                    first_seen: Some(day),
                    last_seen: Some(day),
                    streak: 4,
                    flakiness: 0,
                    tracker_url: "https://github.com/o/r/issues/1".into(),
                    log_url: None,
                    since: None,
                }],
            }],
            new_today: vec![],
            fixed_today: vec![],
        }
    }

    #[test]
    fn untrusted_text_cannot_break_out_of_the_page_or_its_data() {
        let page = render(&dashboard(
            "</script><script>alert(1)</script> <img src=x>",
            "javascript:alert(1)",
        ));
        assert_eq!(page.matches("<script").count(), 2, "only our two scripts");
        assert!(!page.contains("<img"));
        assert!(!page.contains("href=\"javascript:"), "only https links");
        let data = page.split("id=\"dashboard-data\">").nth(1).unwrap();
        let json = data.split("</script>").next().unwrap();
        let back: Dashboard = serde_json::from_str(json).expect("the inlined data is the schema");
        assert!(back.clusters[0].failures[0].error.starts_with("</script>"));
    }

    #[test]
    fn nothing_is_loaded_from_elsewhere() {
        let page = render(&dashboard(
            "E",
            "https://github.com/o/r/issues/1#issuecomment-2",
        ));
        for tag in ["<script src", "<link", "@import", "url("] {
            assert!(!page.contains(tag), "{tag}");
        }
        assert!(page.contains("<a href=\"https://github.com/o/r/issues/1#issuecomment-2\">2</a>"));
        assert!(page.contains("<td class=\"streak\">4</td>"));
    }

    #[test]
    fn thirty_days_of_seven_workflows_and_two_hundred_open_failures_stay_under_300_kb() {
        let mut d = dashboard(
            &"E".repeat(150),
            "https://github.com/o/r/issues/1#issuecomment-2",
        );
        let first = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        d.days = (0..30).map(|i| first + chrono::Days::new(i)).collect();
        let row = d.workflows[0].clone();
        d.workflows = (0..7)
            .map(|w| WorkflowRow {
                file: format!("workflow-{w}.yml"),
                name: format!("Workflow {w}"),
                cells: d
                    .days
                    .iter()
                    .map(|day| Cell {
                        day: *day,
                        ..row.cells[0].clone()
                    })
                    .collect(),
            })
            .collect();
        let failure = d.clusters[0].failures[0].clone();
        d.clusters = (0..20)
            .map(|c| Cluster {
                name: format!("cluster {c}: RuntimeError: HIP error: an illegal memory access"),
                failures: (0..10)
                    .map(|i| OpenFailure {
                        test: format!("registered/models/test_model_{c}.py::TestModel{c}::test_case_{i}"),
                        log_url: Some("https://github.com/sgl-project/sglang/actions/runs/19300000001/job/56000000001".into()),
                        ..failure.clone()
                    })
                    .collect(),
            })
            .collect();
        let page = render(&d);
        assert!(page.len() < 300 * 1024, "{} bytes", page.len());
        assert_eq!(page.matches("class=\"cell ").count(), 210);
        assert_eq!(page.matches("class=\"row failure\"").count(), 200);
    }

    #[test]
    fn since_when_is_a_compare_link_with_its_commits_or_how_long_it_failed() {
        use crate::report::dashboard::data::SinceWhen;
        let mut s = SinceWhen {
            first_red_sha: "bbb".into(),
            last_green_sha: Some("aaa".into()),
            commits: Some(3),
            failing_runs: 2,
            since: "2026-11-20".into(),
            compare_url: Some("https://github.com/o/r/compare/aaa...bbb".into()),
        };
        assert_eq!(
            since_cell(Some(&s)),
            "<a href=\"https://github.com/o/r/compare/aaa...bbb\">3 commits, since 2026-11-20</a>"
        );
        s.compare_url = None;
        assert_eq!(
            since_cell(Some(&s)),
            "failing in all 2 runs since 2026-11-20"
        );
        assert_eq!(since_cell(None), "—");
    }
}
