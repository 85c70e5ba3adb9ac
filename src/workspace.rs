//! The sglang checkout the agents read: one cached clone, and one git worktree per analysis
//! at the exact commit under analysis, removed when the analysis ends (also on panic or
//! timeout, through `Drop`).
//!
//! Local repository work goes through git2. Network fetches go through the system `git`:
//! git2 is built without its TLS transports (no OpenSSL), and the runner's `git` already has
//! the credentials, proxy and shallow-fetch support. Several bot processes on one runner
//! share the cache: every change to the clone's metadata happens under an exclusive file lock.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use git2::{BranchType, Oid, Repository, WorktreeAddOptions, WorktreePruneOptions};

use crate::domain::CommitSha;

/// History depth of clones and fetches: enough for recent commits, cheap to fetch.
const DEPTH: &str = "100";
/// Worktree directories are named `{PREFIX}{tag}` inside the workspace root.
const WORKTREE_PREFIX: &str = "sglang-wt-";
/// Names of files a checked-out PR could use to steer the agent.
const STEERING_FILES: &[&str] = &["CLAUDE.md", "CLAUDE.local.md", "AGENTS.md", ".mcp.json"];
/// Directories a checked-out PR could use to configure the agent (hooks, settings, commands).
const STEERING_DIRS: &[&str] = &[".claude"];

/// The cache of sglang checkouts under one root directory.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    remote: String,
    branch: String,
    git_timeout: Duration,
}

impl Workspace {
    /// A workspace under `root` cloning `remote` (a URL or a local path), tracking `branch`.
    pub fn new(
        root: impl Into<PathBuf>,
        remote: impl Into<String>,
        branch: impl Into<String>,
    ) -> Self {
        Workspace {
            root: root.into(),
            remote: remote.into(),
            branch: branch.into(),
            git_timeout: Duration::from_secs(300),
        }
    }

    /// The main clone (cross-job and cross-run agents run here).
    pub fn clone_dir(&self) -> PathBuf {
        self.root.join("sglang")
    }

    fn lock(&self) -> Result<WorkspaceLock> {
        std::fs::create_dir_all(&self.root)
            .with_context(|| format!("cannot create workspace {}", self.root.display()))?;
        let path = self.root.join(".sglang-bot.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(WorkspaceLock { _file: file })
    }

    /// Makes sure the clone exists and is up to date with the remote branch.
    pub async fn ensure_clone(&self) -> Result<PathBuf> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.ensure_clone_blocking())
            .await
            .context("workspace task panicked")?
    }

    fn ensure_clone_blocking(&self) -> Result<PathBuf> {
        let _lock = self.lock()?;
        let dir = self.clone_dir();
        if Repository::open(&dir).is_ok() {
            self.git(&dir, &["fetch", "--depth", DEPTH, "origin", &self.branch])?;
            self.git(&dir, &["reset", "--hard", "FETCH_HEAD"])?;
        } else {
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("cannot remove broken clone {}", dir.display()))?;
            }
            let target = dir.to_string_lossy().into_owned();
            self.git(
                &self.root,
                &[
                    "clone",
                    "--depth",
                    DEPTH,
                    "--single-branch",
                    "--branch",
                    &self.branch,
                    &self.remote,
                    &target,
                ],
            )?;
        }
        self.prune_locked()?;
        Ok(dir)
    }

    /// A worktree at exactly `commit`, fetched first if the clone lacks it. `tag` names it
    /// (a job id, `review-pr#42`); a leftover worktree of the same tag is replaced.
    pub async fn worktree(&self, tag: &str, commit: &CommitSha) -> Result<Worktree> {
        let this = self.clone();
        let tag = tag.to_string();
        let commit = commit.as_str().to_string();
        tokio::task::spawn_blocking(move || this.worktree_blocking(&tag, &commit, None))
            .await
            .context("workspace task panicked")?
    }

    /// A worktree at exactly `head`, the head commit of pull request `number`. A head the
    /// clone lacks is fetched through `refs/pull/{number}/head`, which also reaches a fork's
    /// commits (no branch of the repository holds them); if that does not bring it, the
    /// review fails rather than reading another commit (PR-W16).
    pub async fn pull_worktree(
        &self,
        tag: &str,
        number: u64,
        head: &CommitSha,
    ) -> Result<Worktree> {
        let this = self.clone();
        let tag = tag.to_string();
        let commit = head.as_str().to_string();
        tokio::task::spawn_blocking(move || this.worktree_blocking(&tag, &commit, Some(number)))
            .await
            .context("workspace task panicked")?
    }

    fn worktree_blocking(&self, tag: &str, commit: &str, pull: Option<u64>) -> Result<Worktree> {
        let clone = self.clone_dir();
        let oid =
            Oid::from_str(commit).with_context(|| format!("{commit:?} is not a commit id"))?;
        let _lock = self.lock()?;
        let repo = Repository::open(&clone).with_context(|| {
            format!(
                "no sglang clone at {}; run ensure_clone first",
                clone.display()
            )
        })?;
        if let (Err(_), Some(number)) = (repo.find_commit(oid), pull) {
            let refspec = format!("refs/pull/{number}/head");
            if let Err(e) = self.git(&clone, &["fetch", "--depth", DEPTH, "origin", &refspec]) {
                tracing::warn!("cannot fetch {refspec}: {e:#}; trying the commit itself");
            }
        }
        if repo.find_commit(oid).is_err() {
            self.git(&clone, &["fetch", "--depth", DEPTH, "origin", commit])
                .with_context(|| {
                    format!("commit {commit} is not in the clone and could not be fetched")
                })?;
        }
        let target = repo
            .find_commit(oid)
            .with_context(|| format!("commit {commit} is not in the clone after fetching it"))?;

        let name = sanitize_tag(tag);
        let path = self.root.join(format!("{WORKTREE_PREFIX}{name}"));
        let branch_name = format!("wt-{name}");
        remove_worktree(&repo, &name, &path);
        let branch = repo
            .branch(&branch_name, &target, true)
            .with_context(|| format!("cannot create branch {branch_name}"))?;
        let reference = branch.into_reference();
        let mut options = WorktreeAddOptions::new();
        options.reference(Some(&reference));
        repo.worktree(&name, &path, Some(&options))
            .with_context(|| format!("cannot add worktree {} at {commit}", path.display()))?;
        Ok(Worktree {
            clone,
            name,
            path,
            commit: commit.to_string(),
        })
    }

    /// Removes worktrees whose directories are gone and worktree directories git no longer
    /// knows (left by a crashed run). Live worktrees of other processes are kept.
    pub fn prune(&self) -> Result<usize> {
        let _lock = self.lock()?;
        self.prune_locked()
    }

    fn prune_locked(&self) -> Result<usize> {
        let Ok(repo) = Repository::open(self.clone_dir()) else {
            return Ok(0);
        };
        let mut pruned = 0;
        let registered: Vec<String> = repo
            .worktrees()?
            .iter()
            .flatten()
            .map(str::to_string)
            .collect();
        for name in &registered {
            if let Ok(wt) = repo.find_worktree(name) {
                if wt.validate().is_err() {
                    let _ = wt.prune(Some(WorktreePruneOptions::new().valid(true)));
                    delete_branch(&repo, name);
                    pruned += 1;
                }
            }
        }
        for entry in std::fs::read_dir(&self.root)?.flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if let Some(name) = file_name.strip_prefix(WORKTREE_PREFIX) {
                if !registered.iter().any(|r| r == name) {
                    let _ = std::fs::remove_dir_all(entry.path());
                    pruned += 1;
                }
            }
        }
        Ok(pruned)
    }

    fn git(&self, cwd: &Path, args: &[&str]) -> Result<()> {
        let mut child = std::process::Command::new("git")
            .args(args)
            .current_dir(cwd)
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot run git")?;
        let deadline = std::time::Instant::now() + self.git_timeout;
        loop {
            if let Some(status) = child.try_wait()? {
                if status.success() {
                    return Ok(());
                }
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    use std::io::Read;
                    let _ = pipe.read_to_string(&mut stderr);
                }
                bail!(
                    "git {} failed ({status}): {}",
                    args.join(" "),
                    stderr.trim()
                );
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "git {} timed out after {:?}",
                    args.join(" "),
                    self.git_timeout
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

struct WorkspaceLock {
    // Held for its lock; closing the file releases it.
    _file: File,
}

/// One checkout at one commit. Dropping it removes the directory, the worktree registration
/// and its branch.
#[derive(Debug)]
pub struct Worktree {
    clone: PathBuf,
    name: String,
    path: PathBuf,
    commit: String,
}

impl Worktree {
    /// Where the checkout is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The commit it is at.
    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// Removes every file the checked-out code could use to instruct or configure the agent
    /// (at any depth), then installs our own `CLAUDE.md` at the root. Run it before any agent
    /// starts in a checkout of untrusted code. Returns what was removed, relative to the root.
    pub fn prepare_for_agent(&self, our_claude_md: &str) -> Result<Vec<PathBuf>> {
        let mut removed = Vec::new();
        remove_steering(&self.path, &self.path, &mut removed)?;
        std::fs::write(self.path.join("CLAUDE.md"), our_claude_md)
            .context("cannot install the agent's CLAUDE.md")?;
        Ok(removed)
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let root = self.path.parent().map(Path::to_path_buf);
        // Take the shared lock like every other change to the clone; if that fails, still clean up.
        let _lock = root.and_then(|root| {
            let file = File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(root.join(".sglang-bot.lock"))
                .ok()?;
            file.lock().ok()?;
            Some(file)
        });
        if let Ok(repo) = Repository::open(&self.clone) {
            remove_worktree(&repo, &self.name, &self.path);
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn remove_steering(root: &Path, dir: &Path, removed: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let kind = entry.file_type()?;
        if name == ".git" {
            continue;
        }
        let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        if kind.is_dir() {
            if STEERING_DIRS.contains(&name.as_str()) {
                std::fs::remove_dir_all(&path)?;
                removed.push(relative);
            } else {
                remove_steering(root, &path, removed)?;
            }
        } else if STEERING_FILES.iter().any(|f| f.eq_ignore_ascii_case(&name)) {
            std::fs::remove_file(&path)?;
            removed.push(relative);
        }
    }
    Ok(())
}

fn remove_worktree(repo: &Repository, name: &str, path: &Path) {
    let _ = std::fs::remove_dir_all(path);
    if let Ok(wt) = repo.find_worktree(name) {
        let _ = wt.prune(Some(
            WorktreePruneOptions::new()
                .valid(true)
                .locked(true)
                .working_tree(true),
        ));
    }
    delete_branch(repo, name);
}

fn delete_branch(repo: &Repository, name: &str) {
    if let Ok(mut branch) = repo.find_branch(&format!("wt-{name}"), BranchType::Local) {
        let _ = branch.delete();
    }
}

/// A tag as a directory and branch name: anything but letters, digits, `_` and `-` becomes `_`.
pub fn sanitize_tag(tag: &str) -> String {
    tag.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_become_safe_names() {
        assert_eq!(sanitize_tag("review-pr#42"), "review-pr_42");
        assert_eq!(sanitize_tag("123/../x"), "123____x");
    }
}
