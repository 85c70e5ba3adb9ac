//! GitHub's objects as they arrive, converted into the bot's own models.
//!
//! Issues, comments and pull requests are read through octocrab's
//! models (checked against real recorded payloads) and converted here. Workflow runs, jobs,
//! check runs, reactions, pull request files and commit statuses keep local wire models: octocrab's are too strict or too
//! poor for what GitHub really sends and what we need (each says why).

use octocrab::models as octo;
use serde::Serialize;

use super::models::{
    CombinedStatus, Comment, CommitStatus, GitRef, Issue, Label, PullRequest, User,
};
use crate::domain::{CommentId, IssueNumber, IssueState};

/// GitHub's own spelling of an octocrab enum (they serialise as GitHub writes them).
fn spelled<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

impl From<octo::Author> for User {
    fn from(a: octo::Author) -> Self {
        User {
            login: a.login,
            id: a.id.into_inner(),
            kind: Some(a.r#type),
        }
    }
}

impl From<octo::issues::Issue> for Issue {
    fn from(i: octo::issues::Issue) -> Self {
        Issue {
            number: IssueNumber::new(i.number),
            id: i.id.into_inner(),
            title: i.title,
            body: i.body.unwrap_or_default(),
            state: IssueState::parse(&spelled(&i.state)),
            html_url: i.html_url.to_string(),
            user: Some(i.user.into()),
            labels: i
                .labels
                .into_iter()
                .map(|l| Label { name: l.name })
                .collect(),
            created_at: Some(i.created_at),
            updated_at: Some(i.updated_at),
            pull_request: i
                .pull_request
                .map(|p| serde_json::json!({ "url": p.url.to_string() })),
            closed_by: i.closed_by.map(User::from),
        }
    }
}

/// One hit of the issue search. Local model: a search hit has its own schema on GitHub (an
/// "issue search result item", with `score` and fewer guaranteed fields than an issue), so
/// octocrab's `Issue` refuses hits it does not consider complete.
#[derive(serde::Deserialize)]
pub(super) struct SearchHit {
    number: IssueNumber,
    #[serde(default)]
    id: u64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: Option<String>,
    state: IssueState,
    #[serde(default)]
    html_url: String,
    #[serde(default)]
    user: Option<User>,
    #[serde(default)]
    labels: Vec<LabelWire>,
    #[serde(default)]
    created_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
    #[serde(default)]
    closed_by: Option<User>,
}

#[derive(serde::Deserialize)]
struct LabelWire {
    name: String,
}

impl From<SearchHit> for Issue {
    fn from(h: SearchHit) -> Self {
        Issue {
            number: h.number,
            id: h.id,
            title: h.title,
            body: h.body.unwrap_or_default(),
            state: h.state,
            html_url: h.html_url,
            user: h.user,
            labels: h
                .labels
                .into_iter()
                .map(|l| Label { name: l.name })
                .collect(),
            created_at: h.created_at,
            updated_at: h.updated_at,
            pull_request: h.pull_request,
            closed_by: h.closed_by,
        }
    }
}

/// An issue from a listing: octocrab's model, or, when it refuses the item (an enum value newer
/// than it knows, a user field GitHub Enterprise leaves out), the lenient model of search hits.
/// One odd item must not fail a whole listing: that would hide the daily issue, or the bot's
/// comments, and stop every command that reads them.
pub(super) fn issue_from(value: &serde_json::Value) -> Result<Issue, serde_json::Error> {
    use serde::Deserialize;
    match octo::issues::Issue::deserialize(value) {
        Ok(issue) => Ok(issue.into()),
        Err(strict) => SearchHit::deserialize(value)
            .map(Issue::from)
            .map_err(|_| strict),
    }
}

/// A comment the lenient way (see [`issue_from`]): what the readers need and nothing more.
#[derive(serde::Deserialize)]
struct CommentWire {
    id: CommentId,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    user: Option<User>,
    #[serde(default)]
    html_url: String,
    #[serde(default)]
    issue_url: String,
    #[serde(default)]
    author_association: Option<String>,
    #[serde(default)]
    created_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A comment from a listing: octocrab's model, or the lenient one when it refuses the item.
pub(super) fn comment_from(value: &serde_json::Value) -> Result<Comment, serde_json::Error> {
    use serde::Deserialize;
    match octo::issues::Comment::deserialize(value) {
        Ok(comment) => Ok(comment.into()),
        Err(strict) => CommentWire::deserialize(value)
            .map(|c| Comment {
                id: c.id,
                body: c.body.unwrap_or_default(),
                user: c.user,
                html_url: c.html_url,
                issue_url: c.issue_url,
                author_association: c.author_association,
                created_at: c.created_at,
                updated_at: c.updated_at,
            })
            .map_err(|_| strict),
    }
}

impl From<octo::issues::Comment> for Comment {
    fn from(c: octo::issues::Comment) -> Self {
        Comment {
            id: CommentId::new(c.id.into_inner()),
            body: c.body.unwrap_or_default(),
            user: Some(c.user.into()),
            html_url: c.html_url.to_string(),
            issue_url: c.issue_url.map(|u| u.to_string()).unwrap_or_default(),
            author_association: c.author_association.as_ref().map(spelled),
            created_at: Some(c.created_at),
            updated_at: c.updated_at,
        }
    }
}

impl From<octo::pulls::PullRequest> for PullRequest {
    fn from(p: octo::pulls::PullRequest) -> Self {
        PullRequest {
            number: IssueNumber::new(p.number),
            title: p.title.unwrap_or_default(),
            body: p.body.unwrap_or_default(),
            state: p.state.as_ref().map(spelled).unwrap_or_default(),
            html_url: p.html_url.map(|u| u.to_string()).unwrap_or_default(),
            user: p.user.map(|u| (*u).into()),
            head: GitRef {
                branch: p.head.ref_field,
                sha: p.head.sha,
                label: p.head.label,
            },
            base: GitRef {
                branch: p.base.ref_field,
                sha: p.base.sha,
                label: p.base.label,
            },
            draft: p.draft,
            merged: p.merged,
            additions: p.additions,
            deletions: p.deletions,
            changed_files: p.changed_files,
        }
    }
}

/// One commit status. Local model: octocrab's decodes the `creator` and the `repository`
/// in full and refuses them without `node_id`, as GitHub sent them until 2017 and older
/// Enterprise servers still do; the bot reads four fields.
#[derive(serde::Deserialize)]
pub(super) struct StatusWire {
    #[serde(default)]
    context: Option<String>,
    state: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    target_url: Option<String>,
}

impl From<StatusWire> for CommitStatus {
    fn from(s: StatusWire) -> Self {
        CommitStatus {
            context: s.context.unwrap_or_default(),
            state: s.state,
            description: s.description,
            target_url: s.target_url,
        }
    }
}

/// The combined status of a ref (local for the same reason as [`StatusWire`]).
#[derive(serde::Deserialize)]
pub(super) struct CombinedStatusWire {
    state: String,
    sha: String,
    #[serde(default)]
    statuses: Vec<StatusWire>,
}

impl From<CombinedStatusWire> for CombinedStatus {
    fn from(c: CombinedStatusWire) -> Self {
        CombinedStatus {
            state: c.state,
            sha: c.sha,
            statuses: c.statuses.into_iter().map(Into::into).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Every body recorded from the real GitHub (`tests/fixtures/github`) decodes through the
    //! model the client uses for it, and converts into ours with the values intact.

    use serde::de::DeserializeOwned;
    use serde_json::Value;

    use super::*;
    use crate::domain::{ReactionContent, ReactionId};
    use crate::github::models::{CheckRun, Job, PullFile, Reaction, WorkflowRun};

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/github");

    fn body(name: &str) -> Value {
        let text = std::fs::read_to_string(format!("{FIXTURES}/{name}")).expect("fixture");
        serde_json::from_str(&text).expect("fixture is JSON")
    }

    fn decode<T: DeserializeOwned>(name: &str, value: Value) -> T {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn list<T: DeserializeOwned>(name: &str, key: Option<&str>) -> Vec<T> {
        let mut v = body(name);
        let v = match key {
            Some(k) => v[k].take(),
            None => v,
        };
        decode(name, v)
    }

    /// The recorded exchanges of octokit's re-shaped fixtures: every response body.
    fn responses(name: &str) -> Vec<Value> {
        let exchanges: Vec<Value> = decode(name, body(name));
        exchanges
            .into_iter()
            .map(|mut e| e["response"].take())
            .collect()
    }

    #[test]
    fn an_item_octocrabs_model_refuses_is_read_leniently_and_one_broken_item_still_fails() {
        let mut issue = body("issue.json");
        issue["state_reason"] = "reopened_by_a_future_feature".into();
        issue["user"]
            .as_object_mut()
            .unwrap()
            .retain(|k, _| k == "login" || k == "id");
        let number = issue["number"].as_u64().unwrap();
        assert!(
            serde_json::from_value::<octo::issues::Issue>(issue.clone()).is_err(),
            "the strict model refuses it"
        );
        let read = issue_from(&issue).expect("read leniently");
        assert_eq!(read.number, IssueNumber::new(number));
        assert_eq!(read.title, issue["title"].as_str().unwrap());
        assert!(read.user.is_some_and(|u| !u.login.is_empty()));

        let mut comment = list::<Value>("issue-comments-list.json", None).remove(0);
        comment["user"]
            .as_object_mut()
            .unwrap()
            .retain(|k, _| k == "login" || k == "id");
        let read = comment_from(&comment).expect("read leniently");
        assert_eq!(read.body, comment["body"].as_str().unwrap_or_default());

        // Without even a number, an item is not an issue: an error, not a silent gap.
        assert!(issue_from(&serde_json::json!({"title": "x"})).is_err());
    }

    /// What each recorded file is, and how the client reads it. A file missing here fails the
    /// test, so a new recording must say which model reads it.
    fn check(name: &str) -> usize {
        match name {
            "workflow-runs-list.json" | "workflow-runs-list-for-workflow.json" => {
                let runs: Vec<WorkflowRun> = list(name, Some("workflow_runs"));
                assert!(runs.iter().all(|r| r.id.get() > 0 && r.head_sha.is_some()));
                runs.len()
            }
            "workflow-run.json" => {
                let run: WorkflowRun = decode(name, body(name));
                assert!(run.conclusion.is_some());
                1
            }
            "jobs-list.json" | "jobs-list-pytorch.json" => {
                let jobs: Vec<Job> = list(name, Some("jobs"));
                assert!(jobs.iter().all(|j| j.id.get() > 0));
                if name == "jobs-list-pytorch.json" {
                    assert!(jobs
                        .iter()
                        .any(|j| j.conclusion == Some(crate::domain::Conclusion::Skipped)));
                }
                jobs.len()
            }
            "job.json" => {
                let job: Job = decode(name, body(name));
                assert_eq!(job.steps[0].name, "Set up job");
                1
            }
            "issue.json" => {
                let issue: Issue = decode::<octo::issues::Issue>(name, body(name)).into();
                assert!(issue.number.get() > 0 && !issue.title.is_empty());
                1
            }
            "issue-create-201.json" => {
                let created: Issue = decode::<octo::issues::Issue>(name, body(name)).into();
                assert_eq!(created.state, IssueState::Open);
                1
            }
            "issues-list.json" => {
                let issues: Vec<octo::issues::Issue> = list(name, None);
                issues.into_iter().map(Issue::from).count()
            }
            "issues-list-paginated-octokit.json" => {
                let pages = responses(name);
                assert_eq!(pages.len(), 5);
                let mut n = 0;
                for page in pages {
                    let issues: Vec<octo::issues::Issue> = decode(name, page);
                    n += issues.into_iter().map(Issue::from).count();
                }
                n
            }
            "search-issues.json" => {
                let found: Vec<SearchHit> = list(name, Some("items"));
                found.into_iter().map(Issue::from).count()
            }
            "search-issues-octokit.json" => responses(name)
                .into_iter()
                .map(|mut r| decode::<Vec<SearchHit>>(name, r["items"].take()).len())
                .sum(),
            "issue-comments-list.json" => {
                let comments: Vec<octo::issues::Comment> = list(name, None);
                let ours: Vec<Comment> = comments.into_iter().map(Comment::from).collect();
                assert!(ours
                    .iter()
                    .all(|c| c.id.get() > 0 && !c.author().is_empty()));
                // The watcher finds a comment's PR from it (issue #15).
                assert!(ours.iter().all(|c| c.issue_url.contains("/issues/")));
                ours.len()
            }
            "issue-edit.json" => {
                // A PATCH answer: the bot reads nothing of it (recorded in 2013, before
                // node_id existed), so only its identity is checked.
                let n: IssueNumber = decode(name, body(name)["number"].take());
                assert!(n.get() > 0);
                1
            }
            "issue-comment-create-201.json" | "issue-comment-edit.json" => {
                // Recorded in 2012 (before node_id and html_url existed): the bot reads only
                // the id of a comment it wrote, so the answer is checked for that alone.
                let id: CommentId = decode(name, body(name)["id"].take());
                assert!(id.get() > 0);
                1
            }
            "reactions-list.json" => {
                let ours: Vec<Reaction> = list(name, None);
                assert!(ours
                    .iter()
                    .all(|r| !matches!(r.content, ReactionContent::Unknown(_))));
                // A claim's age is read from it (issue #15).
                assert!(ours.iter().all(|r| r.created_at.is_some()));
                ours.len()
            }
            "reaction-create-201.json" => {
                // A POST answer the bot does not read (recorded before node_id existed): its
                // id and content are checked with our types.
                let mut v = body(name);
                let id: ReactionId = decode(name, v["id"].take());
                let content: ReactionContent = decode(name, v["content"].take());
                assert!(id.get() > 0 && !matches!(content, ReactionContent::Unknown(_)));
                1
            }
            "pull-request.json" => {
                let pr: PullRequest = decode::<octo::pulls::PullRequest>(name, body(name)).into();
                assert!(!pr.head.sha.is_empty() && !pr.base.branch.is_empty());
                1
            }
            "pulls-list-octocrab.json" => {
                let prs: Vec<octo::pulls::PullRequest> = list(name, None);
                prs.into_iter().map(PullRequest::from).count()
            }
            "pull-request-files.json" => {
                let ours: Vec<PullFile> = list(name, None);
                assert!(ours.iter().all(|f| !f.status.is_empty()));
                ours.len()
            }
            "check-runs-for-ref.json" | "check-runs-for-ref-octocrab.json" => {
                let checks: Vec<CheckRun> = list(name, Some("check_runs"));
                assert!(checks.iter().all(|c| !c.name.is_empty()));
                checks.len()
            }
            "combined-status.json" => {
                let status: CombinedStatus = decode::<CombinedStatusWire>(name, body(name)).into();
                assert!(!status.state.is_empty());
                status.statuses.len().max(1)
            }
            "commit-statuses.json" => {
                let statuses: Vec<StatusWire> = list(name, None);
                statuses.into_iter().map(CommitStatus::from).count()
            }
            "user.json" => {
                let user: User = decode(name, body(name));
                assert!(!user.login.is_empty());
                1
            }
            // Error bodies: the client reads `message` (and nothing else) from them.
            name if name.starts_with("error-") => {
                let message = body(name)["message"].as_str().map(str::to_string);
                assert!(message.is_some_and(|m| !m.is_empty()), "{name}");
                1
            }
            // An empty 201 body: the bot no longer re-runs jobs, nothing reads it.
            "rerun-failed-jobs-201.json" => usize::from(body(name) == serde_json::json!({})),
            other => panic!("{other}: no model is chosen for this recording"),
        }
    }

    #[test]
    fn every_recorded_github_body_decodes_through_the_model_chosen_for_it() {
        let mut names: Vec<String> = std::fs::read_dir(FIXTURES)
            .expect("fixtures")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json") && n != "index.json")
            .collect();
        names.sort();
        assert!(names.len() >= 30, "{names:?}");
        for name in &names {
            assert!(check(name) > 0, "{name} decoded to nothing");
        }
    }
}
