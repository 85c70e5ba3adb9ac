//! The URL a maintainer hands `analyze-url`: a run or a job of the target repository on
//! GitHub (or the configured GitHub Enterprise host), parsed whole before any request. A pull
//! request page, another repository, another host or a look-alike one (`notgithub.com`) is
//! refused with what was expected, so nothing is ever fetched from a place the bot does not
//! serve.

use super::{JobId, RepoName, RunId};

/// A run, or one job of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionsTarget {
    /// The repository the URL names (already checked to be the expected one).
    pub repo: RepoName,
    pub run: RunId,
    /// Set for a job URL (`…/job/<id>`).
    pub job: Option<JobId>,
    /// Set for an attempt URL (`…/attempts/<n>`).
    pub attempt: Option<u32>,
}

/// What a run or job URL looks like, for error messages.
const SHAPE: &str = "https://github.com/OWNER/REPO/actions/runs/RUN_ID[/job/JOB_ID]";

/// Parses `text` as a run or job URL on one of `hosts` (lower-case, e.g. `github.com`) of
/// `expected`. The error says what was wrong and what is accepted.
pub fn parse_actions_url(
    text: &str,
    hosts: &[String],
    expected: &RepoName,
) -> Result<ActionsTarget, String> {
    let text = text.trim();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(text);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    if !hosts.contains(&host) {
        return Err(format!(
            "{text:?} is not on {} (expected {SHAPE})",
            hosts.join(" or ")
        ));
    }
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (owner_repo, actions) = match segments.as_slice() {
        [owner, repo, rest @ ..] => (format!("{owner}/{repo}"), rest),
        _ => return Err(format!("{text:?} names no repository (expected {SHAPE})")),
    };
    let repo: RepoName = owner_repo
        .parse()
        .map_err(|_| format!("{text:?} names no repository (expected {SHAPE})"))?;
    let (run, tail) = match actions {
        ["actions", "runs", run, tail @ ..] => (id_of(run, text)?, tail),
        ["pull", ..] => {
            return Err(format!(
            "{text:?} is a pull request; give one of its runs or jobs ({SHAPE}), or use ci-status"
        ))
        }
        _ => {
            return Err(format!(
                "{text:?} is not a run or job URL (expected {SHAPE})"
            ))
        }
    };
    let (job, attempt) = match tail {
        [] => (None, None),
        ["job", job] => (Some(JobId::new(id_of(job, text)?)), None),
        ["attempts", n] => {
            let attempt = u32::try_from(id_of(n, text)?)
                .map_err(|_| format!("{text:?}: attempt {n} is not an attempt number"))?;
            (None, Some(attempt))
        }
        _ => {
            return Err(format!(
                "{text:?} is not a run or job URL (expected {SHAPE})"
            ))
        }
    };
    if repo != *expected {
        return Err(format!(
            "{text:?} is a run of {repo}, not of {expected}, the repository this bot watches"
        ));
    }
    Ok(ActionsTarget {
        repo,
        run: RunId::new(run),
        job,
        attempt,
    })
}

/// A positive id of at most 19 digits.
fn id_of(segment: &str, text: &str) -> Result<u64, String> {
    segment
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0 && segment.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| format!("{text:?}: {segment:?} is not an id (expected {SHAPE})"))
}

/// The web hosts whose URLs are accepted: the GitHub Enterprise host when the API is one
/// (`https://HOST/api/v3` serves `https://HOST/...`; a github.com id would name another run
/// there), else `github.com` (the public API, or a stand-in for it such as a test server).
pub fn web_hosts(api_url: &str) -> Vec<String> {
    let rest = api_url.split_once("://").map_or(api_url, |(_, rest)| rest);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if path.trim_end_matches('/') == "api/v3" && !host.is_empty() {
        vec![host.to_ascii_lowercase()]
    } else {
        vec!["github.com".into()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sglang() -> RepoName {
        "sgl-project/sglang".parse().unwrap()
    }

    fn parse(url: &str) -> Result<ActionsTarget, String> {
        parse_actions_url(url, &web_hosts("https://api.github.com"), &sglang())
    }

    #[test]
    fn run_job_and_attempt_urls_with_any_suffix_are_read() {
        let run = parse("https://github.com/sgl-project/sglang/actions/runs/24384910439").unwrap();
        assert_eq!(
            (run.run, run.job, run.attempt),
            (RunId::new(24384910439), None, None)
        );
        let job = parse(
            "github.com/sgl-project/sglang/actions/runs/24384910439/job/71216400611?pr=1#step:5:12",
        )
        .unwrap();
        assert_eq!(job.job, Some(JobId::new(71216400611)));
        let attempt =
            parse("https://github.com/sgl-project/sglang/actions/runs/24384910439/attempts/2/")
                .unwrap();
        assert_eq!(attempt.attempt, Some(2));
    }

    #[test]
    fn an_enterprise_api_reads_its_own_host_only() {
        let hosts = web_hosts("https://GHE.amd.com/api/v3/");
        assert_eq!(hosts, ["ghe.amd.com"]);
        let ghes = parse_actions_url(
            "https://GHE.amd.com/SGL-Project/sglang/actions/runs/5",
            &hosts,
            &sglang(),
        )
        .unwrap();
        assert_eq!((ghes.run, ghes.repo), (RunId::new(5), sglang()));
        let public = parse_actions_url(
            "https://github.com/sgl-project/sglang/actions/runs/5",
            &hosts,
            &sglang(),
        );
        assert!(
            public.unwrap_err().contains("is not on ghe.amd.com"),
            "a github.com id names another run there"
        );
    }

    #[test]
    fn everything_else_is_refused_saying_why() {
        for (url, says) in [
            (
                "https://github.com/sgl-project/sglang/pull/12345",
                "pull request",
            ),
            (
                "https://github.com/sgl-project/sglang/pull/12345/checks?check_run_id=1",
                "pull request",
            ),
            (
                "https://github.com/someone/sglang/actions/runs/1",
                "not of sgl-project/sglang",
            ),
            (
                "https://gitlab.com/sgl-project/sglang/actions/runs/1",
                "is not on",
            ),
            (
                "https://notgithub.com/sgl-project/sglang/actions/runs/1",
                "is not on",
            ),
            (
                "https://github.com.evil.io/sgl-project/sglang/actions/runs/1",
                "is not on",
            ),
            (
                "https://user@github.com/sgl-project/sglang/actions/runs/1",
                "is not on",
            ),
            (
                "https://github.com/sgl-project/sglang/actions/runs/abc",
                "not an id",
            ),
            (
                "https://github.com/sgl-project/sglang/actions/runs/0",
                "not an id",
            ),
            (
                "https://github.com/sgl-project/sglang/actions/runs/1/attempts/4294967297",
                "not an attempt number",
            ),
            (
                "https://github.com/sgl-project/sglang/actions/runs/1/job/2/extra",
                "not a run or job",
            ),
            (
                "https://github.com/sgl-project/sglang/actions/workflows/x.yml",
                "not a run or job",
            ),
            ("https://github.com/sgl-project", "names no repository"),
            ("not a url at all", "is not on"),
            ("", "is not on"),
        ] {
            let err = parse(url).unwrap_err();
            assert!(err.contains(says), "{url}: {err}");
        }
    }

    #[test]
    fn the_public_api_or_a_stand_in_for_it_reads_github_com() {
        assert_eq!(web_hosts("https://api.github.com"), ["github.com"]);
        assert_eq!(web_hosts("http://127.0.0.1:8080"), ["github.com"]);
    }
}
