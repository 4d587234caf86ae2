//! SquashFS handlers: v4 (both endians, every compressor, AVM's mixed-endian variant) through the
//! `backhand` crate, and v2/v3 (both endians, zlib and the vendor LZMA variants) through our own
//! reader in [`legacy`], because backhand has no v2 support and its v3 reader resolves uid/gid
//! wrongly (it ignores the "gid = uid" marker) and knows none of the headerless LZMA variants.

use crate::format::{Body, Emit, Entry, Error, Format, Meta};
use crate::testing::Collector;

pub mod legacy;
pub mod v4;
mod v4_stream;

#[cfg(test)]
mod tests;

/// The handlers of this family, in priority order.
pub const HANDLERS: &[&dyn Format] = &[&v4::SquashfsV4, &legacy::SquashfsLegacy];

/// Fuzz entry point for the v4 handler (backhand behind our own superblock validation).
pub fn fuzz_v4(data: &[u8]) {
    let _ = Collector::run(&v4::SquashfsV4, data, 64 << 20);
}

/// Fuzz entry point for our v2/v3 reader.
pub fn fuzz_legacy(data: &[u8]) {
    let _ = Collector::run(&legacy::SquashfsLegacy, data, 64 << 20);
}

/// Linux `dev_t` as stored by squashfs (`new_encode_dev`): major in bits 8..20, minor split.
pub(crate) fn split_dev(dev: u32) -> (u32, u32) {
    ((dev >> 8) & 0xfff, (dev & 0xff) | ((dev >> 12) & 0xfff00))
}

/// "2024-07-23" for a Unix time, for descriptions.
pub(crate) fn date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Block size for descriptions: "128 KiB".
pub(crate) fn kib(block_size: u32) -> String {
    format!("{} KiB", block_size / 1024)
}

/// Emit one node; the common tail of both readers.
pub(crate) fn emit(out: &dyn Emit, path: &[u8], meta: Meta, body: Body<'_>) -> Result<(), Error> {
    out.entry(Entry { path, meta, body })
}
