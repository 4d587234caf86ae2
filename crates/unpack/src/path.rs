//! Turning hostile paths from inside an image into safe relative paths.
//!
//! A path from an image is untrusted bytes: it may be absolute, contain `..`, NUL, empty
//! components, invalid UTF-8 or absurdly long names. [`SafePath`] holds only normal components, so
//! joining it below an output folder can never leave that folder (symlinks are handled by the store).

use std::fmt;
use std::path::{Path, PathBuf};

/// Longest component kept (Linux NAME_MAX).
const MAX_COMPONENT: usize = 255;
/// Deepest path kept; deeper components are dropped into the last one.
const MAX_DEPTH: usize = 256;

/// A relative path made only of normal components: no `..`, `.`, empty parts, `/` or NUL.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SafePath(Vec<String>);

impl SafePath {
    /// The empty path (the folder itself).
    pub fn root() -> Self {
        SafePath(Vec::new())
    }

    /// Sanitise raw path bytes from an image. `..` climbs but never above the root; absolute paths
    /// become relative; NUL and invalid UTF-8 become U+FFFD; long names are cut at a char boundary.
    pub fn sanitise(raw: &[u8]) -> Self {
        let mut parts: Vec<String> = Vec::new();
        for component in raw.split(|&b| b == b'/') {
            match component {
                b"" | b"." => {}
                b".." => {
                    parts.pop();
                }
                _ => {
                    if parts.len() >= MAX_DEPTH {
                        continue;
                    }
                    parts.push(clean_component(component));
                }
            }
        }
        SafePath(parts)
    }

    /// One more component, itself sanitised (used for names the engine makes up).
    pub fn join(&self, name: &str) -> Self {
        let mut parts = self.0.clone();
        let name = clean_component(name.as_bytes());
        if name != "." && name != ".." {
            parts.push(name);
        }
        SafePath(parts)
    }

    /// Append all components of `other`.
    pub fn join_path(&self, other: &SafePath) -> Self {
        let mut parts = self.0.clone();
        parts.extend(other.0.iter().cloned());
        SafePath(parts)
    }

    /// The same path with `suffix` appended to its last component (e.g. `foo` → `foo.extracted`).
    pub fn with_suffix(&self, suffix: &str) -> Self {
        let mut parts = self.0.clone();
        match parts.last_mut() {
            Some(last) => last.push_str(suffix),
            None => parts.push(suffix.trim_start_matches('.').to_string()),
        }
        SafePath(parts)
    }

    pub fn components(&self) -> &[String] {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn parent(&self) -> Option<SafePath> {
        if self.0.is_empty() {
            None
        } else {
            Some(SafePath(self.0[..self.0.len() - 1].to_vec()))
        }
    }

    /// The path below `base` on the host.
    pub fn under(&self, base: &Path) -> PathBuf {
        let mut p = base.to_path_buf();
        for c in &self.0 {
            p.push(c);
        }
        p
    }

    /// Whether `self` starts with `prefix`.
    pub fn starts_with(&self, prefix: &SafePath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// A relative path from the folder `from` to `self`, both relative to the same root
    /// (`../../var/passwd`). Used to rewrite symlink targets so they resolve inside the tree.
    pub fn relative_from(&self, from: &SafePath) -> String {
        let common = self
            .0
            .iter()
            .zip(from.0.iter())
            .take_while(|(a, b)| a == b)
            .count();
        let mut parts: Vec<&str> = vec![".."; from.0.len() - common];
        parts.extend(self.0[common..].iter().map(String::as_str));
        if parts.is_empty() {
            ".".to_string()
        } else {
            parts.join("/")
        }
    }
}

fn clean_component(raw: &[u8]) -> String {
    let mut s = String::from_utf8_lossy(raw)
        .replace('\0', "\u{fffd}")
        .replace('/', "_");
    if s == "." || s == ".." {
        s = s.replace('.', "\u{fffd}");
    }
    if s.len() > MAX_COMPONENT {
        let mut cut = MAX_COMPONENT;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

impl fmt::Display for SafePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("/"))
    }
}

impl fmt::Debug for SafePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

/// Resolve a symlink `target` (raw, as stored) for a link that sits at `link` inside a tree
/// rooted at the structure's root: absolute targets are relative to that root, `..` never climbs
/// above it. Returns the target as a path from the root.
pub fn resolve_link_target(link: &SafePath, target: &[u8]) -> SafePath {
    let base = if target.first() == Some(&b'/') {
        SafePath::root()
    } else {
        link.parent().unwrap_or_default()
    };
    let mut joined = base.components().join("/").into_bytes();
    joined.push(b'/');
    joined.extend_from_slice(target);
    SafePath::sanitise(&joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(raw: &str) -> String {
        SafePath::sanitise(raw.as_bytes()).to_string()
    }

    #[test]
    fn hostile_paths_stay_inside() {
        assert_eq!(s("/etc/passwd"), "etc/passwd");
        assert_eq!(s("../../etc/passwd"), "etc/passwd");
        assert_eq!(s("a/../../b"), "b");
        assert_eq!(s("a/./b//c/"), "a/b/c");
        assert_eq!(s(".."), "");
        assert_eq!(s(""), "");
        assert_eq!(SafePath::sanitise(b"a\0b").to_string(), "a\u{fffd}b");
        assert_eq!(SafePath::sanitise(b"\xff/x").to_string(), "\u{fffd}/x");
        let long = "x".repeat(1000);
        assert_eq!(s(&long).len(), 255);
        let deep = "a/".repeat(10_000);
        assert_eq!(SafePath::sanitise(deep.as_bytes()).components().len(), 256);
    }

    #[test]
    fn made_up_names_cannot_climb() {
        let p = SafePath::sanitise(b"a");
        assert_eq!(p.join("..").to_string(), "a/\u{fffd}\u{fffd}");
        assert_eq!(p.join("b/../c").to_string(), "a/b_.._c");
        assert_eq!(p.with_suffix(".extracted").to_string(), "a.extracted");
    }

    #[test]
    fn link_targets_resolve_within_root() {
        let link = SafePath::sanitise(b"etc/passwd");
        assert_eq!(
            resolve_link_target(&link, b"/var/passwd").to_string(),
            "var/passwd"
        );
        assert_eq!(resolve_link_target(&link, b"../../../../").to_string(), "");
        assert_eq!(
            resolve_link_target(&link, b"shadow").to_string(),
            "etc/shadow"
        );
        let target = SafePath::sanitise(b"var/passwd");
        assert_eq!(
            target.relative_from(&link.parent().unwrap()),
            "../var/passwd"
        );
        assert_eq!(
            SafePath::root().relative_from(&link.parent().unwrap()),
            ".."
        );
        assert_eq!(link.relative_from(&link), ".");
    }
}
