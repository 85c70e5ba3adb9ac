//! File-system helpers shared by the state file and the HTTP cache. Depends on nothing of ours,
//! so any module can use it.

use std::io::Write;
use std::path::Path;

/// Replaces `path` with `bytes` so a reader (or a crash) sees the old content or the new one,
/// never a partial file: the bytes go to a temporary file in the same directory, are synced,
/// and the file is renamed over `path`. Missing parent directories are created. The temporary
/// file is removed if any step fails.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir
        }
        None => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writing_over_a_file_replaces_it_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomically(&path, b"old content, longer than the new one").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(names_in(dir.path()), ["state.json"]);
    }

    #[test]
    fn missing_directories_are_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/cache.json");
        write_atomically(&path, b"{}").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{}");
        assert_eq!(names_in(&dir.path().join("a/b")), ["cache.json"]);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // A directory in the way: the final rename fails after the temporary file was written.
        let path = dir.path().join("taken");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), b"old").unwrap();
        assert!(write_atomically(&path, b"new").is_err());
        assert_eq!(std::fs::read(path.join("inside")).unwrap(), b"old");
        assert_eq!(names_in(dir.path()), ["taken"]);
    }

    #[test]
    fn a_reader_never_sees_a_partial_file_while_it_is_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let old = vec![b'o'; 256 * 1024];
        let new = vec![b'n'; 256 * 1024];
        write_atomically(&path, &old).unwrap();
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                for i in 0..50 {
                    write_atomically(&path, if i % 2 == 0 { &new } else { &old }).unwrap();
                }
                done.store(true, std::sync::atomic::Ordering::SeqCst);
            });
            let mut reads = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) || reads == 0 {
                let seen = std::fs::read(&path).unwrap();
                assert!(
                    seen == old || seen == new,
                    "a partial file of {} bytes",
                    seen.len()
                );
                reads += 1;
            }
        });
        assert_eq!(names_in(dir.path()), ["state.json"]);
    }
}
