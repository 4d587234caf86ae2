//! The demo firmware image: built in code, so a newcomer sees a real run with no download and the
//! repository carries no binary blobs.
//!
//! Layout, like a small router's SPI flash dump:
//! - `0x00000`: a boot loader area with a U-Boot version banner, padded with 0xff;
//! - `0x10000`: a legacy U-Boot uImage (MIPS Linux kernel, gzip) whose payload carries a Linux
//!   version banner;
//! - `0x40000`: a SquashFS 4.0 (xz) root file system of a deliberately careless device: an empty
//!   root password, a default `admin` password (md5crypt of `1234`), telnetd started at boot and a
//!   root shell on the serial console.

use std::io::{Cursor, Write};

use anyhow::Result;
use backhand::compression::Compressor;
use backhand::{FilesystemCompressor, FilesystemWriter, NodeHeader};

/// Fixed build time so the image is byte-for-byte reproducible (2024-04-29, PSTI's start).
pub const BUILD_TIME: u32 = 1_714_348_800;
pub const UIMAGE_OFFSET: usize = 0x10000;
pub const ROOTFS_OFFSET: usize = 0x40000;

/// Files of the demo root file system: (path, mode, content).
pub const ROOTFS_FILES: &[(&str, u16, &[u8])] = &[
    ("etc/passwd", 0o644, b"root:x:0:0:root:/root:/bin/sh\nadmin:x:1000:1000:admin:/home/admin:/bin/sh\nnobody:*:65534:65534:nobody:/var:/bin/false\n"),
    ("etc/shadow", 0o600, b"root::19000:0:99999:7:::\nadmin:$1$$iC.dUsGpxNNJGeOm1dFio/:19000:0:99999:7:::\nnobody:*:0:0:99999:7:::\n"),
    ("etc/group", 0o644, b"root:x:0:\nadmin:x:1000:admin\n"),
    ("etc/inittab", 0o644, b"::sysinit:/etc/init.d/rcS\nttyS0::respawn:/bin/sh\n::shutdown:/bin/umount -a -r\n"),
    ("etc/init.d/rcS", 0o755, b"#!/bin/sh\nfor s in /etc/init.d/S*; do \"$s\" start; done\n"),
    ("etc/init.d/S50telnet", 0o755, b"#!/bin/sh\ncase \"$1\" in\n  start) /usr/sbin/telnetd -l /bin/login ;;\nesac\n"),
    ("etc/init.d/S60httpd", 0o755, b"#!/bin/sh\ncase \"$1\" in\n  start) /usr/sbin/httpd -h /www -p 80 ;;\nesac\n"),
    ("etc/os-release", 0o644, b"NAME=\"DemoOS\"\nVERSION=\"1.0.0\"\nID=demoos\nPRETTY_NAME=\"DemoOS 1.0.0 (iotassay demo camera)\"\n"),
    ("www/cgi-bin/ping.cgi", 0o755, b"#!/bin/sh\necho \"Content-type: text/plain\"\necho\nhost=$(echo \"$QUERY_STRING\" | sed 's/host=//')\nping -c 1 $host\n"),
    ("usr/share/update/update.sh", 0o755, b"#!/bin/sh\nwget -q http://update.example.com/fw/latest.bin -O /tmp/fw.bin && sysupgrade /tmp/fw.bin\n"),
];

/// Symlinks of the demo root file system: (path, target).
pub const ROOTFS_SYMLINKS: &[(&str, &str)] = &[
    ("bin/sh", "busybox"),
    ("usr/sbin/telnetd", "../../bin/busybox"),
];

/// The kernel banner carried by the uImage payload.
pub const KERNEL_BANNER: &str = "Linux version 4.14.180 (builder@demo) (gcc version 8.4.0 (OpenWrt GCC 8.4.0)) #0 Tue Apr 30 00:00:00 2024\n";

/// Build the whole demo flash image.
pub fn build_image() -> Result<Vec<u8>> {
    let mut image = vec![0xffu8; ROOTFS_OFFSET];
    let banner = b"U-Boot 2018.03 (Apr 29 2024 - 00:00:00 +0000) iotassay demo board\0";
    image[0x400..0x400 + banner.len()].copy_from_slice(banner);
    let uimage = build_uimage()?;
    anyhow::ensure!(
        UIMAGE_OFFSET + uimage.len() <= ROOTFS_OFFSET,
        "demo kernel too large"
    );
    image[UIMAGE_OFFSET..UIMAGE_OFFSET + uimage.len()].copy_from_slice(&uimage);
    image.extend_from_slice(&build_rootfs()?);
    Ok(image)
}

/// A legacy uImage: 64-byte big-endian header (see U-Boot's `include/image.h`) + gzip payload.
fn build_uimage() -> Result<Vec<u8>> {
    let mut kernel = Vec::new();
    kernel.extend_from_slice(&[0u8; 256]);
    kernel.extend_from_slice(KERNEL_BANNER.as_bytes());
    kernel.extend_from_slice(&[0u8; 4096]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&kernel)?;
    let payload = gz.finish()?;

    let mut h = [0u8; 64];
    h[0..4].copy_from_slice(&0x2705_1956u32.to_be_bytes());
    h[8..12].copy_from_slice(&BUILD_TIME.to_be_bytes());
    h[12..16].copy_from_slice(&(payload.len() as u32).to_be_bytes());
    h[16..20].copy_from_slice(&0x8006_0000u32.to_be_bytes()); // load address
    h[20..24].copy_from_slice(&0x8006_0000u32.to_be_bytes()); // entry point
    h[24..28].copy_from_slice(&crc32fast::hash(&payload).to_be_bytes());
    h[28] = 5; // OS: Linux
    h[29] = 5; // arch: MIPS
    h[30] = 2; // type: kernel
    h[31] = 1; // compression: gzip
    let name = b"MIPS DemoOS Linux-4.14.180";
    h[32..32 + name.len()].copy_from_slice(name);
    let hcrc = crc32fast::hash(&h);
    h[4..8].copy_from_slice(&hcrc.to_be_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(&payload);
    Ok(out)
}

fn header(mode: u16) -> NodeHeader {
    NodeHeader {
        permissions: mode,
        uid: 0,
        gid: 0,
        mtime: BUILD_TIME,
    }
}

/// The SquashFS 4.0 (xz) root file system.
fn build_rootfs() -> Result<Vec<u8>> {
    let mut fs = FilesystemWriter::default();
    fs.set_time(BUILD_TIME);
    fs.set_compressor(FilesystemCompressor::new(Compressor::Xz, None)?);
    fs.set_root_mode(0o755);
    for dir in [
        "bin",
        "etc",
        "etc/init.d",
        "usr",
        "usr/sbin",
        "usr/share",
        "usr/share/update",
        "www",
        "www/cgi-bin",
        "tmp",
    ] {
        let mode = if dir == "tmp" { 0o1777 } else { 0o755 };
        fs.push_dir(dir, header(mode))?;
    }
    // A stand-in for the BusyBox binary: the version string firmware scanners look for.
    let busybox: &'static [u8] =
        b"\x7fELF-demo-stub\0BusyBox v1.24.1 (2024-04-29 00:00:00 UTC) multi-call binary.\0";
    fs.push_file(Cursor::new(busybox), "bin/busybox", header(0o4755))?;
    for (path, mode, content) in ROOTFS_FILES {
        fs.push_file(Cursor::new(*content), *path, header(*mode))?;
    }
    for (path, target) in ROOTFS_SYMLINKS {
        fs.push_symlink(*target, *path, header(0o777))?;
    }
    fs.push_char_device(0x0501, "dev/console", header(0o600))
        .ok();
    let mut out = Cursor::new(Vec::new());
    fs.write(&mut out)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_is_reproducible_and_laid_out() {
        let a = build_image().unwrap();
        let b = build_image().unwrap();
        assert_eq!(a, b, "the demo image must be byte-for-byte reproducible");
        assert_eq!(
            &a[UIMAGE_OFFSET..UIMAGE_OFFSET + 4],
            &[0x27, 0x05, 0x19, 0x56]
        );
        assert_eq!(&a[ROOTFS_OFFSET..ROOTFS_OFFSET + 4], b"hsqs");
    }
}
