//! Compressed streams (gzip, xz, LZMA, bzip2, zstd, LZ4, lzop) and Linux kernel images.
//!
//! Every stream handler works the same way (see [`stream`]): `identify` validates the header, then
//! decodes the stream (up to [`stream::IDENTIFY_CAP`] bytes of output) to learn its exact compressed
//! length and to reject false hits; the output goes to `prepared`, so `extract` never decodes twice.
//! The kernel handlers ([`kernel`]) locate the compressed kernel inside a zImage/bzImage and reuse
//! the stream decoders through [`stream::CODECS`].

use crate::format::Format;

pub mod bzip2;
pub mod gzip;
pub mod kernel;
pub mod lz4;
pub mod lzma;
pub mod lzop;
pub mod stream;
pub mod xz;
pub mod zstd;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;

/// The handlers of this family, in priority order.
pub const HANDLERS: &[&dyn Format] = &[
    &kernel::ZImage,
    &kernel::BzImage,
    &lzma::Arcadyan,
    &xz::Xz,
    &zstd::Zstd,
    &lz4::Lz4Frame,
    &lz4::Lz4Legacy,
    &lzop::Lzop,
    &bzip2::Bzip2,
    &gzip::Gzip,
    &lzma::Lzma,
];

use crate::testing::fuzz_with;

/// Fuzz entry point: gzip identify + extract.
pub fn fuzz_gzip(data: &[u8]) {
    fuzz_with(&gzip::Gzip, data);
}
/// Fuzz entry point: xz identify + extract.
pub fn fuzz_xz(data: &[u8]) {
    fuzz_with(&xz::Xz, data);
}
/// Fuzz entry point: LZMA "alone" (13- and 5-byte headers) identify + extract.
pub fn fuzz_lzma(data: &[u8]) {
    fuzz_with(&lzma::Lzma, data);
}
/// Fuzz entry point: Arcadyan-obfuscated LZMA identify + extract.
pub fn fuzz_arcadyan(data: &[u8]) {
    fuzz_with(&lzma::Arcadyan, data);
}
/// Fuzz entry point: bzip2 identify + extract.
pub fn fuzz_bzip2(data: &[u8]) {
    fuzz_with(&bzip2::Bzip2, data);
}
/// Fuzz entry point: zstd identify + extract.
pub fn fuzz_zstd(data: &[u8]) {
    fuzz_with(&zstd::Zstd, data);
}
/// Fuzz entry point: LZ4 frame identify + extract.
pub fn fuzz_lz4(data: &[u8]) {
    fuzz_with(&lz4::Lz4Frame, data);
}
/// Fuzz entry point: LZ4 legacy (Linux kernel) identify + extract.
pub fn fuzz_lz4_legacy(data: &[u8]) {
    fuzz_with(&lz4::Lz4Legacy, data);
}
/// Fuzz entry point: lzop identify + extract.
pub fn fuzz_lzop(data: &[u8]) {
    fuzz_with(&lzop::Lzop, data);
}
/// Fuzz entry point: ARM zImage identify + extract.
pub fn fuzz_zimage(data: &[u8]) {
    fuzz_with(&kernel::ZImage, data);
}
/// Fuzz entry point: x86 bzImage identify + extract.
pub fn fuzz_bzimage(data: &[u8]) {
    fuzz_with(&kernel::BzImage, data);
}
