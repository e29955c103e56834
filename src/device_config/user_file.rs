//! The user device config file a server writes back (docs/PROTOCOL.md §6.6): the devices it
//! connected for the first time are recorded with their index, and the file is rewritten (by
//! `write_back`'s rules: everything read kept, entries appended, the major kept) so indexes stay
//! the same across restarts.
//!
//! Writes are atomic: the text goes to a temporary file in the same directory, is flushed to
//! disk, gets the old file's permissions and is renamed over the file (`tempfile`'s persist:
//! rename(2) on Unix, MoveFileEx with MOVEFILE_REPLACE_EXISTING on Windows), so a crash or a
//! full disk mid-write leaves the old file whole. A path that does not exist yet is created; a
//! symbolic link is followed (the file it names is replaced, not the link). A write that fails is
//! logged once (until one succeeds again) and the server keeps what it has in memory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use super::{DeviceConfig, DeviceIdentity};

/// At most this many devices are recorded per run: devices dialing in under ever new addresses
/// cannot grow the file (and the indexes it pins) without bound. Beyond it, new devices still
/// connect, with indexes that last for the run only.
pub const MAX_RECORDED_DEVICES: usize = 1024;

/// A user device config file and the devices recorded into it during this run.
pub struct UserConfigFile {
    path: PathBuf,
    config: DeviceConfig,
    /// `(identity, index, name)` of each device recorded, in order.
    recorded: Mutex<Vec<(DeviceIdentity, u32, String)>>,
    /// Held while writing, so the last write carries everything recorded before it.
    writing: Mutex<()>,
    /// A write failed and the failure was logged; cleared by the next success.
    failing: AtomicBool,
    /// The cap was hit and that was logged.
    full: AtomicBool,
}

impl std::fmt::Debug for UserConfigFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserConfigFile")
            .field("path", &self.path)
            .field("recorded", &self.recorded.lock().len())
            .finish_non_exhaustive()
    }
}

impl UserConfigFile {
    /// The file at `path`, holding `config`'s user config (none: the file does not exist yet).
    pub fn new(path: impl Into<PathBuf>, config: DeviceConfig) -> UserConfigFile {
        UserConfigFile {
            path: path.into(),
            config,
            recorded: Mutex::new(Vec::new()),
            writing: Mutex::new(()),
            failing: AtomicBool::new(false),
            full: AtomicBool::new(false),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a device the server connected; true when the file must be written for it (the
    /// user config has no entry for it and it was not recorded before).
    pub fn record(&self, identity: &DeviceIdentity, index: u32, name: &str) -> bool {
        let known = self
            .config
            .resolve(identity)
            .is_some_and(|d| d.user_index.is_some());
        let mut recorded = self.recorded.lock();
        if known || recorded.iter().any(|(i, _, _)| i == identity) {
            return false;
        }
        if recorded.len() >= MAX_RECORDED_DEVICES {
            if !self.full.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    path = %self.path.display(),
                    "user device config: {MAX_RECORDED_DEVICES} devices recorded in this run; \
                     later new devices are not written"
                );
            }
            return false;
        }
        recorded.push((identity.clone(), index, name.to_string()));
        true
    }

    /// The text the file gets now.
    pub fn contents(&self) -> String {
        let recorded = self.recorded.lock().clone();
        self.config.user_config_json_with(&recorded)
    }

    /// Writes the file (blocking: call it from a blocking thread). The first failure after a
    /// success is logged; the error is returned either way.
    pub fn write(&self) -> std::io::Result<()> {
        let _writing = self.writing.lock();
        let result = write_atomically(&self.path, &self.contents());
        match &result {
            Ok(()) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!(path = %self.path.display(), "user device config written again");
                } else {
                    tracing::debug!(path = %self.path.display(), "user device config written");
                }
            }
            Err(e) => {
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::error!(
                        path = %self.path.display(),
                        "cannot write the user device config: {e}; device indexes are kept for \
                         this run only (further failures are not logged)"
                    );
                }
            }
        }
        result
    }
}

/// Replaces the file at `path` with `text` atomically (see the module's doc).
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    write_atomically_with(path, |file| file.write_all(text.as_bytes()))
}

/// [`write_atomically`] with the temporary file filled by `fill` (tests make it fail midway).
pub(crate) fn write_atomically_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    // A link is followed: the file it names is replaced, the link stays.
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".teleplug-user-config")
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    fill(temp.as_file_mut())?;
    temp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(&target) {
        temp.as_file().set_permissions(meta.permissions())?;
    }
    temp.persist(&target).map_err(|e| e.error)?;
    sync_dir(&dir);
    Ok(())
}

/// Flushes the rename to disk (Unix; best effort: not every file system allows it).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_write_that_fails_midway_leaves_the_old_file_whole_and_no_temporary_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("user.json");
        std::fs::write(&path, "{\"old\": true}").expect("old file");
        let r = write_atomically_with(&path, |f| {
            f.write_all(b"{\"new\": ")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(r.is_err());
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "{\"old\": true}"
        );
        assert_eq!(entries(dir.path()), vec!["user.json".to_string()]);
    }

    #[test]
    fn a_missing_file_is_created_and_an_existing_one_keeps_its_permissions() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("new.json");
        write_atomically(&path, "{}").expect("created");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "{}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
            write_atomically(&path, "{\"a\":1}").expect("rewritten");
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
        assert_eq!(entries(dir.path()), vec!["new.json".to_string()]);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_followed_and_stays_a_link() {
        let dir = tempfile::tempdir().expect("dir");
        let real = dir.path().join("real.json");
        std::fs::write(&real, "{}").expect("real");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        write_atomically(&link, "{\"b\":2}").expect("written");
        assert!(
            std::fs::symlink_metadata(&link)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).expect("read"), "{\"b\":2}");
    }

    /// A reader never sees a partial file while the writer replaces it over and over: each read
    /// is one of the complete texts.
    #[test]
    fn readers_never_see_a_truncated_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("user.json");
        let texts: Vec<String> = (0..2)
            .map(|n| serde_json::json!({"n": n, "pad": "x".repeat(200_000)}).to_string())
            .collect();
        write_atomically(&path, &texts[0]).expect("first");
        let done = std::sync::Arc::new(AtomicBool::new(false));
        let reader = {
            let (path, done, texts) = (path.clone(), done.clone(), texts.clone());
            std::thread::spawn(move || {
                let mut reads = 0u32;
                while !done.load(Ordering::Relaxed) {
                    let seen = std::fs::read_to_string(&path).expect("always there");
                    assert!(
                        texts.contains(&seen),
                        "a partial file of {} bytes",
                        seen.len()
                    );
                    reads += 1;
                }
                reads
            })
        };
        for i in 0..50 {
            write_atomically(&path, &texts[i % 2]).expect("write");
        }
        done.store(true, Ordering::Relaxed);
        assert!(reader.join().expect("reader") > 0);
    }
}
