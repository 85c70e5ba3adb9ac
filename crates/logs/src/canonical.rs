//! One spelling per test, so a test printed three ways in one log (or differently by the
//! original bot in an old comment) is counted, keyed and tracked once.
//!
//! The canonical id is the file path relative to sglang's `test/` directory, then
//! `::Class::method` (or `::function`): `registered/amd/test_x.py::TestX::test_y`.
//! Hand-rolled: a few string rules, no crate spells test ids this way.

/// A test id split into its parts, canonical.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TestId {
    /// The file relative to `test/`, when known.
    pub file: Option<String>,
    /// The class, for class-based tests.
    pub class: Option<String>,
    /// The test method or function (or, for a file-level row, nothing).
    pub method: Option<String>,
}

impl TestId {
    /// The id as one string: `file::Class::method`, parts that are unknown left out.
    pub fn render(&self) -> String {
        let parts: Vec<&str> = [&self.file, &self.class, &self.method]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect();
        parts.join("::")
    }
}

/// The path of a test file relative to sglang's `test/` directory, whatever prefix the log
/// printed (`/sglang-checkout/test/registered/x.py`, `test/registered/x.py`,
/// `registered/x.py` all give `registered/x.py`). Paths with no `test/` part are kept,
/// without a leading `./` or `/`.
pub fn canonical_file(path: &str) -> String {
    let path = path.trim().trim_start_matches("./");
    if let Some(rest) = path.strip_prefix("test/") {
        return rest.to_string();
    }
    match path.find("/test/") {
        Some(i) => path[i + "/test/".len()..].to_string(),
        None => path.trim_start_matches('/').to_string(),
    }
}

/// Whether `short` (`x.py`, `amd/x.py`) names the same file as `full` (`registered/amd/x.py`).
fn same_file(short: &str, full: &str) -> bool {
    full == short
        || full
            .strip_suffix(short)
            .is_some_and(|head| head.ends_with('/'))
}

/// Splits any spelling of a test into its canonical parts.
///
/// Accepted: pytest node ids (`[test/]dir/x.py::Class::method`, `x.py::function`), unittest's
/// headers (`test_m (__main__.C)`, `test_m (pkg.mod.C.test_m)`), dotted ids (`pkg.mod.C.test_m`)
/// and bare file paths. `known_file` is the file the log says is running (the enclosing
/// `Begin` banner): it replaces `__main__` and completes a bare `x.py` it ends with.
pub fn parse_test_id(raw: &str, known_file: Option<&str>) -> TestId {
    let raw = raw.trim();
    let known = known_file.map(canonical_file);
    // unittest: `test_m (module.Class)` or `test_m (module.Class.test_m)`.
    if let Some((method, rest)) = raw.split_once(" (") {
        if let Some(qualified) = rest.strip_suffix(')') {
            if !method.contains(' ') {
                let class_path = qualified
                    .strip_suffix(method)
                    .and_then(|q| q.strip_suffix('.'))
                    .unwrap_or(qualified);
                return dotted(class_path, Some(method), known);
            }
        }
    }
    if let Some((file, rest)) = raw.split_once("::") {
        let file = canonical_file(file);
        let file = match &known {
            Some(k) if same_file(&file, k) => k.clone(),
            _ => file,
        };
        let mut names: Vec<&str> = rest.split("::").filter(|s| !s.is_empty()).collect();
        let method = names.pop().map(str::to_string);
        let class = (!names.is_empty()).then(|| names.join("::"));
        return TestId {
            file: Some(file),
            class,
            method,
        };
    }
    if raw.ends_with(".py") {
        let file = canonical_file(raw);
        let file = match &known {
            Some(k) if same_file(&file, k) => k.clone(),
            _ => file,
        };
        return TestId {
            file: Some(file),
            class: None,
            method: None,
        };
    }
    // `pkg.mod.Class.test_m`: the last part is the method, the one before the class.
    match raw.rsplit_once('.') {
        Some((class_path, method)) => dotted(class_path, Some(method), known),
        None => TestId {
            file: known,
            class: None,
            method: Some(raw.to_string()),
        },
    }
}

/// `module.Class` (+ method) → parts; `__main__` is the known file, a module becomes its path.
fn dotted(class_path: &str, method: Option<&str>, known: Option<String>) -> TestId {
    let (module, class) = match class_path.rsplit_once('.') {
        Some((m, c)) => (Some(m), c),
        None => (None, class_path),
    };
    let file = match module {
        Some("__main__") | None => known,
        Some(m) => {
            let path = format!("{}.py", m.replace('.', "/"));
            match known {
                Some(k) if same_file(&path, &k) => Some(k),
                _ => Some(canonical_file(&path)),
            }
        }
    };
    TestId {
        file,
        class: Some(class.to_string()),
        method: method.map(str::to_string),
    }
}

/// The canonical id of any spelling of a test (see [`parse_test_id`]).
pub fn canonical_test_id(raw: &str, known_file: Option<&str>) -> String {
    parse_test_id(raw, known_file).render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_path_spellings_of_one_test_are_one_id() {
        let want = "registered/amd/test_x.py::TestX::test_y";
        for raw in [
            "test/registered/amd/test_x.py::TestX::test_y",
            "registered/amd/test_x.py::TestX::test_y",
            "/sglang-checkout/test/registered/amd/test_x.py::TestX::test_y",
        ] {
            assert_eq!(canonical_test_id(raw, None), want, "{raw}");
        }
        assert_eq!(
            canonical_test_id(
                "test_x.py::TestX::test_y",
                Some("test/registered/amd/test_x.py")
            ),
            want
        );
        // A bare name of another file is not completed by the running one.
        assert_eq!(
            canonical_test_id("test_z.py::TestX::test_y", Some("registered/amd/test_x.py")),
            "test_z.py::TestX::test_y"
        );
    }

    #[test]
    fn unittest_headers_take_the_enclosing_file_for_main() {
        let file = Some("/sglang-checkout/test/registered/test_eval.py");
        assert_eq!(
            canonical_test_id("test_mmlu (__main__.TestEval.test_mmlu)", file),
            "registered/test_eval.py::TestEval::test_mmlu"
        );
        assert_eq!(
            canonical_test_id("test_mmlu (__main__.TestEval)", file),
            "registered/test_eval.py::TestEval::test_mmlu"
        );
        assert_eq!(
            canonical_test_id("test_mmlu (test_eval.TestEval)", file),
            "registered/test_eval.py::TestEval::test_mmlu"
        );
        assert_eq!(
            canonical_test_id("test_mmlu (srt.test_eval.TestEval)", None),
            "srt/test_eval.py::TestEval::test_mmlu"
        );
        assert_eq!(
            canonical_test_id("test_eval.TestEval.test_mmlu", None),
            "test_eval.py::TestEval::test_mmlu"
        );
    }

    #[test]
    fn files_and_functions_keep_their_shape() {
        assert_eq!(
            canonical_test_id("test/registered/x.py", None),
            "registered/x.py"
        );
        assert_eq!(
            canonical_test_id("tests/python/test_a.py::test_b", None),
            "tests/python/test_a.py::test_b"
        );
        let id = parse_test_id("distributed/test_c10d.py::TestNN::test_all_gather", None);
        assert_eq!(id.file.as_deref(), Some("distributed/test_c10d.py"));
        assert_eq!(id.class.as_deref(), Some("TestNN"));
        assert_eq!(id.method.as_deref(), Some("test_all_gather"));
    }
}
