//! Declared writes: a test names the writes it expects, and any other write fails it.

use crate::model::RequestRecord;

/// A write a test expects, written `"METHOD /path"`, where a `{…}` segment stands for any one
/// segment: `"PATCH /repos/o/r/issues/comments/{id}"`. The query is not compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedWrite {
    method: String,
    segments: Vec<String>,
}

impl ExpectedWrite {
    /// Reads a declaration; a malformed one is a bug in the test, so it panics.
    #[track_caller]
    pub fn parse(text: &str) -> ExpectedWrite {
        let (method, path) = text
            .split_once(' ')
            .filter(|(m, p)| !m.is_empty() && p.starts_with('/'))
            .unwrap_or_else(|| panic!("a write is declared as \"METHOD /path\", not {text:?}"));
        ExpectedWrite {
            method: method.to_ascii_uppercase(),
            segments: path.split('/').map(str::to_string).collect(),
        }
    }

    /// Whether `request` is this write.
    pub fn matches(&self, request: &RequestRecord) -> bool {
        let path = request.path.split('?').next().unwrap_or("");
        let segments: Vec<&str> = path.split('/').collect();
        request.method.eq_ignore_ascii_case(&self.method)
            && segments.len() == self.segments.len()
            && self.segments.iter().zip(&segments).all(|(want, got)| {
                let placeholder = want.starts_with('{') && want.ends_with('}');
                if placeholder {
                    !got.is_empty()
                } else {
                    want == got
                }
            })
    }
}

impl std::fmt::Display for ExpectedWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.segments.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str) -> RequestRecord {
        RequestRecord {
            method: method.into(),
            path: path.into(),
            status: 200,
            authorization: true,
            body_bytes: 0,
        }
    }

    #[test]
    fn a_placeholder_stands_for_one_segment_and_the_rest_must_be_equal() {
        let edit = ExpectedWrite::parse("PATCH /repos/o/r/issues/comments/{id}");
        assert!(edit.matches(&request("PATCH", "/repos/o/r/issues/comments/17")));
        assert!(edit.matches(&request("patch", "/repos/o/r/issues/comments/17?x=1")));
        assert!(!edit.matches(&request("DELETE", "/repos/o/r/issues/comments/17")));
        assert!(!edit.matches(&request("PATCH", "/repos/o/r/issues/comments/")));
        assert!(!edit.matches(&request("PATCH", "/repos/o/r/issues/comments/17/x")));
        assert!(!edit.matches(&request("PATCH", "/repos/o/other/issues/comments/17")));
        assert_eq!(edit.to_string(), "PATCH /repos/o/r/issues/comments/{id}");
    }

    #[test]
    #[should_panic(expected = "METHOD /path")]
    fn a_declaration_without_a_method_is_refused() {
        ExpectedWrite::parse("/repos/o/r/issues");
    }
}
