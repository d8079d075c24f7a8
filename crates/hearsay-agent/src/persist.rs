//! The data directory: what the agent keeps across restarts, written atomically.
//!
//! `state.json` holds the node's name, the generation and incarnation of its last start, and
//! the members it last knew. On restart the agent
//! - starts with a generation above the last one, even if the clock went backwards, so that no
//!   start ever reuses a generation (and with it, the incarnations of an earlier start);
//! - rejoins through the members it knew, so a crashed node finds its cluster without `--join`.
//!
//! A write goes to `state.json.tmp`, is synced, and is renamed over `state.json` (then the
//! directory is synced): a crash at any point leaves either the old file or the new one. A
//! `lock` file held with an exclusive lock keeps two agents from sharing one directory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file's format version; a newer one is refused rather than misread.
const FORMAT: u32 = 1;
/// Members kept in the file (the most useful first: alive ones).
const MAX_KEPT: usize = 4096;

/// What one start of the agent leaves for the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    /// File format version.
    pub format: u32,
    /// The node's name; a directory belongs to one node.
    pub name: String,
    /// Generation of the start that wrote the file.
    pub generation: u64,
    /// Incarnation reached by that start.
    pub incarnation: u32,
    /// Members known then (this node excluded).
    pub members: Vec<SavedMember>,
}

/// One member as remembered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedMember {
    /// Its name.
    pub name: String,
    /// Where it was reachable.
    pub addr: SocketAddr,
    /// Its generation then.
    pub generation: u64,
    /// Its incarnation then.
    pub incarnation: u32,
    /// `alive`, `suspect`, `dead` or `left`.
    pub state: String,
}

/// A data directory, locked for this process.
#[derive(Debug)]
pub struct DataDir {
    path: PathBuf,
    /// Held for the life of the agent; the lock is released when the file closes.
    _lock: File,
}

/// Why the data directory cannot be used. Each message names the directory and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PersistError {
    /// The directory cannot be created or written.
    #[error("data dir {path}: {source}")]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Another process holds the directory.
    #[error("data dir {0} is in use by another agent; stop it or pick another --data-dir")]
    Locked(PathBuf),
    /// The state file cannot be read as saved state.
    #[error(
        "data dir {path}: state.json is unreadable ({message}); move it away to start this node fresh"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The directory belongs to another node.
    #[error(
        "data dir {path} belongs to node '{owner}', not '{name}'; pass --name {owner} or use another --data-dir"
    )]
    OtherNode {
        /// The directory.
        path: PathBuf,
        /// Name in the file.
        owner: String,
        /// Name asked for.
        name: String,
    },
}

impl DataDir {
    /// Creates (if needed) and locks `path`.
    pub fn open(path: &Path) -> Result<DataDir, PersistError> {
        let io_err = |source| PersistError::Io {
            path: path.to_owned(),
            source,
        };
        fs::create_dir_all(path).map_err(io_err)?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path.join("lock"))
            .map_err(io_err)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(PersistError::Locked(path.to_owned())),
            Err(fs::TryLockError::Error(e)) => return Err(io_err(e)),
        }
        Ok(DataDir {
            path: path.to_owned(),
            _lock: lock,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved state of node `name`, if any.
    pub fn load(&self, name: &str) -> Result<Option<Saved>, PersistError> {
        let file = self.path.join("state.json");
        let text = match fs::read(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(PersistError::Io { path: file, source }),
        };
        let corrupt = |message: String| PersistError::Corrupt {
            path: self.path.clone(),
            message,
        };
        let saved: Saved = serde_json::from_slice(&text).map_err(|e| corrupt(e.to_string()))?;
        if saved.format != FORMAT {
            return Err(corrupt(format!(
                "format {} is not {FORMAT}; written by another version of hearsay",
                saved.format
            )));
        }
        if saved.name != name {
            return Err(PersistError::OtherNode {
                path: self.path.clone(),
                owner: saved.name,
                name: name.to_owned(),
            });
        }
        Ok(Some(saved))
    }

    /// Writes `saved` atomically.
    pub fn store(&self, saved: &Saved) -> Result<(), PersistError> {
        let file = self.path.join("state.json");
        let tmp = self.path.join("state.json.tmp");
        let io_err = |source| PersistError::Io {
            path: file.clone(),
            source,
        };
        let bytes = serde_json::to_vec_pretty(saved).map_err(|e| io_err(io::Error::other(e)))?;
        let mut f = File::create(&tmp).map_err(io_err)?;
        f.write_all(&bytes).map_err(io_err)?;
        f.sync_all().map_err(io_err)?;
        drop(f);
        fs::rename(&tmp, &file).map_err(io_err)?;
        // The rename itself is durable only once the directory is synced.
        File::open(&self.path)
            .and_then(|d| d.sync_all())
            .map_err(io_err)?;
        Ok(())
    }
}

impl Saved {
    /// The state to save for node `name` at `generation` / `incarnation`, knowing `members`.
    pub fn new<'a>(
        name: &str,
        generation: u64,
        incarnation: u32,
        members: impl Iterator<Item = &'a hearsay::MemberView>,
    ) -> Saved {
        let mut kept: Vec<SavedMember> = members
            .filter(|m| m.name.as_str() != name)
            .map(|m| SavedMember {
                name: m.name.as_str().to_owned(),
                addr: m.addr,
                generation: m.generation,
                incarnation: m.incarnation,
                state: m.state.as_str().to_owned(),
            })
            .collect();
        // Live members first: they are the useful seeds.
        kept.sort_by_key(|m| (m.state != "alive", m.state != "suspect"));
        kept.truncate(MAX_KEPT);
        Saved {
            format: FORMAT,
            name: name.to_owned(),
            generation,
            incarnation,
            members: kept,
        }
    }

    /// The generation for the next start: the clock's, unless the clock is not past the
    /// saved one.
    pub fn next_generation(&self, clock_millis: u64) -> u64 {
        clock_millis.max(self.generation + 1)
    }

    /// Addresses of the members that were live, to rejoin through (at most `max`).
    pub fn seeds(&self, max: usize) -> Vec<SocketAddr> {
        self.members
            .iter()
            .filter(|m| m.state == "alive" || m.state == "suspect")
            .map(|m| m.addr)
            .take(max)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("hearsay-persist-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn saved(name: &str, generation: u64) -> Saved {
        Saved {
            format: FORMAT,
            name: name.into(),
            generation,
            incarnation: 3,
            members: vec![SavedMember {
                name: "b".into(),
                addr: "127.0.0.1:7000".parse().unwrap(),
                generation: 5,
                incarnation: 1,
                state: "alive".into(),
            }],
        }
    }

    #[test]
    fn state_round_trips_and_no_temporary_file_is_left() {
        let d = temp_dir("roundtrip");
        let dir = DataDir::open(&d).unwrap();
        assert_eq!(dir.load("a").unwrap(), None);
        dir.store(&saved("a", 10)).unwrap();
        dir.store(&saved("a", 11)).unwrap();
        assert_eq!(dir.load("a").unwrap(), Some(saved("a", 11)));
        assert!(!d.join("state.json.tmp").exists());
        drop(dir);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_second_agent_cannot_open_a_locked_directory() {
        let d = temp_dir("lock");
        let first = DataDir::open(&d).unwrap();
        let err = DataDir::open(&d).unwrap_err().to_string();
        assert!(err.contains("in use by another agent"), "{err}");
        drop(first);
        assert!(DataDir::open(&d).is_ok(), "the lock goes with the process");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_corrupt_file_is_an_error_not_a_fresh_start() {
        let d = temp_dir("corrupt");
        let dir = DataDir::open(&d).unwrap();
        fs::write(
            d.join("state.json"),
            b"{\"format\": 1, \"name\": \"a\", \"gen",
        )
        .unwrap();
        let err = dir.load("a").unwrap_err().to_string();
        assert!(
            err.contains("unreadable") && err.contains("move it away"),
            "{err}"
        );
        drop(dir);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_directory_of_another_node_is_refused() {
        let d = temp_dir("other");
        let dir = DataDir::open(&d).unwrap();
        dir.store(&saved("a", 1)).unwrap();
        let err = dir.load("b").unwrap_err().to_string();
        assert!(err.contains("belongs to node 'a'"), "{err}");
        drop(dir);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn the_next_generation_is_always_above_the_saved_one() {
        let s = saved("a", 1_000);
        assert_eq!(s.next_generation(5_000), 5_000);
        assert_eq!(s.next_generation(900), 1_001, "clock went backwards");
        assert_eq!(s.seeds(8), vec!["127.0.0.1:7000".parse().unwrap()]);
    }
}
