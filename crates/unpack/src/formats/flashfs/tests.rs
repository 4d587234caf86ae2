//! Extraction tests for JFFS2, cramfs and romfs: corpus fixtures with known contents, hand-built
//! images for the corner cases (versions, deletions, truncations, compressors Debian's tools do not
//! write, loops, damage), and round trips through Debian's `mkfs.jffs2` (mtd-utils), `mkfs.cramfs`
//! (util-linux) and `genromfs` (genromfs) from one tree of real files.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::process::Command;

use iotassay_testkit::corpus_bytes;

use super::cramfs::Cramfs;
use super::jffs2::{rtime_decompress, Jffs2};
use super::romfs::Romfs;
use super::test_util::{hostile_extract, mutations, noise, only};
use crate::format::{Error, Format, Identified};
use crate::testing::{Collected, CollectedKind, Collector};

const BUDGET: u64 = 256 << 20;

fn run(format: &dyn Format, data: &[u8]) -> Collector {
    let (c, r) = Collector::run(format, data, BUDGET)
        .unwrap_or_else(|| panic!("{} does not identify the image", format.name()));
    r.unwrap_or_else(|e| panic!("{} extraction failed: {e}", format.name()));
    c
}

/// Extract without identifying first (identification checks CRCs that damage would fail).
fn extract_raw(format: &dyn Format, data: &[u8]) -> (Collector, Result<(), Error>) {
    let c = Collector::new(BUDGET);
    let r = format.extract(data, Identified::new(None, ""), &c);
    (c, r)
}

fn by_path(c: Collector) -> BTreeMap<String, Collected> {
    c.into_entries()
        .into_iter()
        .map(|e| (e.path.clone(), e))
        .collect()
}

fn file<'a>(entries: &'a BTreeMap<String, Collected>, path: &str) -> &'a [u8] {
    match entries.get(path).map(|e| &e.kind) {
        Some(CollectedKind::File(d)) => d,
        other => panic!("{path}: {other:?}; have {:?}", entries.keys()),
    }
}

// ------------------------------------------------------------------ corpus

const TESTFILE1: &[u8] = b"test file:\ncontent: MyTestRule 1.2.3\nVersion: Program 0.0.0.0\n";
const TESTFILE2: &[u8] = b"This is the second test file";
const TESTFILE3: &[u8] = b"The third test file!";

/// The three-file tree of the jffs2/cramfs/romfs fixtures from other projects' test suites.
fn check_test_tree(entries: &BTreeMap<String, Collected>, what: &str) {
    let paths: Vec<&str> = entries.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "generic folder",
            "generic folder/test file 3_.txt",
            "testfile1",
            "testfile2"
        ],
        "{what}"
    );
    assert!(matches!(entries["generic folder"].kind, CollectedKind::Dir));
    assert_eq!(file(entries, "testfile1"), TESTFILE1, "{what}");
    assert_eq!(file(entries, "testfile2"), TESTFILE2, "{what}");
    assert_eq!(
        file(entries, "generic folder/test file 3_.txt"),
        TESTFILE3,
        "{what}"
    );
}

#[test]
fn jffs2_fixtures_both_endians() {
    for (name, endian) in [
        ("formats/jffs2__jffs2_le.img", "LE"),
        ("formats/jffs2__jffs2_be.img", "BE"),
    ] {
        let data = corpus_bytes(name);
        let id = Jffs2.identify(&data).unwrap();
        assert!(
            id.description.starts_with(&format!("JFFS2 {endian}, ")),
            "{}",
            id.description
        );
        let size = id.size.unwrap() as usize;
        assert!(data[size..].iter().all(|&b| b == 0xff || b == 0), "{name}");
        only(&Jffs2, &data);
        let c = run(&Jffs2, &data);
        assert!(c.warnings.lock().unwrap().is_empty(), "{name}");
        let entries = by_path(c);
        check_test_tree(&entries, name);
        // jffs2dump: uid/gid 1000, mode 0664 files.
        let m = entries["testfile1"].meta;
        assert_eq!(
            (m.mode, m.uid, m.gid),
            (Some(0o664), Some(1000), Some(1000))
        );
        assert_eq!(m.mtime, Some(0x5755_3568), "2016-06-06, as recorded");
    }
}

#[test]
fn jffs2_esp32_rootfs_etc() {
    // The ESP32-S3 image is the /etc partition: its root holds shadow, inetd.conf…
    let data = corpus_bytes("real/esp32s3-rootfs.jffs2");
    only(&Jffs2, &data);
    let c = run(&Jffs2, &data);
    assert!(c.warnings.lock().unwrap().is_empty());
    let entries = by_path(c);
    let shadow = file(&entries, "shadow");
    assert!(shadow.starts_with(b"root::::::::\n"), "{shadow:?}");
    assert_eq!(entries["shadow"].meta.mode, Some(0o600));
    assert_eq!(entries["shadow"].meta.uid, Some(0));
    let inetd = String::from_utf8_lossy(file(&entries, "inetd.conf")).into_owned();
    assert!(
        inetd
            .lines()
            .any(|l| l.contains("/usr/sbin/dropbear") && l.contains("root")),
        "{inetd}"
    );
    // Three data nodes (jffs2reader shows only the first one's 4096 bytes).
    let services = file(&entries, "services");
    assert_eq!(services.len(), 10873);
    assert!(
        services.starts_with(b"# /etc/services"),
        "{:?}",
        &services[..40]
    );
    assert!(services.ends_with(b"\n"));
    assert_eq!(file(&entries, "init.d/S01syslogd").len(), 1012);
    assert_eq!(entries["init.d/rcS"].meta.mode, Some(0o755));
    assert!(matches!(
        &entries["mtab"].kind,
        CollectedKind::Symlink(t) if t == "../proc/self/mounts"
    ));
    assert!(matches!(
        &entries["network/if-down.d/wpasupplicant"].kind,
        CollectedKind::Symlink(t) if t == "../if-up.d/wpasupplicant"
    ));
    // 47 directory entries (jffs2reader lists 42: it misses dropbear/ and its host keys).
    assert_eq!(entries.len(), 47, "{:?}", entries.keys());
    assert!(file(&entries, "dropbear/dropbear_ed25519_host_key").len() > 32);
}

#[test]
fn cramfs_fixtures() {
    let c = run(&Cramfs, &corpus_bytes("formats/sevenz__cramfs.img"));
    assert!(c.warnings.lock().unwrap().is_empty());
    let entries = by_path(c);
    check_test_tree(&entries, "sevenz__cramfs.img");
    let m = entries["testfile1"].meta;
    assert_eq!((m.mode, m.mtime), (Some(0o664), None));

    let entries = by_path(run(&Cramfs, &corpus_bytes("formats/binwalk__cramfs.bin")));
    assert_eq!(entries.keys().collect::<Vec<_>>(), ["lsb-release"]);
    assert_eq!(
        file(&entries, "lsb-release"),
        b"DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION=\"Ubuntu 22.04.5 LTS\"\n"
    );
}

#[test]
fn cramfs_esp32_xip() {
    // Extended block pointers: util-linux's fsck.cramfs refuses this image.
    let data = corpus_bytes("real/esp32s3-rootfs-xip.cramfs");
    let c = run(&Cramfs, &data);
    let warnings = c.warnings.lock().unwrap().clone();
    assert!(warnings.is_empty(), "{warnings:?}");
    let entries = by_path(c);
    // The superblock counts 401 files, the root included.
    assert_eq!(entries.len() + 1, 401);
    let shadow = file(&entries, "etc/shadow");
    assert!(shadow.starts_with(b"root::"), "{shadow:?}");
    let inetd = String::from_utf8_lossy(file(&entries, "etc/inetd.conf")).into_owned();
    assert!(inetd.contains("dropbear"), "{inetd}");
    let passwd = String::from_utf8_lossy(file(&entries, "etc/passwd")).into_owned();
    assert!(passwd.starts_with("root:x:0:0:"), "{passwd}");
    // Every ELF file decodes to a well-formed header; XIP files are stored uncompressed.
    let elves: Vec<&str> = entries
        .iter()
        .filter_map(|(p, e)| match &e.kind {
            CollectedKind::File(d) if d.starts_with(b"\x7fELF") => Some(p.as_str()),
            _ => None,
        })
        .collect();
    assert!(elves.len() > 5, "{elves:?}");
    let busybox = file(&entries, "bin/busybox");
    assert!(busybox.starts_with(b"\x7fELF"));
    // The section header table, at e_shoff, lies within the file: its size was read right.
    let shoff = u32::from_le_bytes(busybox[32..36].try_into().unwrap()) as usize;
    let shnum = u16::from_le_bytes(busybox[48..50].try_into().unwrap()) as usize;
    assert_eq!(shoff + shnum * 40, busybox.len());
}

#[test]
fn romfs_fixtures() {
    let c = run(&Romfs, &corpus_bytes("formats/generic_fs__romfs.img"));
    assert!(c.warnings.lock().unwrap().is_empty());
    let entries = by_path(c);
    check_test_tree(&entries, "generic_fs__romfs.img");
    assert_eq!(entries["testfile1"].meta.mode, Some(0o644));
    assert_eq!(entries["generic folder"].meta.mode, Some(0o755));
    assert_eq!(entries["testfile1"].meta.uid, None);

    let entries = by_path(run(&Romfs, &corpus_bytes("formats/binwalk__romfs.bin")));
    assert_eq!(entries.keys().collect::<Vec<_>>(), ["lsb-release"]);
    assert!(file(&entries, "lsb-release").starts_with(b"DISTRIB_ID=Ubuntu\n"));
    assert_eq!(file(&entries, "lsb-release").len(), 104);
}

// ------------------------------------------------------------------ hand-built JFFS2

fn crc(data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(0xffff_ffff);
    h.update(data);
    !h.finalize()
}

/// Writes JFFS2 nodes by hand, in either byte order.
struct Jffs2Writer {
    be: bool,
    out: Vec<u8>,
}

struct InodeNode<'a> {
    ino: u32,
    version: u32,
    mode: u32,
    isize: u32,
    offset: u32,
    dsize: u32,
    compr: u8,
    data: &'a [u8],
}

impl Jffs2Writer {
    fn new(be: bool) -> Self {
        Jffs2Writer {
            be,
            out: Vec::new(),
        }
    }
    fn u16(&self, v: u16) -> [u8; 2] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(&self, v: u32) -> [u8; 4] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn header(&self, kind: u16, len: usize) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend(self.u16(0x1985));
        h.extend(self.u16(kind));
        h.extend(self.u32(len as u32));
        let c = crc(&h);
        h.extend(self.u32(c));
        h
    }
    fn push(&mut self, node: Vec<u8>) {
        self.out.extend(node);
        while !self.out.len().is_multiple_of(4) {
            self.out.push(0xff);
        }
    }
    fn dirent(&mut self, pino: u32, version: u32, ino: u32, name: &[u8]) {
        let mut n = self.header(0xe001, 40 + name.len());
        for v in [pino, version, ino, 1_700_000_000] {
            n.extend(self.u32(v));
        }
        n.extend([name.len() as u8, 8, 0, 0]);
        let c = crc(&n);
        n.extend(self.u32(c));
        n.extend(self.u32(crc(name)));
        n.extend(name);
        self.push(n);
    }
    fn inode(&mut self, i: InodeNode<'_>) {
        let mut n = self.header(0xe002, 68 + i.data.len());
        for v in [i.ino, i.version, i.mode] {
            n.extend(self.u32(v));
        }
        n.extend(self.u16(1000));
        n.extend(self.u16(100));
        for v in [
            i.isize,
            1,
            1_700_000_123,
            3,
            i.offset,
            i.data.len() as u32,
            i.dsize,
        ] {
            n.extend(self.u32(v));
        }
        n.extend([i.compr, 0]);
        n.extend(self.u16(0));
        let c = crc(&n);
        n.extend(self.u32(crc(i.data)));
        n.extend(self.u32(c));
        n.extend(i.data);
        self.push(n);
    }
    fn file(&mut self, ino: u32, version: u32, data: &[u8], compr: u8, stored: &[u8]) {
        self.inode(InodeNode {
            ino,
            version,
            mode: 0o100644,
            isize: data.len() as u32,
            offset: 0,
            dsize: data.len() as u32,
            compr,
            data: stored,
        });
    }
}

fn raw_lzma(data: &[u8], lc: u32, lp: u32, pb: u32, dict: u32) -> Vec<u8> {
    use liblzma::stream::{Action, Filters, LzmaOptions, Stream};
    let mut opts = LzmaOptions::new_preset(6).unwrap();
    opts.literal_context_bits(lc)
        .literal_position_bits(lp)
        .position_bits(pb)
        .dict_size(dict);
    let mut filters = Filters::new();
    filters.lzma1(&opts);
    let mut s = Stream::new_raw_encoder(&filters).unwrap();
    let mut out = Vec::with_capacity(data.len() + 1024);
    s.process_vec(data, &mut out, Action::Finish).unwrap();
    out
}

fn rtime_compress(data: &[u8]) -> Vec<u8> {
    // The kernel's compressor, for the test.
    let mut positions = [0usize; 256];
    let (mut out, mut pos) = (Vec::new(), 0usize);
    while pos < data.len() {
        let value = data[pos];
        out.push(value);
        pos += 1;
        let mut back = positions[usize::from(value)];
        positions[usize::from(value)] = pos;
        let mut run = 0u8;
        while back < pos && pos < data.len() && data[pos] == data[back] && run < 255 {
            pos += 1;
            back += 1;
            run += 1;
        }
        out.push(run);
    }
    out
}

#[test]
fn jffs2_compressors_versions_and_deletions() {
    let text: Vec<u8> = (0..300)
        .flat_map(|i| format!("line {i} of a compressible text file\n").into_bytes())
        .collect::<Vec<u8>>()[..4096]
        .to_vec();
    for be in [false, true] {
        let mut w = Jffs2Writer::new(be);
        // Clean marker first, as mkfs.jffs2 writes.
        let cm = w.header(0x2003, 12);
        w.push(cm);
        // Each compressor the kernel knows.
        let zlib = {
            use std::io::Write;
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            z.write_all(&text).unwrap();
            z.finish().unwrap()
        };
        let lzo = rust_lzo::LZOContext::new()
            .compress_to_slice(&text, &mut vec![0; 8192])
            .0
            .to_vec();
        let lzma_openwrt = raw_lzma(&text, 0, 0, 0, 0x2000);
        assert_eq!(lzma_openwrt[0], 0, "range coder's leading zero");
        let mut lzma_ddwrt = vec![0x5d];
        lzma_ddwrt.extend(0x2000u32.to_le_bytes());
        lzma_ddwrt.extend(raw_lzma(&text, 3, 0, 2, 0x2000));
        let rtime = rtime_compress(&text);
        assert_eq!(rtime_decompress(&rtime, text.len()).unwrap(), text);
        let cases: [(&[u8], u8, &[u8]); 7] = [
            (b"none", 0, &text),
            (b"zlib", 6, &zlib),
            (b"lzo", 7, &lzo),
            (b"lzma", 8, &lzma_openwrt),
            (b"lzma-ddwrt", 0x15, &lzma_ddwrt),
            (b"rtime", 2, &rtime),
            (b"rubin", 5, b"\x01\x02"),
        ];
        for (i, (name, compr, stored)) in cases.iter().enumerate() {
            let ino = 10 + i as u32;
            w.dirent(1, 1, ino, name);
            w.file(ino, 1, &text, *compr, stored);
        }
        // Versions: v2 overrides the middle of v1; the dirent's older version loses.
        w.dirent(1, 5, 30, b"patched");
        w.dirent(1, 4, 31, b"patched");
        w.file(30, 1, &[b'a'; 100], 0, &[b'a'; 100]);
        w.inode(InodeNode {
            ino: 30,
            version: 2,
            mode: 0o104755,
            isize: 100,
            offset: 10,
            dsize: 5,
            compr: 0,
            data: b"BBBBB",
        });
        // Truncated to 20 bytes, then extended by a write at 50: the gap reads as zeros.
        w.dirent(1, 1, 32, b"truncated");
        w.file(32, 1, &[b'x'; 100], 0, &[b'x'; 100]);
        w.inode(InodeNode {
            ino: 32,
            version: 2,
            mode: 0o100600,
            isize: 20,
            offset: 0,
            dsize: 0,
            compr: 0,
            data: b"",
        });
        w.inode(InodeNode {
            ino: 32,
            version: 3,
            mode: 0o100600,
            isize: 60,
            offset: 50,
            dsize: 10,
            compr: 0,
            data: b"yyyyyyyyyy",
        });
        // A hole node (compression "zero") in the middle of a file.
        w.dirent(1, 1, 33, b"holey");
        w.file(33, 1, &[b'h'; 30], 0, &[b'h'; 30]);
        w.inode(InodeNode {
            ino: 33,
            version: 2,
            mode: 0o100644,
            isize: 30,
            offset: 10,
            dsize: 10,
            compr: 1,
            data: b"",
        });
        // Deleted: a later dirent with inode 0.
        w.dirent(1, 1, 34, b"deleted");
        w.file(34, 1, b"gone", 0, b"gone");
        w.dirent(1, 2, 0, b"deleted");
        // A directory, a hard link into it, a symlink and devices (old and new encodings).
        w.dirent(1, 1, 40, b"dir");
        w.inode(InodeNode {
            ino: 40,
            version: 1,
            mode: 0o40700,
            isize: 0,
            offset: 0,
            dsize: 0,
            compr: 0,
            data: b"",
        });
        w.dirent(40, 1, 10, b"hardlink");
        w.dirent(40, 2, 41, b"link");
        w.inode(InodeNode {
            ino: 41,
            version: 1,
            mode: 0o120777,
            isize: 7,
            offset: 0,
            dsize: 7,
            compr: 0,
            data: b"../none",
        });
        w.dirent(40, 3, 42, b"console");
        let dev_old = w.u16(5 << 8 | 1).to_vec();
        w.inode(InodeNode {
            ino: 42,
            version: 1,
            mode: 0o20600,
            isize: 0,
            offset: 0,
            dsize: 2,
            compr: 0,
            data: &dev_old,
        });
        w.dirent(40, 4, 43, b"sda");
        // new_encode_dev(8, 0x1256)
        let dev_new = w.u32(0x0120_0856).to_vec();
        w.inode(InodeNode {
            ino: 43,
            version: 1,
            mode: 0o60660,
            isize: 0,
            offset: 0,
            dsize: 4,
            compr: 0,
            data: &dev_new,
        });
        // A loop: dir/loop is the root directory again.
        w.dirent(40, 5, 1, b"loop");
        // Padding to the end of an erase block.
        w.out.resize(w.out.len() + 4096, 0xff);

        let c = run(&Jffs2, &w.out);
        let warnings = c.warnings.lock().unwrap().clone();
        let entries = by_path(c);
        for name in ["none", "zlib", "lzo", "lzma", "lzma-ddwrt", "rtime"] {
            assert_eq!(file(&entries, name), text, "{name} be={be}");
        }
        // rubin is reported, the file's bytes are zeros.
        assert!(
            warnings
                .iter()
                .any(|(_, w)| w.contains("rubin") && w.contains("rubin compression")),
            "{warnings:?}"
        );
        let mut patched = vec![b'a'; 100];
        patched[10..15].copy_from_slice(b"BBBBB");
        assert_eq!(file(&entries, "patched"), patched);
        assert_eq!(entries["patched"].meta.mode, Some(0o4755));
        assert_eq!(entries["patched"].meta.uid, Some(1000));
        assert_eq!(entries["patched"].meta.gid, Some(100));
        assert_eq!(entries["patched"].meta.mtime, Some(1_700_000_123));
        let mut truncated = vec![b'x'; 20];
        truncated.resize(50, 0);
        truncated.extend(b"yyyyyyyyyy");
        assert_eq!(file(&entries, "truncated"), truncated);
        let mut holey = vec![b'h'; 30];
        holey[10..20].fill(0);
        assert_eq!(file(&entries, "holey"), holey);
        assert!(!entries.contains_key("deleted"));
        assert_eq!(entries["dir"].meta.mode, Some(0o700));
        assert!(matches!(&entries["dir/hardlink"].kind, CollectedKind::Hardlink(t) if t == "none"));
        assert!(matches!(&entries["dir/link"].kind, CollectedKind::Symlink(t) if t == "../none"));
        assert_eq!(entries["dir/console"].kind, CollectedKind::CharDevice(5, 1));
        assert_eq!(
            entries["dir/sda"].kind,
            CollectedKind::BlockDevice(8, 0x1256)
        );
        assert!(!entries.contains_key("dir/loop"));
        assert!(
            warnings.iter().any(|(_, w)| w.contains("directory loop")),
            "{warnings:?}"
        );

        // A damaged node (data CRC) is skipped with a warning; a damaged header is skipped
        // and the scan resynchronises on the next node.
        let mut bad = w.out.clone();
        let at = memchr::memmem::find(&bad, b"BBBBB").unwrap();
        bad[at] = b'C';
        // The header of the losing "patched" dirent (version 4, after the winning one).
        let first = memchr::memmem::find(&bad, b"patched").unwrap();
        let hdr = first + 1 + memchr::memmem::find(&bad[first + 1..], b"patched").unwrap() - 40;
        bad[hdr + 5] ^= 0x40;
        let c = run(&Jffs2, &bad);
        let warnings = c.warnings.lock().unwrap().clone();
        let entries = by_path(c);
        assert_eq!(file(&entries, "patched"), vec![b'a'; 100]);
        assert_eq!(entries["patched"].meta.mode, Some(0o644), "v1's metadata");
        assert!(
            warnings.iter().any(|(_, w)| w.contains("data CRC")),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|(_, w)| w.contains("skipped")),
            "{warnings:?}"
        );
        assert_eq!(file(&entries, "zlib"), text);
        assert_eq!(file(&entries, "holey"), holey, "nodes after the damage");
    }
}

#[test]
fn jffs2_hostile() {
    hostile_extract(&Jffs2, &corpus_bytes("formats/jffs2__jffs2_be.img"));
    hostile_extract(&Jffs2, &corpus_bytes("real/esp32s3-rootfs.jffs2"));
    let mut junk = noise(4096, 5);
    junk[..2].copy_from_slice(&[0x85, 0x19]);
    assert!(Jffs2.identify(&junk).is_none());
    let mut data = corpus_bytes("formats/jffs2__jffs2_le.img");
    data.truncate(8);
    assert!(Jffs2.identify(&data).is_none());

    // A huge isize is refused by the budget before anything is allocated.
    let mut w = Jffs2Writer::new(false);
    w.dirent(1, 1, 2, b"huge");
    w.inode(InodeNode {
        ino: 2,
        version: 1,
        mode: 0o100644,
        isize: u32::MAX,
        offset: 0,
        dsize: u32::MAX,
        compr: 1,
        data: b"",
    });
    let (_, r) = Collector::run(&Jffs2, &w.out, BUDGET).unwrap();
    assert!(matches!(r, Err(Error::Budget(_))), "{r:?}");
    // So is a symlink's, with a warning.
    let mut w = Jffs2Writer::new(false);
    w.dirent(1, 1, 2, b"huge");
    w.inode(InodeNode {
        ino: 2,
        version: 1,
        mode: 0o120777,
        isize: u32::MAX,
        offset: 0,
        dsize: 0,
        compr: 0,
        data: b"",
    });
    let c = run(&Jffs2, &w.out);
    assert!(c.paths().is_empty());
    assert!(c.warnings.lock().unwrap()[0].1.contains("symlink target"));
    // A node declaring a huge dsize for its data is skipped; two directories that contain each
    // other, unreachable from the root, are ignored; a self-parented directory is a loop.
    let mut w = Jffs2Writer::new(true);
    w.dirent(1, 1, 2, b"big");
    w.inode(InodeNode {
        ino: 2,
        version: 1,
        mode: 0o100644,
        isize: 16,
        offset: 0,
        dsize: 0x4000_0000,
        compr: 6,
        data: b"x",
    });
    w.dirent(5, 1, 6, b"a");
    w.dirent(6, 1, 5, b"b");
    w.dirent(1, 2, 7, b"self");
    w.dirent(7, 1, 7, b"again");
    for ino in [5, 6, 7] {
        w.inode(InodeNode {
            ino,
            version: 1,
            mode: 0o40755,
            isize: 0,
            offset: 0,
            dsize: 0,
            compr: 0,
            data: b"",
        });
    }
    let c = run(&Jffs2, &w.out);
    let entries = by_path(c);
    assert_eq!(file(&entries, "big"), [0u8; 16]);
    assert_eq!(entries.keys().collect::<Vec<_>>(), ["big", "self"]);
}

// ------------------------------------------------------------------ hostile cramfs / romfs

#[test]
fn cramfs_and_romfs_damage_is_survived() {
    for (format, name) in [
        (&Cramfs as &dyn Format, "formats/sevenz__cramfs.img"),
        (&Cramfs, "formats/binwalk__cramfs.bin"),
        (&Romfs, "formats/generic_fs__romfs.img"),
        (&Romfs, "formats/binwalk__romfs.bin"),
    ] {
        let data = corpus_bytes(name);
        hostile_extract(format, &data);
        // Past the checksums: extraction itself meets the damage.
        mutations(&data, |d| {
            let started = std::time::Instant::now();
            let (_, r) = extract_raw(format, d);
            assert!(
                matches!(
                    r,
                    Ok(()) | Err(Error::Malformed { .. }) | Err(Error::Budget(_))
                ),
                "{name}: {r:?}"
            );
            assert!(started.elapsed().as_secs() < 10);
        });
    }
    let xip = corpus_bytes("real/esp32s3-rootfs-xip.cramfs");
    mutations(&xip[..1 << 16], |d| {
        let _ = extract_raw(&Cramfs, d);
    });
}

#[test]
fn romfs_loops_and_links() {
    // Root: "." (dir → itself), "a" (dir whose first entry is the root's first header again),
    // "f" (file), "h" (hard link → f), then the root chain loops back to its start.
    let mut img = vec![0u8; 16];
    img[..8].copy_from_slice(b"-rom1fs-");
    img.extend(b"vol\0\0\0\0\0\0\0\0\0\0\0\0\0");
    let first = img.len(); // 32
    let header = |next: u32, kind: u32, spec: u32, size: u32, name: &[u8]| {
        let mut h = Vec::new();
        h.extend((next | kind).to_be_bytes());
        h.extend(spec.to_be_bytes());
        h.extend(size.to_be_bytes());
        h.extend(0u32.to_be_bytes());
        let mut n = name.to_vec();
        n.resize(16, 0);
        h.extend(n);
        h
    };
    let f_at = first + 64;
    img.extend(header(first as u32 + 32, 1, first as u32, 0, b"."));
    img.extend(header(f_at as u32, 1, first as u32, 0, b"a"));
    img.extend(header(f_at as u32 + 48, 2 | 8, 0, 5, b"f"));
    img.extend(b"hello\0\0\0\0\0\0\0\0\0\0\0");
    img.extend(header(first as u32, 0, f_at as u32, 0, b"h"));
    let size = img.len() as u32;
    img[8..12].copy_from_slice(&size.to_be_bytes());
    let sum = img[..size as usize].chunks(4).fold(0u32, |a, w| {
        a.wrapping_add(u32::from_be_bytes(w.try_into().unwrap()))
    });
    img[12..16].copy_from_slice(&0u32.wrapping_sub(sum).to_be_bytes());
    let c = run(&Romfs, &img);
    let warnings = c.warnings.lock().unwrap().clone();
    let entries = by_path(c);
    assert_eq!(entries.keys().collect::<Vec<_>>(), ["a", "f", "h"]);
    assert_eq!(file(&entries, "f"), b"hello");
    assert_eq!(entries["f"].meta.mode, Some(0o755));
    assert!(matches!(&entries["h"].kind, CollectedKind::Hardlink(t) if t == "f"));
    assert!(
        warnings.iter().any(|(_, w)| w.contains("loops")),
        "{warnings:?}"
    );
}

// ------------------------------------------------------------------ round trips

/// A Debian tool, or a failure naming the package to install.
fn tool(name: &str, package: &str) -> PathBuf {
    let mut dirs: Vec<PathBuf> = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        .iter()
        .map(PathBuf::from)
        .collect();
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name} not found: install {package} (apt-get install {package})")
        })
}

fn sh(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// What the tree holds at one path.
#[derive(Debug, Clone, PartialEq)]
enum Want {
    Dir,
    File(Vec<u8>),
    Symlink(String),
    /// A hard link of the named path (extracted as a file or as a hard link to it).
    Hardlink(String),
    Char(u32, u32),
}

struct Tree {
    dir: tempfile::TempDir,
    want: BTreeMap<String, (Want, u32)>,
}

/// One tree of real files: text, a binary (this test's own executable, cut), a symlink, a setuid
/// file, an empty file, nested directories, a hard link, a file of zeros (holes) and, as root, a
/// device node and files owned by someone else.
fn tree() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut want = BTreeMap::new();
    let add_dir = |want: &mut BTreeMap<_, _>, p: &str, mode: u32| {
        std::fs::create_dir_all(root.join(p)).unwrap();
        want.insert(p.to_string(), (Want::Dir, mode));
    };
    for (p, m) in [
        ("bin", 0o755),
        ("etc", 0o755),
        ("etc/init.d", 0o755),
        ("usr", 0o755),
        ("usr/bin", 0o755),
        ("deep", 0o755),
        ("deep/a", 0o750),
        ("deep/a/b", 0o755),
        ("deep/a/b/c", 0o700),
    ] {
        add_dir(&mut want, p, m);
    }
    let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    let binary = exe[..exe.len().min(300_001)].to_vec();
    let text: Vec<u8> = (0..700)
        .flat_map(|i| format!("{i}: the quick brown fox jumps over the lazy dog\n").into_bytes())
        .collect();
    let mut zeros = vec![0u8; 3 * 4096 + 100];
    zeros.extend(b"end");
    let files: [(&str, Vec<u8>, u32); 8] = [
        ("etc/shadow", b"root::0:0:99999:7:::\n".to_vec(), 0o600),
        (
            "etc/init.d/rcS",
            b"#!/bin/sh\nmount -a\n/usr/sbin/telnetd -l /bin/sh\n".to_vec(),
            0o755,
        ),
        ("bin/busybox", binary, 0o755),
        ("usr/bin/passwd", b"setuid binary\n".to_vec(), 0o4755),
        ("empty", Vec::new(), 0o644),
        ("text.txt", text, 0o644),
        ("deep/a/b/c/leaf.txt", b"deep\n".to_vec(), 0o640),
        ("zeros.bin", zeros, 0o644),
    ];
    for (p, data, mode) in files {
        std::fs::write(root.join(p), &data).unwrap();
        if is_root() && matches!(p, "etc/init.d/rcS" | "usr/bin/passwd") {
            // Before the mode: chown clears setuid.
            std::os::unix::fs::lchown(root.join(p), Some(1234), Some(55)).unwrap();
        }
        std::fs::set_permissions(root.join(p), std::fs::Permissions::from_mode(mode)).unwrap();
        want.insert(p.to_string(), (Want::File(data), mode));
    }
    std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
    want.insert("bin/sh".into(), (Want::Symlink("busybox".into()), 0o777));
    std::fs::hard_link(root.join("etc/shadow"), root.join("etc/shadow.hard")).unwrap();
    want.insert(
        "etc/shadow.hard".into(),
        (Want::Hardlink("etc/shadow".into()), 0o600),
    );
    for (p, m) in [
        ("bin", 0o755),
        ("etc", 0o755),
        ("deep/a", 0o750),
        ("deep/a/b/c", 0o700),
    ] {
        std::fs::set_permissions(root.join(p), std::fs::Permissions::from_mode(m)).unwrap();
    }
    if is_root() {
        let c = std::ffi::CString::new(
            root.join("etc/console")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .unwrap();
        // SAFETY: a valid NUL-terminated path; makedev/mknod have no other preconditions.
        let rc = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o600, libc::makedev(5, 1)) };
        assert_eq!(rc, 0);
        want.insert("etc/console".into(), (Want::Char(5, 1), 0o600));
    }
    Tree { dir, want }
}

/// What a format keeps of the tree.
struct Keeps {
    name: &'static str,
    /// Mode as extracted from the source mode and file type.
    mode: fn(u32, &Want) -> Option<u32>,
    owners: bool,
    mtime: bool,
    /// Hard links come out as hard links (else as copies).
    hardlinks: bool,
}

fn check_round_trip(tree: &Tree, c: Collector, keeps: &Keeps) {
    let warnings = c.warnings.lock().unwrap().clone();
    assert!(warnings.is_empty(), "{}: {warnings:?}", keeps.name);
    let got = by_path(c);
    let names: Vec<&String> = got.keys().collect();
    let wanted: Vec<&String> = tree.want.keys().collect();
    assert_eq!(names, wanted, "{}", keeps.name);
    for (path, (want, mode)) in &tree.want {
        let e = &got[path];
        let what = format!("{}: {path}", keeps.name);
        match (want, &e.kind) {
            (Want::Dir, CollectedKind::Dir) => {}
            (Want::File(d), CollectedKind::File(g)) => assert!(d == g, "{what}: contents differ"),
            (Want::Symlink(t), CollectedKind::Symlink(g)) => assert_eq!(t, g, "{what}"),
            (Want::Hardlink(t), CollectedKind::Hardlink(g)) if keeps.hardlinks => {
                assert_eq!(t, g, "{what}")
            }
            (Want::Hardlink(t), CollectedKind::File(g)) if !keeps.hardlinks => {
                assert_eq!(file(&got, t), g.as_slice(), "{what}")
            }
            (Want::Char(a, b), CollectedKind::CharDevice(x, y)) => {
                assert_eq!((a, b), (x, y), "{what}")
            }
            (w, g) => panic!("{what}: want {w:?}, got {g:?}"),
        }
        assert_eq!(e.meta.mode, (keeps.mode)(*mode, want), "{what}: mode");
        // Entries made by a device table have no source to compare with.
        let Ok(source) = std::fs::symlink_metadata(tree.dir.path().join(path)) else {
            continue;
        };
        if keeps.owners {
            assert_eq!(e.meta.uid, Some(source.uid()), "{what}: uid");
            assert_eq!(
                e.meta.gid,
                Some(source.gid() & keeps_gid_mask(keeps)),
                "{what}: gid"
            );
        }
        if keeps.mtime && !matches!(want, Want::Dir) {
            assert_eq!(e.meta.mtime, Some(source.mtime()), "{what}: mtime");
        }
    }
}

fn keeps_gid_mask(keeps: &Keeps) -> u32 {
    if keeps.name.starts_with("cramfs") {
        0xff
    } else {
        u32::MAX
    }
}

fn exact_mode(mode: u32, _: &Want) -> Option<u32> {
    Some(mode)
}

fn jffs2_keeps(name: &'static str) -> Keeps {
    Keeps {
        name,
        mode: exact_mode,
        owners: true,
        mtime: true,
        hardlinks: true,
    }
}

#[test]
fn round_trip_mkfs_jffs2() {
    let mkfs = tool("mkfs.jffs2", "mtd-utils");
    let tree = tree();
    let work = tempfile::tempdir().unwrap();
    // A device from a device table too (no root needed).
    let devtable = work.path().join("devtable");
    std::fs::write(
        &devtable,
        "/dev d 755 0 0 - - - - -\n/dev/ttyS c 640 0 5 4 64 0 1 3\n",
    )
    .unwrap();
    let mut tree = tree;
    tree.want.insert("dev".into(), (Want::Dir, 0o755));
    for i in 0..3 {
        tree.want
            .insert(format!("dev/ttyS{i}"), (Want::Char(4, 64 + i), 0o640));
    }
    // Compressors: 0 none, 2 rtime, 6 zlib, 7 lzo (what each image must use).
    for (endian, compression, used) in [
        ("-l", &["-x", "rtime"][..], &[0u8, 6][..]),
        ("-b", &["-x", "rtime"][..], &[0, 6][..]),
        (
            "-l",
            &["-x", "zlib", "-x", "rtime", "-X", "lzo"][..],
            &[0, 7][..],
        ),
        (
            "-b",
            &["-x", "zlib", "-x", "rtime", "-X", "lzo"][..],
            &[0, 7][..],
        ),
        ("-l", &["-x", "zlib"][..], &[0, 2][..]),
        ("-b", &["-m", "none"][..], &[0][..]),
    ] {
        let image = work.path().join("image.jffs2");
        sh(Command::new(&mkfs)
            .arg(endian)
            .args(compression)
            .args(["-e", "0x10000", "-p", "-D"])
            .arg(&devtable)
            .arg("-r")
            .arg(tree.dir.path())
            .arg("-o")
            .arg(&image));
        let data = std::fs::read(&image).unwrap();
        let name = format!("jffs2 {endian} {compression:?}");
        assert_eq!(
            super::jffs2::compressors(&data)
                .into_iter()
                .collect::<Vec<_>>(),
            used,
            "{name}"
        );
        let c = run(&Jffs2, &data);
        // The device table's entries exist only in the image, with the owners it gives.
        for e in c.entries.lock().unwrap().iter() {
            if e.path.starts_with("dev/") {
                assert_eq!((e.meta.uid, e.meta.gid), (Some(0), Some(5)), "{name}");
            }
        }
        check_round_trip(&tree, c, &jffs2_keeps("jffs2"));
    }
}

#[test]
fn round_trip_mkfs_cramfs() {
    let mkfs = tool("mkfs.cramfs", "util-linux");
    let tree = tree();
    let work = tempfile::tempdir().unwrap();
    for args in [
        &["-N", "little"][..],
        &["-N", "big"][..],
        &["-N", "little", "-z"][..],
        &["-N", "big", "-z", "-b", "16384"][..],
        &["-N", "little", "-p"][..],
    ] {
        let image = work.path().join("image.cramfs");
        let _ = std::fs::remove_file(&image);
        sh(Command::new(&mkfs)
            .args(args)
            .arg(tree.dir.path())
            .arg(&image));
        let data = std::fs::read(&image).unwrap();
        assert!(Cramfs.identify(&data).is_some(), "{args:?}");
        let c = run(&Cramfs, &data);
        check_round_trip(
            &tree,
            c,
            &Keeps {
                name: "cramfs",
                mode: exact_mode,
                owners: true,
                mtime: false,
                hardlinks: false,
            },
        );
    }
}

#[test]
fn round_trip_genromfs() {
    let genromfs = tool("genromfs", "genromfs");
    let tree = tree();
    let work = tempfile::tempdir().unwrap();
    let image = work.path().join("image.romfs");
    sh(Command::new(&genromfs)
        .arg("-f")
        .arg(&image)
        .arg("-d")
        .arg(tree.dir.path())
        .args(["-V", "iotassay"]));
    let data = std::fs::read(&image).unwrap();
    let c = run(&Romfs, &data);
    fn romfs_mode(mode: u32, want: &Want) -> Option<u32> {
        Some(match want {
            Want::Symlink(_) => 0o777,
            Want::Char(..) => 0o600,
            _ if mode & 0o111 != 0 => 0o755,
            Want::Dir => 0o644,
            _ => 0o644,
        })
    }
    check_round_trip(
        &tree,
        c,
        &Keeps {
            name: "romfs",
            mode: romfs_mode,
            owners: false,
            mtime: false,
            hardlinks: true,
        },
    );
}

/// A 64 MiB JFFS2 image (and a cramfs) of /usr/lib files, timed and checked file by file (run by
/// hand with `--ignored --nocapture`; `IOTASSAY_KEEP_IMAGE=DIR` keeps the images).
#[test]
#[ignore]
fn jffs2_64mib_timing() {
    let mkfs = tool("mkfs.jffs2", "mtd-utils");
    let work = tempfile::tempdir().unwrap();
    // The image must not be written inside the tree it is made from.
    let src = work.path().join("tree");
    std::fs::create_dir(&src).unwrap();
    let mut total = 0u64;
    let mut stack = vec![PathBuf::from("/usr/lib")];
    'walk: while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if m.is_dir() {
                stack.push(p);
            } else if m.is_file() && m.len() < (4 << 20) {
                let dest = src.join(format!("f{total}"));
                if std::fs::copy(&p, &dest).is_ok() {
                    total += m.len();
                }
                if total > 150 << 20 {
                    break 'walk;
                }
            }
        }
    }
    let jffs2 = work.path().join("big.jffs2");
    sh(Command::new(&mkfs)
        .args(["-l", "-e", "0x10000", "-r"])
        .arg(&src)
        .arg("-o")
        .arg(&jffs2));
    let cramfs = work.path().join("big.cramfs");
    sh(Command::new(tool("mkfs.cramfs", "util-linux"))
        .arg(&src)
        .arg(&cramfs));
    for (format, image) in [(&Jffs2 as &dyn Format, &jffs2), (&Cramfs, &cramfs)] {
        let data = std::fs::read(image).unwrap();
        let started = std::time::Instant::now();
        let c = run(format, &data);
        let elapsed = started.elapsed();
        let entries = c.into_entries();
        eprintln!(
            "{}: {} MiB image, {} files, {} MiB of sources: {elapsed:?}",
            format.name(),
            data.len() >> 20,
            entries.len(),
            total >> 20
        );
        // Every file byte for byte.
        for e in &entries {
            let CollectedKind::File(d) = &e.kind else {
                panic!("{}", e.path);
            };
            assert!(
                *d == std::fs::read(src.join(&e.path)).unwrap(),
                "{}",
                e.path
            );
        }
        if let Some(keep) = std::env::var_os("IOTASSAY_KEEP_IMAGE") {
            // To time other tools on the same image by hand.
            let mut keep = PathBuf::from(keep);
            keep.push(image.file_name().unwrap());
            std::fs::copy(image, keep).unwrap();
        }
    }
}

#[test]
fn cramfs_xip_matches_jffs2_etc() {
    // The same build's /etc as a JFFS2 partition: an independent decoding of the same files.
    let cramfs = by_path(run(
        &Cramfs,
        &corpus_bytes("real/esp32s3-rootfs-xip.cramfs"),
    ));
    let jffs2 = by_path(run(&Jffs2, &corpus_bytes("real/esp32s3-rootfs.jffs2")));
    let mut same = Vec::new();
    let mut differ = Vec::new();
    for (path, e) in &jffs2 {
        if let (CollectedKind::File(j), Some(CollectedKind::File(c))) =
            (&e.kind, cramfs.get(&format!("etc/{path}")).map(|e| &e.kind))
        {
            if j == c {
                same.push(path.clone())
            } else {
                differ.push(path.clone())
            }
        }
    }
    assert!(differ.is_empty(), "{differ:?}");
    assert_eq!(same.len(), 34, "{same:?}");
    assert!(same.contains(&"services".to_string()), "a multi-block file");
}

#[test]
fn engine_unpacks_the_esp32_images() {
    // Through the engine: regions found, files extracted, nothing refused.
    for (image, inner, prefix) in [
        ("real/esp32s3-rootfs.jffs2", "shadow", "root::"),
        ("real/esp32s3-rootfs-xip.cramfs", "etc/shadow", "root::"),
        ("real/esp32s3-rootfs-xip.cramfs", "etc/inetd.conf", "ssh"),
    ] {
        let options = crate::Options {
            keep_data: true,
            ..crate::Options::default()
        };
        let m = crate::unpack_file(&iotassay_testkit::corpus(image), None, &options).unwrap();
        let node = m
            .nodes
            .iter()
            .find(|n| n.inner_path == inner && n.data.is_some())
            .unwrap_or_else(|| panic!("{image}: no {inner}"));
        assert!(
            node.data.as_deref().unwrap().starts_with(prefix.as_bytes()),
            "{image}: {inner}"
        );
        assert!(
            m.warnings
                .iter()
                .all(|w| !w.reason.contains("not implemented")),
            "{image}"
        );
    }
}
