//! Format identification and safe recursive extraction of firmware images.
//!
//! The flow: the [`engine`] scans bytes for magic numbers of every registered [`formats`] handler,
//! lets each candidate validate itself structurally, extracts what validates, and recurses into what
//! the extraction yields, under a depth limit and an output budget. Everything extracted is written
//! by one [`store`] that sanitises paths and never follows a symlink, and recorded in a
//! [`manifest`] with its provenance chain.

pub mod bytes;
pub mod format;
pub mod formats;
pub mod testing;

pub use format::{Body, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};
