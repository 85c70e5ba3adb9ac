//! A local "upstream" sglang repository made in a test, for the workspace and the agent.

use std::path::{Path, PathBuf};

use git2::{Repository, Signature};

/// A repository with a `main` branch, in a temporary directory.
pub struct Upstream {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub repo: Repository,
}

impl Upstream {
    pub fn new() -> Upstream {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sglang");
        let repo = Repository::init_opts(
            &path,
            git2::RepositoryInitOptions::new().initial_head("main"),
        )
        .unwrap();
        Upstream {
            _dir: dir,
            path,
            repo,
        }
    }

    /// Commits `files` on top of `branch` (created if absent) and returns the commit id.
    pub fn commit(&self, branch: &str, files: &[(&str, &str)]) -> String {
        let mut index = self.repo.index().unwrap();
        for (name, content) in files {
            let file = self.path.join(name);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, content).unwrap();
            index.add_path(Path::new(name)).unwrap();
        }
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = Signature::now("test", "test@example.com").unwrap();
        let refname = format!("refs/heads/{branch}");
        let parent = self
            .repo
            .find_reference(&refname)
            .ok()
            .and_then(|r| r.peel_to_commit().ok())
            .or_else(|| self.repo.head().ok().and_then(|h| h.peel_to_commit().ok()));
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let oid = self
            .repo
            .commit(Some(&refname), &sig, &sig, "change", &tree, &parents)
            .unwrap();
        oid.to_string()
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.path.display())
    }
}
