//! A local "upstream" sglang repository made in a test, for the workspace and the agent.

use std::path::PathBuf;

use git2::{Repository, Signature};

/// A bare repository (as a real remote is) with a `main` branch, in a temporary directory.
pub struct Upstream {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub repo: Repository,
}

impl Upstream {
    pub fn new() -> Upstream {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sglang.git");
        let repo = Repository::init_opts(
            &path,
            git2::RepositoryInitOptions::new()
                .bare(true)
                .initial_head("main"),
        )
        .unwrap();
        Upstream {
            _dir: dir,
            path,
            repo,
        }
    }

    /// Commits `files` on top of `branch` (created from `main`'s tip if absent) and returns
    /// the commit id. Built in memory: a bare repository has no work tree.
    pub fn commit(&self, branch: &str, files: &[(&str, &str)]) -> String {
        let refname = format!("refs/heads/{branch}");
        let parent = self
            .repo
            .find_reference(&refname)
            .ok()
            .and_then(|r| r.peel_to_commit().ok())
            .or_else(|| self.repo.head().ok().and_then(|h| h.peel_to_commit().ok()));
        let mut index = self.repo.index().unwrap();
        index.clear().unwrap();
        if let Some(parent) = &parent {
            index.read_tree(&parent.tree().unwrap()).unwrap();
        }
        for (name, content) in files {
            let entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: content.len() as u32,
                id: git2::Oid::zero(),
                flags: 0,
                flags_extended: 0,
                path: name.as_bytes().to_vec(),
            };
            index.add_frombuffer(&entry, content.as_bytes()).unwrap();
        }
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = Signature::now("test", "test@example.com").unwrap();
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let oid = self
            .repo
            .commit(Some(&refname), &sig, &sig, "change", &tree, &parents)
            .unwrap();
        oid.to_string()
    }

    /// Commits `files` on top of `main` as pull request `number`'s head, reachable only
    /// through `refs/pull/{number}/head` (as a fork's commits are): no branch holds it.
    pub fn pull_head(&self, number: u64, files: &[(&str, &str)]) -> String {
        let branch = format!("fork-pr-{number}");
        let sha = self.commit(&branch, files);
        let oid = git2::Oid::from_str(&sha).unwrap();
        self.repo
            .reference(&format!("refs/pull/{number}/head"), oid, true, "pull head")
            .unwrap();
        self.repo
            .find_reference(&format!("refs/heads/{branch}"))
            .unwrap()
            .delete()
            .unwrap();
        sha
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.path.display())
    }
}
