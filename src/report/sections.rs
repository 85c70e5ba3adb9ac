//! Reading the sections of a per-job report back: the `### Failure Cluster` name and the rows
//! of the `### Failed Tests` table, the two things every cross-job, cross-run and tracker view
//! groups by. Works on reports of every backend, since they share the skeleton.

/// The text of a `### <name>` section: from its heading to the next `###` heading.
pub fn section<'a>(report: &'a str, name: &str) -> Option<&'a str> {
    let mut start = None;
    let mut offset = 0;
    for line in report.split_inclusive('\n') {
        let heading = line.trim_end();
        if let Some(begin) = start {
            if heading.starts_with("### ") || heading == "###" {
                return Some(&report[begin..offset]);
            }
        } else if heading
            .strip_prefix("### ")
            .is_some_and(|h| h.trim() == name || h.trim().starts_with(&format!("{name} (")))
        {
            start = Some(offset + line.len());
        }
        offset += line.len();
    }
    start.map(|begin| &report[begin..])
}

/// The first non-empty line of a section (how `Failure Cluster` and `Regression Status`
/// carry their machine-read value), without list markers and code ticks.
pub fn first_line(report: &str, name: &str) -> Option<String> {
    let text = section(report, name)?;
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let line = line.trim_start_matches(['-', '*', ' ']).trim();
    let line = line.trim_matches('`').trim();
    (!line.is_empty()).then(|| line.to_string())
}

/// One row of a `### Failed Tests` table: (test file, test function, error), and the row's
/// own cluster when the table has a `Cluster` column (placed after the third, so readers of
/// the first three cells, the original's tracker among them, read tables with it unchanged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRow {
    pub file: String,
    pub function: String,
    pub error: String,
    pub cluster: Option<String>,
}

/// The rows of the `### Failed Tests` table: lines starting with `|`, no `---`, first three
/// cells with code ticks removed; the header row is skipped.
pub fn failed_tests(report: &str) -> Vec<TestRow> {
    let Some(text) = section(report, "Failed Tests") else {
        return Vec::new();
    };
    let mut cluster_column: Option<usize> = None;
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('|') && !l.contains("---"))
        .filter_map(|l| {
            let cells: Vec<String> = split_cells(l)
                .into_iter()
                .map(|c| c.trim().trim_matches('`').trim().to_string())
                .collect();
            if cells.len() < 3 {
                return None;
            }
            if cells[0] == "Test File" || cells[0] == "test_file" {
                cluster_column = cells.iter().position(|c| c.eq_ignore_ascii_case("cluster"));
                return None;
            }
            let (file, function) = canonical_cells(&cells[0], &cells[1]);
            Some(TestRow {
                file,
                function,
                error: cells[2].clone(),
                cluster: cluster_column
                    .and_then(|i| cells.get(i))
                    .filter(|c| !c.is_empty())
                    .cloned(),
            })
        })
        .collect()
}

/// A row's file and function cells in the canonical spelling (the file relative to sglang's
/// `test/`, the function as `Class::method`), so a test the original bot or an older version
/// wrote as `test/registered/x.py` + `test_m (__main__.C)` is the same test today. Cells that
/// name no test (`N/A`, empty) are kept as they are.
fn canonical_cells(file: &str, function: &str) -> (String, String) {
    // Only test files are canonicalised: a script or a job name in the cell stays as written.
    if !file.ends_with(".py") {
        return (file.to_string(), function.to_string());
    }
    let id = if function.is_empty() || function == "N/A" {
        crate::logs::parse_test_id(file, None)
    } else if function.contains(" (") {
        crate::logs::parse_test_id(function, Some(file))
    } else {
        crate::logs::parse_test_id(&format!("{file}::{function}"), None)
    };
    let file = id.file.unwrap_or_else(|| file.to_string());
    let function = match (id.class, id.method) {
        (Some(class), Some(method)) => format!("{class}::{method}"),
        (None, Some(method)) => method,
        _ => function.to_string(),
    };
    (file, function)
}

/// Table cells of a row, honouring `\|` escapes.
fn split_cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cells.last_mut().expect("a cell").push('|');
                chars.next();
            }
            '|' => cells.push(String::new()),
            c => cells.last_mut().expect("a cell").push(c),
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "### Commit Info\n- x\n\n### Failed Tests\n\n| Test File | Test Function | Error | Log |\n|---|---|---|---|\n| `test/a.py` | `test_x` | `ValueError: a \\| b` | [L1](u) |\n| `test/b.py` | `test_y` | boom | |\n\n### Failure Cluster\n\n- `v1:test:test/a.py::test_x:ValueError`\n- other\n\n### Status (factual, no priority)\n- ok\n";

    #[test]
    fn failed_test_rows_are_read_from_the_table_only() {
        // Files read back relative to sglang's `test/` (the canonical spelling).
        assert_eq!(
            failed_tests(REPORT),
            [
                TestRow {
                    file: "a.py".into(),
                    function: "test_x".into(),
                    error: "ValueError: a | b".into(),
                    cluster: None,
                },
                TestRow {
                    file: "b.py".into(),
                    function: "test_y".into(),
                    error: "boom".into(),
                    cluster: None,
                },
            ]
        );
        assert!(failed_tests("### Failure Summary\n| a | b | c |").is_empty());
    }

    #[test]
    fn a_test_spelt_the_old_way_reads_with_its_canonical_id() {
        // As the original bot wrote them: a path from the repository root, unittest headers.
        let old = "### Failed Tests\n\n| Test File | Test Function | Error |\n|---|---|---|\n| `test/registered/amd/test_x.py` | `test_m (__main__.TestX)` | `E` |\n| `test/srt/test_y.py` | `TestY::test_n` | `E` |\n| `N/A` | `N/A` | `E` |\n";
        let rows = failed_tests(old);
        assert_eq!(
            (rows[0].file.as_str(), rows[0].function.as_str()),
            ("registered/amd/test_x.py", "TestX::test_m")
        );
        assert_eq!(
            (rows[1].file.as_str(), rows[1].function.as_str()),
            ("srt/test_y.py", "TestY::test_n")
        );
        assert_eq!(
            (rows[2].file.as_str(), rows[2].function.as_str()),
            ("N/A", "N/A")
        );
        // Today's spelling reads the same.
        let new = "### Failed Tests\n\n| Test File | Test Function | Error |\n|---|---|---|\n| `registered/amd/test_x.py` | `TestX::test_m` | `E` |\n";
        assert_eq!(failed_tests(new)[0].file, rows[0].file);
        assert_eq!(failed_tests(new)[0].function, rows[0].function);
        // A script or a job named in the cell is not a test path: kept as written.
        let other = "### Failed Tests\n\n| Test File | Test Function | Error |\n|---|---|---|\n| `scripts/amd_ci_exec.sh` | `N/A` | `E` |\n| `nightly-eval` | `N/A` | `E` |\n";
        let rows = failed_tests(other);
        assert_eq!(
            (rows[0].file.as_str(), rows[0].function.as_str()),
            ("scripts/amd_ci_exec.sh", "N/A")
        );
        assert_eq!(
            (rows[1].file.as_str(), rows[1].function.as_str()),
            ("nightly-eval", "N/A")
        );
    }

    #[test]
    fn a_cluster_column_after_the_third_gives_each_row_its_cluster() {
        let report = "### Failed Tests\n\n| Test File | Test Function | Error | Cluster | Log |\n|---|---|---|---|---|\n| `a.py` | `t1` | `E1` | `hip-oom` | [L](u) |\n| `b.py` | `t2` | `E2` | | |\n";
        let rows = failed_tests(report);
        assert_eq!(rows[0].cluster.as_deref(), Some("hip-oom"));
        assert_eq!(rows[0].error, "E1", "the first three cells are unchanged");
        assert_eq!(rows[1].cluster, None, "an empty cell names no cluster");
    }

    #[test]
    fn the_cluster_is_the_first_line_of_its_section() {
        assert_eq!(
            first_line(REPORT, "Failure Cluster").as_deref(),
            Some("v1:test:test/a.py::test_x:ValueError")
        );
        assert_eq!(
            first_line(REPORT, "Status").as_deref(),
            Some("ok"),
            "a heading with a parenthesised suffix is the same section"
        );
        assert_eq!(first_line(REPORT, "Regression Status"), None);
    }
}
