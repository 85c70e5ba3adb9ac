//! Pull requests and their changed files, and what CI says about a commit (check runs,
//! statuses, the combined status). All come from the scenario, completed with the fields
//! GitHub always sends.

use hyper::{Method, StatusCode};
use std::collections::BTreeMap;

use serde_json::Value;

use super::{not_found, Answer, Call};
use crate::objects;

/// `/repos/{repo}/pulls…` and `/repos/{repo}/commits/{ref}/…`.
pub(crate) fn route(call: &Call<'_>, repo: &str, seg: &[&str]) -> Answer {
    if *call.method != Method::GET {
        return not_found();
    }
    let w = call.world.lock().expect("world lock");
    let Some(state) = w.repos.get(repo) else {
        return not_found();
    };
    let seed = &state.seed;
    let base = call.base;
    let statuses = |r: &str| -> Vec<Value> {
        seed.statuses
            .get(r)
            .map(|list| {
                list.iter()
                    .map(|s| objects::status(base, repo, r, (&w.default_login, &w.started), s))
                    .collect()
            })
            .unwrap_or_default()
    };
    match seg {
        ["pulls"] => Answer::Page(
            seed.pulls
                .iter()
                .map(|p| objects::pull(base, repo, &w.started, p))
                .collect(),
            None,
        ),
        ["pulls", n] => seed
            .pulls
            .iter()
            .find(|p| {
                p.get("number")
                    .and_then(Value::as_u64)
                    .map(|x| x.to_string())
                    == Some(n.to_string())
            })
            .map_or_else(not_found, |p| {
                if call.accept.is_some_and(|a| a.contains("diff")) {
                    return seed.pull_diffs.get(*n).map_or_else(not_found, |d| {
                        Answer::Stream(crate::server::full(d.clone()))
                    });
                }
                Answer::Json(StatusCode::OK, objects::pull(base, repo, &w.started, p))
            }),
        ["pulls", n, "files"] => Answer::Page(
            seed.pull_files
                .get(*n)
                .map(|files| {
                    files
                        .iter()
                        .map(|f| objects::pull_file(base, repo, f))
                        .collect()
                })
                .unwrap_or_default(),
            None,
        ),
        ["commits", r, "check-runs"] => Answer::Page(
            seed.check_runs
                .get(*r)
                .map(|runs| {
                    runs.iter()
                        .map(|c| objects::check_run(base, repo, r, c))
                        .collect()
                })
                .unwrap_or_default(),
            Some("check_runs"),
        ),
        ["commits", r, "statuses"] => Answer::Page(statuses(r), None),
        ["commits", r, "status"] => Answer::Json(
            StatusCode::OK,
            objects::combined_status(base, repo, r, statuses(r)),
        ),
        _ => not_found(),
    }
}

/// `/repos/{repo}/contents/{path}?ref=R`: the file's raw text at the ref (any Accept), 404
/// when the scenario has none.
pub(crate) fn contents(call: &Call<'_>, repo: &str, path: &[&str]) -> Answer {
    if *call.method != Method::GET {
        return not_found();
    }
    let w = call.world.lock().expect("world lock");
    let git_ref = call.query.get("ref").map(String::as_str).unwrap_or("main");
    let text = w
        .repos
        .get(repo)
        .and_then(|s| s.seed.contents.get(git_ref))
        .and_then(|files| files.get(&path.join("/")))
        .cloned();
    match text {
        Some(t) => Answer::Stream(crate::server::full(t)),
        None => not_found(),
    }
}

/// `/repos/{repo}/compare/{base}...{head}`: where `head` stands relative to `base` in the
/// scenario's commit graph (`identical`, `ahead`, `behind`, `diverged`) with their merge
/// base; either side may be a branch of `branches`. An unknown commit is a 404.
pub(crate) fn compare(call: &Call<'_>, repo: &str, rest: &[&str]) -> Answer {
    if *call.method != Method::GET {
        return not_found();
    }
    let w = call.world.lock().expect("world lock");
    let Some(state) = w.repos.get(repo) else {
        return not_found();
    };
    let spec = rest.join("/");
    let Some((base_ref, head_ref)) = spec.split_once("...") else {
        return not_found();
    };
    let graph = Graph::of(&state.seed);
    let (Some(base), Some(head)) = (graph.resolve(base_ref), graph.resolve(head_ref)) else {
        return not_found();
    };
    let head_line = graph.ancestors(&head);
    let base_line = graph.ancestors(&base);
    let Some(merge_base) = head_line.iter().find(|c| base_line.contains(*c)).cloned() else {
        return not_found();
    };
    let ahead_by = head_line.iter().take_while(|c| **c != merge_base).count();
    let behind_by = base_line.iter().take_while(|c| **c != merge_base).count();
    let status = match (ahead_by, behind_by) {
        (0, 0) => "identical",
        (_, 0) => "ahead",
        (0, _) => "behind",
        _ => "diverged",
    };
    let commit = |sha: &str| {
        serde_json::json!({
            "sha": sha,
            "url": format!("{}/repos/{repo}/commits/{sha}", call.base),
            "html_url": format!("https://github.com/{repo}/commit/{sha}"),
        })
    };
    Answer::Json(
        StatusCode::OK,
        serde_json::json!({
            "url": format!("{}/repos/{repo}/compare/{spec}", call.base),
            "html_url": format!("https://github.com/{repo}/compare/{spec}"),
            "status": status,
            "ahead_by": ahead_by,
            "behind_by": behind_by,
            "total_commits": ahead_by,
            "base_commit": commit(&base),
            "merge_base_commit": commit(&merge_base),
            "commits": [],
            "files": [],
        }),
    )
}

/// The scenario's commits and branches, walked newest first.
struct Graph<'a> {
    parents: BTreeMap<&'a str, &'a [String]>,
    branches: &'a BTreeMap<String, String>,
}

impl<'a> Graph<'a> {
    fn of(seed: &'a crate::scenario::Repo) -> Self {
        Graph {
            parents: seed
                .commits
                .iter()
                .map(|c| (c.sha.as_str(), c.parents.as_slice()))
                .collect(),
            branches: &seed.branches,
        }
    }

    /// A branch's sha, or a known sha as it is.
    fn resolve(&self, name: &str) -> Option<String> {
        let sha = self.branches.get(name).map_or(name, String::as_str);
        self.parents.contains_key(sha).then(|| sha.to_string())
    }

    /// The commit and every ancestor, breadth first (nearest first).
    fn ancestors(&self, sha: &str) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        let mut queue = std::collections::VecDeque::from([sha.to_string()]);
        while let Some(c) = queue.pop_front() {
            if seen.contains(&c) {
                continue;
            }
            for p in self.parents.get(c.as_str()).copied().unwrap_or_default() {
                queue.push_back(p.clone());
            }
            seen.push(c);
        }
        seen
    }
}
