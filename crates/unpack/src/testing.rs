//! An [`Emit`] that keeps everything in memory, for handler unit tests and fuzz targets.

use std::sync::Mutex;

use crate::format::{Body, Emit, Entry, Error, Format, Meta};

/// Run one handler's identify + extract on arbitrary bytes with a 64 MiB budget, as every
/// fuzz target does.
pub fn fuzz_with(format: &dyn Format, data: &[u8]) {
    let _ = Collector::run(format, data, 64 << 20);
}

/// One collected entry, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collected {
    pub path: String,
    pub meta: Meta,
    pub kind: CollectedKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectedKind {
    Dir,
    File(Vec<u8>),
    Payload(Vec<u8>),
    Symlink(String),
    Hardlink(String),
    CharDevice(u32, u32),
    BlockDevice(u32, u32),
    Fifo,
    Socket,
}

/// Collects entries and warnings; enforces a byte budget like the engine does.
pub struct Collector {
    pub entries: Mutex<Vec<Collected>>,
    pub warnings: Mutex<Vec<(u64, String)>>,
    budget: Mutex<u64>,
}

impl Collector {
    pub fn new(budget: u64) -> Self {
        Collector {
            entries: Mutex::new(Vec::new()),
            warnings: Mutex::new(Vec::new()),
            budget: Mutex::new(budget),
        }
    }

    /// Identify `data` with `format` and extract it; returns the entries, the warnings and the
    /// extraction result. `None` when the format does not identify the data.
    pub fn run(format: &dyn Format, data: &[u8], budget: u64) -> Option<(Self, Result<(), Error>)> {
        let id = format.identify(data)?;
        let end = id
            .size
            .map(|s| usize::try_from(s).unwrap_or(usize::MAX).min(data.len()))
            .unwrap_or(data.len());
        let collector = Collector::new(budget);
        let result = format.extract(&data[..end], id, &collector);
        Some((collector, result))
    }

    pub fn into_entries(self) -> Vec<Collected> {
        self.entries.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    /// The content of the file (or payload) at `path`.
    pub fn file(&self, path: &str) -> Option<Vec<u8>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .iter()
            .rev()
            .find(|e| e.path == path)
            .and_then(|e| match &e.kind {
                CollectedKind::File(d) | CollectedKind::Payload(d) => Some(d.clone()),
                _ => None,
            })
    }

    pub fn paths(&self) -> Vec<String> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.iter().map(|e| e.path.clone()).collect()
    }

    /// The paths, sorted: for handlers that emit in parallel (a container's partitions).
    pub fn sorted_paths(&self) -> Vec<String> {
        let mut paths = self.paths();
        paths.sort();
        paths
    }
}

impl Collector {
    fn charge(&self, size: u64) -> Result<(), Error> {
        let mut budget = self.budget.lock().unwrap_or_else(|e| e.into_inner());
        if size > *budget {
            return Err(Error::Budget("test collector budget spent".into()));
        }
        *budget -= size;
        Ok(())
    }
}

impl Emit for Collector {
    fn entry(&self, entry: Entry<'_>) -> Result<(), Error> {
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let kind = match entry.body {
            Body::Dir => CollectedKind::Dir,
            Body::File(d) => {
                self.charge(d.len() as u64)?;
                CollectedKind::File(d.to_vec())
            }
            Body::Payload { data, .. } => {
                self.charge(data.len() as u64)?;
                CollectedKind::Payload(data.to_vec())
            }
            Body::Stream { chunks, .. } => {
                let mut data = Vec::new();
                let mut index = 0;
                while let Some(chunk) = chunks.chunk(index) {
                    index += 1;
                    match chunk {
                        Ok(c) => {
                            self.charge(c.len() as u64)?;
                            data.extend_from_slice(&c);
                        }
                        Err(e) if e.is_fatal() => return Err(e),
                        Err(e) => {
                            self.warn(0, format!("{}: {e}", lossy(entry.path)));
                            break;
                        }
                    }
                }
                CollectedKind::File(data)
            }
            Body::Symlink(t) => CollectedKind::Symlink(lossy(t)),
            Body::Hardlink(t) => CollectedKind::Hardlink(lossy(t)),
            Body::CharDevice { major, minor } => CollectedKind::CharDevice(major, minor),
            Body::BlockDevice { major, minor } => CollectedKind::BlockDevice(major, minor),
            Body::Fifo => CollectedKind::Fifo,
            Body::Socket => CollectedKind::Socket,
        };
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Collected {
                path: lossy(entry.path),
                meta: entry.meta,
                kind,
            });
        Ok(())
    }

    fn warn(&self, offset: u64, reason: String) {
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((offset, reason));
    }

    fn budget(&self) -> u64 {
        *self.budget.lock().unwrap_or_else(|e| e.into_inner())
    }
}
