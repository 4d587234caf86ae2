//! The contract between the engine and each format handler.
//!
//! A handler does two things: it *identifies* a structure that starts at the first byte of a slice
//! (validating it structurally, so random bytes that happen to contain a magic number are rejected),
//! and it *extracts* an identified structure by emitting entries through [`Emit`]. Handlers never touch
//! the file system, never recurse themselves and never decide where output goes: the engine does that,
//! so every safety rule (path sanitising, symlinks, budgets, depth) lives in one place.

use std::cell::Cell;
use std::fmt;

use crate::survey::Survey;

/// A magic byte string that may start a structure of some format.
#[derive(Debug, Clone, Copy)]
pub struct Magic {
    /// The bytes to look for. Empty for a format without a magic number (v7 tar): the engine then
    /// offers it only the first byte of the input, of each payload and of each file.
    pub bytes: &'static [u8],
    /// Where the magic sits relative to the start of the structure (e.g. 0x24 for an ARM zImage).
    pub offset: usize,
}

impl Magic {
    /// A magic at the very start of the structure.
    pub const fn at_start(bytes: &'static [u8]) -> Self {
        Magic { bytes, offset: 0 }
    }
    /// A magic `offset` bytes into the structure.
    pub const fn at(offset: usize, bytes: &'static [u8]) -> Self {
        Magic { bytes, offset }
    }
}

/// What a structure is, which decides how the engine treats what it yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A compressed stream: yields one payload.
    Compression,
    /// A firmware container or header (uImage, TRX, TP-Link): yields one or more payloads.
    Container,
    /// A file system image: yields a tree of files.
    Filesystem,
    /// An archive (tar, cpio, zip, 7z): yields a tree of files.
    Archive,
    /// Recognised and reported, but nothing to extract (a boot loader, an RTOS, an encrypted blob).
    Info,
}

/// The result of a successful identification.
pub struct Identified {
    /// Length of the structure in bytes, counted from its start. `None` when it cannot be known
    /// without extracting; the engine then lets it run to the end of the parent data.
    pub size: Option<u64>,
    /// One line for people: version, endianness, compression, names… (e.g. "v4.0 LE, xz, 412 inodes").
    pub description: String,
    /// Work done while identifying that extraction can reuse (e.g. a decompressed stream), so
    /// nothing is decoded twice.
    pub prepared: Option<Vec<u8>>,
    /// What the decode that prepared the output learnt about it on the side (its magics and
    /// SHA-256), so the engine does not scan or hash it again.
    pub survey: Option<Survey>,
    /// Problems found while identifying (offset relative to the structure, reason), e.g. a CRC
    /// mismatch seen during the decode. `extract` reports them with [`Emit::warn`].
    pub warnings: Vec<(u64, String)>,
}

impl Identified {
    /// Where the structure found at `start` in data of `len` bytes ends: its size, or the end of
    /// the data when the size is unknown or runs past it.
    pub fn end_within(&self, start: usize, len: usize) -> usize {
        self.size
            .and_then(|s| usize::try_from(s).ok())
            .and_then(|s| start.checked_add(s))
            .map_or(len, |e| e.min(len))
    }

    pub fn new(size: Option<u64>, description: impl Into<String>) -> Self {
        Identified {
            size,
            description: description.into(),
            prepared: None,
            survey: None,
            warnings: Vec::new(),
        }
    }
}

impl fmt::Debug for Identified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identified")
            .field("size", &self.size)
            .field("description", &self.description)
            .field("prepared", &self.prepared.as_ref().map(|p| p.len()))
            .field("survey", &self.survey)
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// A format handler. Implementations are plain unit structs registered in [`crate::formats::ALL`].
pub trait Format: Send + Sync {
    /// Stable short name, used in output folder names and the manifest ("squashfs", "gzip").
    fn name(&self) -> &'static str;
    /// What the structure is.
    fn kind(&self) -> Kind;
    /// Magic strings that may start the structure. The engine only calls [`Format::identify`] where
    /// one of them matches.
    fn magics(&self) -> &'static [Magic];
    /// Validate the structure that starts at `data[0]` (`data` runs to the end of the parent) and
    /// return its size and a description, or `None` when this is not a valid structure.
    /// Must be cheap relative to extraction, must never panic and must bound its own work.
    fn identify(&self, data: &[u8]) -> Option<Identified>;
    /// Extract the structure `id` found at `data[0]`, emitting what it contains.
    /// `data` is limited to the identified size when that is known.
    /// A damaged part is reported with [`Emit::warn`] and extraction carries on where it can;
    /// an unrecoverable problem is returned as an error with the offset (relative to `data`).
    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error>;
}

/// Ownership, permissions and times of an entry, as recorded in the image. `None` where the format
/// does not record it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Meta {
    /// Permission bits including setuid/setgid/sticky (`0o7777` mask); never the file-type bits.
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// Modification time, seconds since the Unix epoch.
    pub mtime: Option<i64>,
}

impl Meta {
    pub fn new(mode: u32, uid: u32, gid: u32, mtime: i64) -> Self {
        Meta {
            mode: Some(mode & 0o7777),
            uid: Some(uid),
            gid: Some(gid),
            mtime: Some(mtime),
        }
    }
}

/// The pieces of a [`Body::Stream`]. `chunk(i)` returns the `i`-th piece in file order and `None`
/// after the last; the engine asks for 0, 1, 2… once each. Taking `&self` lets a source decode
/// pieces in parallel internally and keeps [`Body`] a plain shared borrow.
pub trait ChunkSource {
    fn chunk(&self, index: usize) -> Option<Result<Vec<u8>, Error>>;
}

/// What an entry is. Paths and link targets are raw bytes exactly as stored in the image; the
/// engine sanitises them.
#[derive(Clone, Copy)]
pub enum Body<'a> {
    Dir,
    /// A regular file of a file system or archive. The engine recurses into it only if a whole-file
    /// format is recognised at its first byte.
    File(&'a [u8]),
    /// The payload of a compressed stream or a container partition (a kernel, a root file system).
    /// The engine scans it for structures at any offset, using `survey` when the decode that
    /// produced `data` already did (see [`Body::payload`] for the usual case without).
    Payload {
        data: &'a [u8],
        survey: Option<&'a Survey>,
    },
    /// A large regular file delivered chunk by chunk, in order, so it never sits in memory whole
    /// (the engine writes each chunk out as it comes). `size` is the length the structure declares.
    /// A chunk that fails ends the file: what came before is kept and the error is reported.
    Stream {
        size: u64,
        chunks: &'a dyn ChunkSource,
    },
    /// A symbolic link, with its target as stored. Never followed.
    Symlink(&'a [u8]),
    /// A hard link to another path of the same structure (raw, as stored).
    Hardlink(&'a [u8]),
    CharDevice {
        major: u32,
        minor: u32,
    },
    BlockDevice {
        major: u32,
        minor: u32,
    },
    Fifo,
    Socket,
}

impl<'a> Body<'a> {
    /// A payload nothing has surveyed yet.
    pub fn payload(data: &'a [u8]) -> Self {
        Body::Payload { data, survey: None }
    }
}

impl std::fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Dir => f.write_str("Dir"),
            Body::File(d) => write!(f, "File({} bytes)", d.len()),
            Body::Payload { data, .. } => write!(f, "Payload({} bytes)", data.len()),
            Body::Stream { size, .. } => write!(f, "Stream({size} bytes)"),
            Body::Symlink(t) => write!(f, "Symlink({:?})", String::from_utf8_lossy(t)),
            Body::Hardlink(t) => write!(f, "Hardlink({:?})", String::from_utf8_lossy(t)),
            Body::CharDevice { major, minor } => write!(f, "CharDevice({major}, {minor})"),
            Body::BlockDevice { major, minor } => write!(f, "BlockDevice({major}, {minor})"),
            Body::Fifo => f.write_str("Fifo"),
            Body::Socket => f.write_str("Socket"),
        }
    }
}

/// One thing a handler found inside a structure.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// Path inside the structure, `/`-separated, as stored (may be hostile: `..`, absolute, NUL…).
    pub path: &'a [u8],
    pub meta: Meta,
    pub body: Body<'a>,
}

/// Where a handler sends what it finds. Implemented by the engine; `Sync` so a handler may emit
/// from several threads at once (e.g. decompressing files of a file system in parallel).
pub trait Emit: Sync {
    /// Record one entry. An `Err` means stop: the budget is spent or output failed; the handler
    /// must return the error unchanged.
    fn entry(&self, entry: Entry<'_>) -> Result<(), Error>;
    /// Report a damaged region (offset relative to the structure's start) and carry on.
    fn warn(&self, offset: u64, reason: String);
    /// How many more bytes may be produced before the output budget is spent. Decompressors must
    /// stop (and return [`Error::Budget`]) rather than produce more.
    fn budget(&self) -> u64;
    /// Declare `len` bytes at `offset` (relative to the structure's start) as the structure's own
    /// metadata — a header, a checksum — with nothing inside to look for. The engine carves by
    /// content whatever bytes of a container its emitted partitions and these declarations leave
    /// unexplained, so a container that places a partition wrongly loses nothing; a nested header
    /// (a second header behind a boot loader) is declared so it is not carved as a new container.
    fn explained(&self, _offset: u64, _len: u64) {}
}

/// Why extraction of a structure stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The data is not what it claims to be at `offset` (relative to the structure's start).
    #[error("malformed at offset {offset:#x}: {reason}")]
    Malformed { offset: u64, reason: String },
    /// The structure is valid but cannot be extracted (encrypted, unsupported variant).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The output budget or the recursion limit was reached: a likely decompression bomb.
    #[error("output budget exhausted: {0}")]
    Budget(String),
    /// Writing the output failed.
    #[error("output error: {0}")]
    Output(String),
}

impl Error {
    pub fn malformed(offset: u64, reason: impl Into<String>) -> Self {
        Error::Malformed {
            offset,
            reason: reason.into(),
        }
    }
    /// Whether this error must stop the whole run, not just the structure that raised it.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Error::Budget(_) | Error::Output(_))
    }
}

thread_local! {
    /// Identification work left to the carve running on this thread, in bytes checksummed, walked
    /// or trial-decoded. Unlimited outside a carve.
    static IDENTIFY_WORK: Cell<u64> = const { Cell::new(u64::MAX) };
}

/// Charge `bytes` of identification work (a checksum over, a scan of, or a trial decode producing
/// that many bytes) before doing it. `false` when the carve's budget cannot cover it: the handler
/// must then decline the candidate. Each candidate is validated independently, so data holding
/// many near-valid headers would otherwise cost a pass over the rest of the data per header.
pub fn identify_work(bytes: u64) -> bool {
    IDENTIFY_WORK.with(|w| {
        let left = w.get();
        if left == 0 || left < bytes {
            w.set(0);
            false
        } else {
            w.set(left - bytes);
            true
        }
    })
}

/// Record work whose size was only known once done (a trial decode's output). Saturates at zero.
pub fn identify_work_done(bytes: u64) {
    IDENTIFY_WORK.with(|w| w.set(w.get().saturating_sub(bytes)));
}

/// Whether the budget of the carve on this thread is spent.
pub fn identify_work_spent() -> bool {
    IDENTIFY_WORK.with(|w| w.get() == 0)
}

/// Gives the carve on this thread an identification work budget; the previous one (an enclosing
/// carve's, when a work-stealing thread runs a nested one) comes back on drop.
pub(crate) struct IdentifyBudget(u64);

impl IdentifyBudget {
    /// Generous for any real image (every accepted structure checked or decoded once, plus
    /// rejected look-alikes), small enough that a crafted one cannot make a scan last hours.
    pub(crate) fn for_data(len: usize) -> Self {
        let budget = (len as u64).saturating_mul(16).max(1 << 30);
        IdentifyBudget(IDENTIFY_WORK.with(|w| w.replace(budget)))
    }
}

impl Drop for IdentifyBudget {
    fn drop(&mut self) {
        IDENTIFY_WORK.with(|w| w.set(self.0));
    }
}
