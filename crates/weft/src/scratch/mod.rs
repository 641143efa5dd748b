//! Scratch space for files in progress (uploads being received, videos being remuxed, audio
//! being transcribed). Each process claims its own folder under `DATA/tmp`, named after its
//! kind and PID, and holds an exclusive lock on a file beside it for as long as it runs. A
//! process that dies (killed, crashed, power lost) drops its lock with it, so the next one to
//! start removes the folder at once, however young, while the folders of processes still
//! running (a `weft worker` sharing the data directory) stay.

mod spool;

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::fs::{flock, FlockOperation};
use uuid::Uuid;

pub use spool::Spool;

/// Loose files from before folders were claimed are removed once this old.
const LOOSE_FILE_AGE: Duration = Duration::from_secs(24 * 3600);

/// A claimed scratch folder; released (and emptied) when dropped.
#[derive(Debug)]
pub struct Scratch {
    dir: PathBuf,
    lock_path: PathBuf,
    /// Held open for the exclusive lock.
    _lock: File,
}

impl Scratch {
    /// Removes what dead processes left under `root`, then claims `root/KIND-PID`.
    pub fn claim(root: &Path, kind: &str) -> io::Result<Scratch> {
        std::fs::create_dir_all(root)?;
        let name = format!("{kind}-{}", std::process::id());
        let lock_path = root.join(format!("{name}.lock"));
        let lock = File::create(&lock_path)?;
        flock(&lock, FlockOperation::NonBlockingLockExclusive)?;
        let removed = sweep(root);
        if removed > 0 {
            tracing::info!(
                removed,
                "removed scratch files left by a process that did not stop cleanly"
            );
        }
        let dir = root.join(name);
        // A folder of the same name is from a dead process that had this PID.
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch {
            dir,
            lock_path,
            _lock: lock,
        })
    }

    /// The folder to put files in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_file(&self.lock_path);
    }
}

/// Removes the folders under `root` whose lock no live process holds, and loose files older
/// than a day. Returns the number of files removed.
fn sweep(root: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(root) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            let lock_path = path.with_extension("lock");
            let abandoned = match File::open(&lock_path) {
                Ok(lock) => flock(&lock, FlockOperation::NonBlockingLockExclusive).is_ok(),
                // A folder without its lock: made by hand, or its lock was removed; only by age.
                Err(_) => older_than(&path, LOOSE_FILE_AGE),
            };
            if abandoned {
                removed += count_files(&path);
                if std::fs::remove_dir_all(&path).is_ok() {
                    let _ = std::fs::remove_file(&lock_path);
                }
            }
        } else if path.extension().is_some_and(|e| e == "lock") {
            // A lock whose folder is gone: removed when nobody holds it.
            if !path.with_extension("").exists() {
                if let Ok(lock) = File::open(&path) {
                    if flock(&lock, FlockOperation::NonBlockingLockExclusive).is_ok() {
                        let _ = std::fs::remove_file(&path);
                    }
                }
            }
        } else if older_than(&path, LOOSE_FILE_AGE) && std::fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

fn older_than(path: &Path, age: Duration) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|elapsed| elapsed > age)
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| entries.count())
}

/// A file in the scratch folder that is deleted when dropped (also when the request that
/// was writing it is cancelled because the client went away).
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
}

impl TempFile {
    /// A new, not yet created, file name in `dir`.
    pub fn new_in(dir: &Path, suffix: &str) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            path: dir.join(format!("{}.{suffix}", Uuid::new_v4())),
        })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_process_folder_goes_at_once_and_a_live_one_stays() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        // Left by a process that died: a folder and its lock file, nobody holding it.
        let dead = root.join("serve-999999999");
        std::fs::create_dir_all(&dead).unwrap();
        std::fs::write(dead.join("upload.mp4"), b"partial").unwrap();
        File::create(root.join("serve-999999999.lock")).unwrap();
        // A live process (another claim in this test) keeps its folder.
        let live = Scratch::claim(root, "worker").unwrap();
        std::fs::write(live.dir().join("job.wav"), b"audio").unwrap();
        // A young loose file (an older layout) stays; it goes after a day.
        std::fs::write(root.join("young.mp4"), b"x").unwrap();

        let mine = Scratch::claim(root, "serve").unwrap();

        assert!(!dead.exists(), "the dead process's folder is removed");
        assert!(!root.join("serve-999999999.lock").exists());
        assert!(live.dir().join("job.wav").exists(), "a live folder stays");
        assert!(root.join("young.mp4").exists());
        assert!(mine.dir().is_dir());
        let dir = mine.dir().to_path_buf();
        drop(mine);
        assert!(!dir.exists(), "a clean stop removes its own folder");
    }
}
