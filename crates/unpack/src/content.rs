//! The content of an extracted file kept for analysis ([`crate::Options::keep_data`]): in memory,
//! or mapped from the file the unpack wrote to its output folder.
//!
//! Mapped content costs memory only while its pages are resident, and pages of a clean file
//! mapping can be dropped at any time (they are read back from the page cache, unchanged). A
//! [`Pager`] shared by the files of one unpack counts the bytes handed out to readers and, every
//! [`RELEASE_EVERY`] bytes, drops the pages of every file read since the last time, so reading
//! every file of a large image keeps about that much of it resident, not all of it.

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// Bytes of mapped content handed out to readers between two releases of their pages.
pub const RELEASE_EVERY: u64 = 64 << 20;
/// Files smaller than this are kept in memory rather than mapped: a mapping costs a page at least
/// and one of the process's limited mappings (`vm.max_map_count`).
pub const MAP_FROM: usize = 16 << 10;
/// Most files one unpack maps (Linux allows 65 530 mappings per process by default); the rest are
/// kept in memory.
pub const MAX_MAPPED: usize = 30_000;

/// File content: shared, cheap to clone, read as a byte slice.
#[derive(Clone)]
pub struct Content(Repr);

#[derive(Clone)]
enum Repr {
    Memory(Arc<[u8]>),
    Mapped(Arc<Mapped>),
}

struct Mapped {
    map: memmap2::Mmap,
    /// Read since its pages were last released.
    touched: AtomicBool,
    pager: Arc<Pager>,
}

impl Content {
    /// Whether the content is mapped from a file rather than held in memory.
    pub fn is_mapped(&self) -> bool {
        matches!(self.0, Repr::Mapped(_))
    }
}

impl Deref for Content {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.0 {
            Repr::Memory(data) => data,
            Repr::Mapped(m) => {
                m.touched.store(true, Ordering::Relaxed);
                m.pager.handed_out(m.map.len() as u64);
                &m.map
            }
        }
    }
}

impl AsRef<[u8]> for Content {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl From<Arc<[u8]>> for Content {
    fn from(data: Arc<[u8]>) -> Self {
        Content(Repr::Memory(data))
    }
}

impl From<&[u8]> for Content {
    fn from(data: &[u8]) -> Self {
        Content(Repr::Memory(Arc::from(data)))
    }
}

impl From<Vec<u8>> for Content {
    fn from(data: Vec<u8>) -> Self {
        Content(Repr::Memory(Arc::from(data)))
    }
}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Memory(d) => write!(f, "Content({} bytes in memory)", d.len()),
            Repr::Mapped(m) => write!(f, "Content({} bytes mapped)", m.map.len()),
        }
    }
}

/// The mapped files of one unpack, and how much of them readers were handed since their pages
/// were last released.
#[derive(Default)]
pub struct Pager {
    handed_out: AtomicU64,
    files: Mutex<Vec<Weak<Mapped>>>,
}

impl Pager {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// The content of `file`, a regular file the unpack has just written: mapped when it is large
    /// enough to be worth it and the map limit allows, read into memory otherwise. `None` when
    /// it can be neither mapped nor read.
    pub fn content(self: &Arc<Self>, file: &std::fs::File, len: u64) -> Option<Content> {
        use std::io::{Read, Seek};
        if len as usize >= MAP_FROM {
            let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
            if files.len() >= MAX_MAPPED {
                files.retain(|weak| weak.strong_count() > 0);
            }
            if files.len() < MAX_MAPPED {
                // SAFETY: a file we created and finished writing, mapped read-only; nothing
                // writes it again (a later entry of the same path replaces it with a new file).
                if let Ok(map) = unsafe { memmap2::Mmap::map(file) } {
                    if map.len() as u64 == len {
                        let mapped = Arc::new(Mapped {
                            map,
                            touched: AtomicBool::new(false),
                            pager: self.clone(),
                        });
                        files.push(Arc::downgrade(&mapped));
                        return Some(Content(Repr::Mapped(mapped)));
                    }
                }
            }
        }
        let mut data = Vec::with_capacity(usize::try_from(len).ok()?);
        let mut f = file;
        f.rewind().ok()?;
        f.take(len).read_to_end(&mut data).ok()?;
        Some(Content::from(data))
    }

    /// Count `bytes` handed out to a reader; release the pages read so far every
    /// [`RELEASE_EVERY`] bytes.
    fn handed_out(&self, bytes: u64) {
        let before = self.handed_out.fetch_add(bytes, Ordering::Relaxed);
        if before / RELEASE_EVERY != before.saturating_add(bytes) / RELEASE_EVERY {
            self.release();
        }
    }

    /// Drop the resident pages of every mapped file read since the last release. Readers holding
    /// a slice of one keep reading the same bytes: its pages fault back in from the page cache.
    pub fn release(&self) {
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files.retain(|weak| {
            let Some(m) = weak.upgrade() else {
                return false;
            };
            if m.touched.swap(false, Ordering::Relaxed) {
                // SAFETY: a shared read-only file mapping, alive while `m` is held: dropped pages
                // are read back from the file on the next access, so no byte anyone reads
                // changes. Failure only means the pages stay resident.
                let _ = unsafe { m.map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
            }
            true
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// KiB of `map` resident in this process (its `Rss` in `/proc/self/smaps`).
    fn resident_kib(map: &memmap2::Mmap) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let start = format!("{:x}-", map.as_ptr() as usize);
        let mut lines = smaps.lines().skip_while(|l| !l.starts_with(&start));
        assert!(lines.next().is_some(), "mapping not found");
        let rss = lines.find(|l| l.starts_with("Rss:")).unwrap();
        rss.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    fn large_files_are_mapped_small_ones_kept_and_pages_released() {
        let dir = tempfile::tempdir().unwrap();
        let pager = Pager::new();
        let write = |name: &str, len: usize| {
            let mut f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(dir.path().join(name))
                .unwrap();
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            f.write_all(&data).unwrap();
            (f, data)
        };
        let (f, small) = write("small", MAP_FROM - 1);
        let c = pager.content(&f, small.len() as u64).unwrap();
        assert!(!c.is_mapped());
        assert_eq!(&*c, &small[..]);

        let (f, big) = write("big", 48 << 20);
        let c = pager.content(&f, big.len() as u64).unwrap();
        assert!(c.is_mapped());
        assert_eq!(&*c, &big[..], "mapped content reads as written");
        let Repr::Mapped(m) = &c.0 else {
            unreachable!()
        };
        assert!(resident_kib(&m.map) >= 40 << 10);
        // Handing out more than RELEASE_EVERY in all releases what was read.
        let _ = &*c;
        assert_eq!(resident_kib(&m.map), 0, "pages released");
        // And the content still reads the same, from the page cache.
        assert_eq!(&*c, &big[..]);
        // The file may go away (a temporary folder removed): the mapping keeps it.
        drop(dir);
        assert_eq!(&*c.clone(), &big[..]);
        drop(c);
        pager.release();
        assert!(
            pager.files.lock().unwrap().is_empty(),
            "dropped maps are forgotten"
        );
    }
}
