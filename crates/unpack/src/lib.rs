//! Format identification and safe recursive extraction of firmware images.
//!
//! The flow: the [`engine`] scans bytes for the magic numbers of every registered [`formats`]
//! handler, lets each candidate validate itself structurally, extracts what validates, and recurses
//! into what the extraction yields, under a depth limit and an output budget. Everything extracted
//! is written by one [`store`] that sanitises paths ([`path`]) and never follows a symlink, and is
//! recorded in a [`manifest`] with its provenance chain.

pub mod bytes;
pub mod content;
pub mod engine;
pub mod entropy;
pub mod format;
pub mod formats;
pub mod manifest;
pub mod path;
pub mod scan;
pub mod store;
pub mod survey;
pub mod testing;

pub use content::Content;
pub use engine::{scan, unpack, unpack_file, Hit, Options, ProgressFn, DEFAULT_MAX_DEPTH};
pub use format::{Body, ChunkSource, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};
pub use manifest::{Manifest, Node, NodeKind, Region, RegionStatus, Warning};
