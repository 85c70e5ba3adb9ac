//! Parsing of the `Link` response header that GitHub uses for pagination.

/// The URL of the `rel="next"` page, if the header names one.
pub(crate) fn next_page(link_header: &str) -> Option<&str> {
    link_header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim();
                p == r#"rel="next""# || p == "rel=next"
            })
            .then_some(url)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_next_among_all_relations() {
        let h = r#"<https://api.github.com/repositories/1/issues?per_page=3&page=2>; rel="next", <https://api.github.com/repositories/1/issues?per_page=3&page=5>; rel="last""#;
        assert_eq!(
            next_page(h),
            Some("https://api.github.com/repositories/1/issues?per_page=3&page=2")
        );
    }

    #[test]
    fn last_page_has_no_next() {
        let h = r#"<https://x/issues?page=1>; rel="first", <https://x/issues?page=4>; rel="prev""#;
        assert_eq!(next_page(h), None);
        assert_eq!(next_page(""), None);
    }

    #[test]
    fn recorded_octokit_pages_link_to_each_other() {
        let raw = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/github/issues-list-paginated-octokit.json"
        ))
        .unwrap();
        let exchanges: Vec<serde_json::Value> = serde_json::from_str(&raw).unwrap();
        let nexts: Vec<Option<String>> = exchanges
            .iter()
            .map(|e| {
                let link = e["response_headers"]["link"].as_str().unwrap_or("");
                next_page(link).map(str::to_string)
            })
            .collect();
        assert_eq!(nexts.len(), 5);
        assert!(nexts[..4].iter().all(Option::is_some));
        assert!(nexts[4].is_none());
    }
}
