//! Writing extracted nodes below an output folder without ever leaving it.
//!
//! Rules: every path is a [`SafePath`] joined below the root; each parent folder is checked to be a
//! real folder (not a symlink, not a file) before anything is created in it; files are created with
//! `O_EXCL|O_NOFOLLOW` so an existing link is never written through; symlinks are written with
//! their target rewritten to resolve inside the structure's own root (the original target stays in
//! the manifest); setuid/setgid/sticky bits are never applied on the host; device nodes are only
//! recorded. Nothing here reads the written files back.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::path::{resolve_link_target, SafePath};

/// The output folder.
pub struct DiskStore {
    root: PathBuf,
    /// Folders known to be real folders that we created or checked.
    known_dirs: Mutex<HashSet<PathBuf>>,
}

impl DiskStore {
    /// Use `root` (which must exist and be a folder) as the output folder.
    pub fn new(root: &Path) -> io::Result<Self> {
        let root = root.canonicalize()?;
        if !root.is_dir() {
            return Err(io::Error::other(format!(
                "{} is not a folder",
                root.display()
            )));
        }
        let mut known = HashSet::new();
        known.insert(root.clone());
        Ok(DiskStore {
            root,
            known_dirs: Mutex::new(known),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Make sure every folder of `dir` exists as a real folder below the root.
    pub fn ensure_dir(&self, dir: &SafePath) -> io::Result<PathBuf> {
        let mut current = self.root.clone();
        for component in dir.components() {
            current.push(component);
            if self.is_known(&current) {
                continue;
            }
            match fs::symlink_metadata(&current) {
                Ok(meta) if meta.file_type().is_dir() => {}
                Ok(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!(
                            "{} exists and is not a folder (a link or a file): refusing to write through it",
                            current.strip_prefix(&self.root).unwrap_or(&current).display()
                        ),
                    ))
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::create_dir(&current) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        // Another thread won the race: it must be a real folder.
                        if !fs::symlink_metadata(&current)?.file_type().is_dir() {
                            return Err(e);
                        }
                    }
                    Err(e) => return Err(e),
                },
                Err(e) => return Err(e),
            }
            self.known_dirs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(current.clone());
        }
        Ok(current)
    }

    fn is_known(&self, p: &Path) -> bool {
        self.known_dirs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(p)
    }

    /// Create a new non-folder node at `path` with `create`, which must fail with `AlreadyExists`
    /// rather than touch an existing node (`O_EXCL`, `symlink`, `link`). Parents are made real
    /// folders first; a non-folder already there is replaced (a later entry of the same name wins,
    /// as when an archive repeats a member). Creating first and looking only on a clash saves a
    /// `stat` per node.
    fn create_node<T>(
        &self,
        path: &SafePath,
        create: impl Fn(&Path) -> io::Result<T>,
    ) -> io::Result<T> {
        let parent = path
            .parent()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty path"))?;
        let dir = self.ensure_dir(&parent)?;
        let name = path
            .components()
            .last()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty path"))?;
        let full = dir.join(name);
        match create(&full) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if fs::symlink_metadata(&full)?.file_type().is_dir() {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!("{path} already exists as a folder"),
                    ));
                }
                fs::remove_file(&full)?;
                create(&full)
            }
            created => created,
        }
    }

    pub fn dir(&self, path: &SafePath, mode: Option<u32>, mtime: Option<i64>) -> io::Result<()> {
        let full = self.ensure_dir(path)?;
        if let Some(mode) = mode {
            // Keep the folder usable by us whatever the image says.
            let _ = fs::set_permissions(&full, fs::Permissions::from_mode((mode & 0o777) | 0o700));
        }
        let _ = mtime; // Folder times change as children are written; the manifest keeps them.
        Ok(())
    }

    pub fn file(
        &self,
        path: &SafePath,
        data: &[u8],
        mode: Option<u32>,
        mtime: Option<i64>,
    ) -> io::Result<fs::File> {
        let mut file = self.create_file(path)?;
        file.write_all(data)?;
        finish_file(&file, mode, mtime)?;
        Ok(file)
    }

    /// Create a new, empty file at `path` (never through a link); write it, then [`finish_file`].
    pub fn create_file(&self, path: &SafePath) -> io::Result<fs::File> {
        self.create_node(path, |full| {
            fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .custom_flags(libc::O_NOFOLLOW)
                .mode(0o600)
                .open(full)
        })
    }

    /// Write a symlink at `path` inside the structure rooted at `struct_root`. The on-disk target is
    /// rewritten to resolve inside `struct_root`, so following it can never leave the output.
    pub fn symlink(
        &self,
        struct_root: &SafePath,
        inner: &SafePath,
        target: &[u8],
    ) -> io::Result<()> {
        let path = struct_root.join_path(inner);
        let resolved = resolve_link_target(inner, target);
        let from = inner.parent().unwrap_or_default();
        let rel = resolved.relative_from(&from);
        self.create_node(&path, |full| std::os::unix::fs::symlink(&rel, full))
    }

    /// Write a hard link at `path` to `target` (both inside the structure at `struct_root`), when the
    /// target is already a regular file there. Returns `false` when it could not be linked.
    pub fn hardlink(
        &self,
        struct_root: &SafePath,
        inner: &SafePath,
        target: &[u8],
    ) -> io::Result<bool> {
        let target_path = struct_root.join_path(&SafePath::sanitise(target));
        let target_full = target_path.under(&self.root);
        match fs::symlink_metadata(&target_full) {
            Ok(meta) if meta.file_type().is_file() => {
                // The target's parents were created by us as real folders (checked on creation).
                self.create_node(&struct_root.join_path(inner), |full| {
                    fs::hard_link(&target_full, full)
                })?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// Apply the recorded permissions and time to a written file: never setuid/setgid/sticky on the
/// host, and always readable and writable by us.
pub fn finish_file(file: &fs::File, mode: Option<u32>, mtime: Option<i64>) -> io::Result<()> {
    if let Some(mode) = mode {
        file.set_permissions(fs::Permissions::from_mode((mode & 0o777) | 0o600))?;
    }
    if let Some(t) = mtime.and_then(to_system_time) {
        let _ = file.set_modified(t);
    }
    Ok(())
}

fn to_system_time(secs: i64) -> Option<SystemTime> {
    if secs >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs as u64))
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_writes_through_a_symlink() {
        let outside = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let store = DiskStore::new(out.path()).unwrap();
        let root = SafePath::sanitise(b"r");
        // A link pointing outside (as stored), then a file "through" it.
        std::os::unix::fs::symlink(outside.path(), out.path().join("escape")).unwrap();
        let err = store
            .file(&SafePath::sanitise(b"escape/pwned"), b"x", None, None)
            .unwrap_err();
        assert!(err.to_string().contains("not a folder"), "{err}");
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
        // A link written by the store, then a file of the same name: the link is replaced, not followed.
        store
            .symlink(&root, &SafePath::sanitise(b"etc/passwd"), b"/var/passwd")
            .unwrap();
        let link = out.path().join("r/etc/passwd");
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("../var/passwd"));
        store
            .file(
                &root.join_path(&SafePath::sanitise(b"etc/passwd")),
                b"new",
                Some(0o4755),
                Some(0),
            )
            .unwrap();
        assert_eq!(fs::read(&link).unwrap(), b"new");
        let mode = fs::metadata(&link).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o755, "setuid must not reach the host");
        assert!(!out.path().join("r/var/passwd").exists());
    }

    #[test]
    fn escaping_link_targets_are_clamped() {
        let out = tempfile::tempdir().unwrap();
        let store = DiskStore::new(out.path()).unwrap();
        let root = SafePath::sanitise(b"r");
        store
            .symlink(&root, &SafePath::sanitise(b"foo"), b"../../")
            .unwrap();
        store
            .symlink(&root, &SafePath::sanitise(b"bar"), b"/etc/passwd")
            .unwrap();
        assert_eq!(
            fs::read_link(out.path().join("r/foo")).unwrap(),
            Path::new(".")
        );
        assert_eq!(
            fs::read_link(out.path().join("r/bar")).unwrap(),
            Path::new("etc/passwd")
        );
        // Following bar stays inside (and finds nothing, since the image has no etc/passwd).
        assert!(fs::read(out.path().join("r/bar")).is_err());
    }
}
