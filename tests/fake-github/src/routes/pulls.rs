//! Pull requests and their changed files, and what CI says about a commit (check runs,
//! statuses, the combined status). All come from the scenario, completed with the fields
//! GitHub always sends.

use hyper::{Method, StatusCode};
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
