//! UBI images: runs of physical erase blocks (PEBs), each starting with a CRC-protected `UBI#` erase
//! counter header and, when in use, a `UBI!` volume identifier (VID) header that says which logical
//! erase block (LEB) of which volume the PEB holds. Extraction rebuilds every volume from its LEBs
//! (the copy with the highest sequence number wins, as in the kernel's attach) and yields each as a
//! payload named after its volume-table entry, so a UBIFS inside is found and extracted by the
//! engine. Hand-written: the layout is three small fixed headers and no maintained crate reads it
//! from a byte slice. UBIFS itself lives in [`ubifs`].

use std::collections::BTreeMap;

use crate::bytes::{be_u16, be_u32, be_u64, slice};
use crate::format::{Body, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

use crate::bytes::crc32_jam;

mod ubifs;
pub use ubifs::Ubifs;

const EC_LEN: usize = 64;
const LAYOUT_VOLUME: u32 = 0x7fff_efff;
const VTBL_RECORD: usize = 172;
const MAX_VOLUMES: usize = 128;

/// UBI image.
pub struct Ubi;

impl Format for Ubi {
    fn name(&self) -> &'static str {
        "ubi"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(b"UBI#")];
        MAGICS
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        identify(data)
    }
    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        extract(data, out)
    }
}

struct Ec {
    version: u8,
    vid_at: usize,
    data_at: usize,
    image_seq: u32,
}

fn ec_header(data: &[u8]) -> Option<Ec> {
    let head = slice(data, 0, EC_LEN)?;
    if &head[..4] != b"UBI#" || crc32_jam(&head[..60]) != be_u32(head, 60)? {
        return None;
    }
    Some(Ec {
        version: head[4],
        vid_at: usize::try_from(be_u32(head, 16)?).ok()?,
        data_at: usize::try_from(be_u32(head, 20)?).ok()?,
        image_seq: be_u32(head, 24)?,
    })
}

/// A PEB's valid VID header.
struct Vid {
    /// 1 dynamic, 2 static.
    vol_type: u8,
    vol_id: u32,
    lnum: u32,
    /// Bytes of data in this LEB (static volumes only).
    data_size: u32,
    data_pad: u32,
    /// CRC of the LEB's data (static volumes only).
    data_crc: u32,
    sqnum: u64,
}

fn vid_header(peb: &[u8], vid_at: usize) -> Option<Vid> {
    let vid = slice(peb, vid_at, 64)?;
    if &vid[..4] != b"UBI!" || crc32_jam(&vid[..60]) != be_u32(vid, 60)? {
        return None;
    }
    Some(Vid {
        vol_type: vid[5],
        vol_id: be_u32(vid, 8)?,
        lnum: be_u32(vid, 12)?,
        data_size: be_u32(vid, 20)?,
        data_pad: be_u32(vid, 28)?,
        data_crc: be_u32(vid, 32)?,
        sqnum: be_u64(vid, 40)?,
    })
}

/// One valid record of the volume table.
struct VolumeRecord {
    id: u32,
    reserved_pebs: u32,
    name: String,
}

/// Records of the layout volume's table with a valid CRC and reserved PEBs.
fn volume_table(peb: &[u8], data_at: usize) -> Vec<VolumeRecord> {
    let mut records = Vec::new();
    for i in 0..MAX_VOLUMES {
        let Some(rec) = data_at
            .checked_add(i * VTBL_RECORD)
            .and_then(|at| slice(peb, at, VTBL_RECORD))
        else {
            break;
        };
        let reserved_pebs = be_u32(rec, 0).unwrap_or(0);
        let valid = reserved_pebs > 0 && be_u32(rec, 168) == Some(crc32_jam(&rec[..168]));
        if !valid {
            continue;
        }
        let len = usize::from(be_u16(rec, 14).unwrap_or(0)).min(128);
        records.push(VolumeRecord {
            id: i as u32,
            reserved_pebs,
            name: String::from_utf8_lossy(&rec[16..16 + len]).into_owned(),
        });
    }
    records
}

/// The geometry of an image: PEB size and the run of PEBs of the same image.
struct Geometry {
    peb: usize,
    count: usize,
    vid_at: usize,
    data_at: usize,
    image_seq: u32,
}

fn geometry(data: &[u8]) -> Option<Result<Geometry, Ec>> {
    let first = ec_header(data)?;
    if first.version != 1 || first.vid_at < EC_LEN || first.data_at <= first.vid_at {
        return None;
    }
    // The PEB size is the distance to the next erase counter header of the same image.
    let peb = (9..=24)
        .map(|shift| 1usize << shift)
        .filter(|&size| size > first.data_at)
        .find(|&size| {
            data.get(size..)
                .and_then(ec_header)
                .is_some_and(|ec| ec.image_seq == first.image_seq)
        });
    let Some(peb) = peb else {
        return Some(Err(first));
    };
    let count = data
        .chunks_exact(peb)
        .take_while(|block| ec_header(block).is_some_and(|ec| ec.image_seq == first.image_seq))
        .count();
    Some(Ok(Geometry {
        peb,
        count,
        vid_at: first.vid_at,
        data_at: first.data_at,
        image_seq: first.image_seq,
    }))
}

fn identify(data: &[u8]) -> Option<Identified> {
    let g = match geometry(data)? {
        Ok(g) => g,
        Err(first) => {
            return Some(Identified::new(
                None,
                format!(
                    "UBI v1, single erase block seen, VID header at {:#x}, data at {:#x}",
                    first.vid_at, first.data_at
                ),
            ))
        }
    };
    let mut volumes: Vec<u32> = Vec::new();
    let mut names = Vec::new();
    for block in data.chunks_exact(g.peb).take(g.count) {
        let Some(ec) = ec_header(block) else { break };
        if let Some(vid) = vid_header(block, ec.vid_at) {
            if vid.vol_id == LAYOUT_VOLUME && names.is_empty() {
                names = volume_table(block, ec.data_at)
                    .into_iter()
                    .map(|r| r.name)
                    .collect();
            } else if vid.vol_id != LAYOUT_VOLUME
                && !volumes.contains(&vid.vol_id)
                && volumes.len() < MAX_VOLUMES
            {
                volumes.push(vid.vol_id);
            }
        }
    }
    let size = g.count * g.peb;
    let mut description = format!(
        "UBI v1, {} erase blocks of {} bytes, VID header at {:#x}, data at {:#x}, image sequence {:#010x}, {} volumes in use",
        g.count,
        g.peb,
        g.vid_at,
        g.data_at,
        g.image_seq,
        volumes.len()
    );
    if !names.is_empty() {
        let quoted: Vec<String> = names
            .iter()
            .map(|n| format!("\"{}\"", n.escape_default()))
            .collect();
        description.push_str(&format!(" ({})", quoted.join(", ")));
    }
    Some(Identified::new(Some(size as u64), description))
}

/// Where one LEB's data lives, and how much of it counts.
struct Leb {
    sqnum: u64,
    start: usize,
    len: usize,
}

/// One volume being assembled.
#[derive(Default)]
struct Volume {
    static_volume: bool,
    lebs: BTreeMap<u32, Leb>,
}

fn extract(data: &[u8], out: &dyn Emit) -> Result<(), Error> {
    let g = match geometry(data) {
        Some(Ok(g)) => g,
        // A lone erase block (a truncated image): its size, hence the volume layout, is unknown.
        Some(Err(_)) => {
            return Err(Error::malformed(
                0,
                "a single UBI erase block: the erase block size cannot be known",
            ))
        }
        None => return Err(Error::malformed(0, "no valid UBI erase counter header")),
    };
    let mut table: Option<Vec<VolumeRecord>> = None;
    let mut volumes: BTreeMap<u32, Volume> = BTreeMap::new();
    for (index, block) in data.chunks_exact(g.peb).take(g.count).enumerate() {
        let base = (index * g.peb) as u64;
        let Some(ec) = ec_header(block) else { continue };
        if ec.data_at >= g.peb || ec.vid_at >= ec.data_at {
            out.warn(
                base,
                "erase counter header with offsets outside the erase block".into(),
            );
            continue;
        }
        let Some(vid) = vid_header(block, ec.vid_at) else {
            if block.get(ec.vid_at..ec.vid_at + 4) == Some(b"UBI!") {
                out.warn(base + ec.vid_at as u64, "VID header with a bad CRC".into());
            }
            continue;
        };
        if vid.vol_id == LAYOUT_VOLUME {
            if table.is_none() {
                table = Some(volume_table(block, ec.data_at));
            }
            continue;
        }
        if vid.vol_id as usize >= MAX_VOLUMES {
            out.warn(base, format!("volume id {} out of range", vid.vol_id));
            continue;
        }
        let room = g.peb - ec.data_at;
        let static_volume = vid.vol_type == 2;
        let len = if static_volume {
            (vid.data_size as usize).min(room)
        } else {
            room.saturating_sub(vid.data_pad as usize)
        };
        let start = index * g.peb + ec.data_at;
        if static_volume && crc32_jam(&data[start..start + len]) != vid.data_crc {
            out.warn(
                base + ec.data_at as u64,
                format!("volume {} LEB {}: data CRC mismatch", vid.vol_id, vid.lnum),
            );
        }
        let volume = volumes.entry(vid.vol_id).or_default();
        volume.static_volume |= static_volume;
        let leb = Leb {
            sqnum: vid.sqnum,
            start,
            len,
        };
        match volume.lebs.get(&vid.lnum) {
            Some(old) if old.sqnum >= leb.sqnum => {}
            _ => {
                volume.lebs.insert(vid.lnum, leb);
            }
        }
    }
    let table = table.unwrap_or_default();
    if table.is_empty() {
        out.warn(
            0,
            "no valid UBI volume table: volumes are named by id".into(),
        );
    }
    for (id, volume) in &volumes {
        let record = table.iter().find(|r| r.id == *id);
        let name = record
            .map(|r| r.name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("volume_{id}"));
        // A dynamic volume's LEBs all have the same size; unmapped ones read as erased flash.
        let leb_size = volume.lebs.values().map(|l| l.len).max().unwrap_or(0);
        let limit = record.map_or(g.count as u64, |r| u64::from(r.reserved_pebs));
        let mut content: Vec<u8> = Vec::new();
        for (&lnum, leb) in &volume.lebs {
            if u64::from(lnum) >= limit {
                out.warn(
                    leb.start as u64,
                    format!("volume {name}: LEB {lnum} beyond its {limit} reserved erase blocks"),
                );
                continue;
            }
            if !volume.static_volume {
                let at = (lnum as u64).saturating_mul(leb_size as u64);
                if at.saturating_add(leb_size as u64) > out.budget() {
                    return Err(Error::Budget(format!(
                        "UBI volume {name} is larger than the remaining budget"
                    )));
                }
                content.resize(at as usize, 0xff);
            }
            content.extend_from_slice(&data[leb.start..leb.start + leb.len]);
        }
        out.entry(Entry {
            path: name.as_bytes(),
            meta: Meta::default(),
            body: Body::payload(&content),
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use crate::formats::flashfs::test_util::{hostile_extract, noise, only};
    use crate::testing::{Collected, CollectedKind, Collector};
    use std::collections::BTreeMap;

    const TESTFILE1: &[u8] = b"test file:\ncontent: MyTestRule 1.2.3\nVersion: Program 0.0.0.0\n";
    const TESTFILE2: &[u8] = b"This is the second test file";
    const TESTFILE3: &[u8] = b"The third test file!";

    fn by_path(c: Collector) -> BTreeMap<String, Collected> {
        c.into_entries()
            .into_iter()
            .map(|e| (e.path.clone(), e))
            .collect()
    }

    /// The three files every fact_extractor fixture holds.
    fn assert_test_files(entries: &BTreeMap<String, Collected>) {
        let names: Vec<_> = entries.keys().cloned().collect();
        assert_eq!(
            names,
            [
                "generic folder",
                "generic folder/test file 3_.txt",
                "testfile1",
                "testfile2"
            ]
        );
        let file = |p: &str| match &entries[p].kind {
            CollectedKind::File(d) => d.clone(),
            k => panic!("{p} is {k:?}"),
        };
        assert_eq!(file("testfile1"), TESTFILE1);
        assert_eq!(file("testfile2"), TESTFILE2);
        assert_eq!(file("generic folder/test file 3_.txt"), TESTFILE3);
        assert_eq!(entries["generic folder"].kind, CollectedKind::Dir);
        let m = entries["testfile1"].meta;
        assert_eq!(
            (m.mode, m.uid, m.gid),
            (Some(0o644), Some(1000), Some(1000))
        );
        assert_eq!(entries["generic folder"].meta.mode, Some(0o755));
    }

    #[test]
    fn ubi_extracts_its_volume_and_the_ubifs_inside() {
        let data = corpus_bytes("formats/ubi__ubi.img");
        let (c, r) = Collector::run(&Ubi, &data, 64 << 20).unwrap();
        assert_eq!(r, Ok(()));
        assert_eq!(c.paths(), ["rootfs"]);
        let volume = c.file("rootfs").unwrap();
        let id = Ubifs.identify(&volume).expect("a UBIFS in the volume");
        let (c, r) = Collector::run(&Ubifs, &volume, 64 << 20).unwrap();
        assert_eq!(r, Ok(()), "{}", id.description);
        assert!(
            c.warnings.lock().unwrap().is_empty(),
            "{:?}",
            c.warnings.lock().unwrap()
        );
        let entries = by_path(c);
        assert_test_files(&entries);
    }

    #[test]
    fn ubifs_fixture_yields_the_test_files() {
        let data = corpus_bytes("formats/ubi__test.ubifs");
        let (c, r) = Collector::run(&Ubifs, &data, 64 << 20).unwrap();
        assert_eq!(r, Ok(()));
        assert!(
            c.warnings.lock().unwrap().is_empty(),
            "{:?}",
            c.warnings.lock().unwrap()
        );
        let entries = by_path(c);
        assert_test_files(&entries);
    }
    use iotassay_testkit::corpus_bytes;

    #[test]
    fn ubi_fixture() {
        let data = corpus_bytes("formats/ubi__ubi.img");
        let id = Ubi.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(data.len() as u64), "{}", id.description);
        assert!(
            id.description.contains("1904 erase blocks of 1024 bytes")
                && id.description.ends_with("1 volumes in use (\"rootfs\")"),
            "{}",
            id.description
        );
        only(&Ubi, &data);
        // Cut in the middle of a PEB: the extent stops at the last whole PEB.
        let id = Ubi.identify(&data[..10 * 1024 + 100]).unwrap();
        assert_eq!(id.size, Some(10 * 1024));
    }

    #[test]
    fn ubifs_fixture() {
        let data = corpus_bytes("formats/ubi__test.ubifs");
        let id = Ubifs.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(13 * 131_072));
        assert!(
            id.description.contains("13 LEBs of 131072 bytes"),
            "{}",
            id.description
        );
        only(&Ubifs, &data);
    }

    fn tool(name: &str) -> std::process::Command {
        let found = std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path)
                .chain(["/usr/sbin".into(), "/sbin".into()])
                .any(|dir| dir.join(name).is_file())
        });
        assert!(found, "{name} not found: install mtd-utils");
        std::process::Command::new(name)
    }

    fn check(cmd: &mut std::process::Command) {
        let out = cmd.output().expect("runs");
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Build a tree, make a UBIFS of it with mkfs.ubifs (each compressor), wrap it with a static
    /// volume in a UBI image with ubinize, and read everything back exactly.
    #[test]
    fn round_trip_through_mtd_utils() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("etc/init.d")).unwrap();
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::create_dir_all(root.join("dev")).unwrap();
        std::fs::write(root.join("etc/passwd"), b"root:x:0:0:root:/root:/bin/sh\n").unwrap();
        // Several blocks, one a hole-like run of zeros, one incompressible.
        let mut big = noise(9000, 7);
        big.extend(std::iter::repeat_n(0u8, 5000));
        big.extend(b"tail".repeat(3000));
        std::fs::write(root.join("bin/busybox"), &big).unwrap();
        std::fs::set_permissions(
            root.join("bin/busybox"),
            std::fs::Permissions::from_mode(0o4755),
        )
        .unwrap();
        std::fs::write(root.join("etc/init.d/rcS"), b"#!/bin/sh\ntelnetd\n").unwrap();
        std::fs::set_permissions(
            root.join("etc/init.d/rcS"),
            std::fs::Permissions::from_mode(0o750),
        )
        .unwrap();
        std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
        std::os::unix::fs::symlink("/proc/mounts", root.join("etc/mtab")).unwrap();
        std::fs::hard_link(root.join("bin/busybox"), root.join("bin/ls")).unwrap();
        std::fs::write(root.join("empty"), b"").unwrap();
        // Large enough to be streamed in several chunks.
        let mut huge = noise(700_000, 11);
        huge[100_000..400_000].fill(0);
        std::fs::write(root.join("bin/huge"), &huge).unwrap();
        // Owners, setuid and device nodes through a device table, so no root is needed.
        let table = dir.path().join("devtable");
        std::fs::write(
            &table,
            "/etc/passwd f 600 12 34 - - - - -\n\
             /dev/console c 600 0 5 5 1 - - -\n/dev/mtdblock0 b 640 0 6 31 0 - - -\n",
        )
        .unwrap();
        let kernel = noise(300_000, 9);
        std::fs::write(dir.path().join("kernel.bin"), &kernel).unwrap();
        for compr in ["none", "lzo", "zlib"] {
            let fs = dir.path().join(format!("{compr}.ubifs"));
            check(
                tool("mkfs.ubifs")
                    .args(["-m", "2048", "-e", "126976", "-c", "64", "-x", compr])
                    .arg("-r")
                    .arg(&root)
                    .arg("-D")
                    .arg(&table)
                    .arg("-o")
                    .arg(&fs),
            );
            let ini = dir.path().join("ubi.ini");
            std::fs::write(
                &ini,
                format!(
                    "[rootfs]\nmode=ubi\nimage={}\nvol_id=0\nvol_type=dynamic\nvol_name=rootfs\nvol_size=8MiB\n\
                     [kernel]\nmode=ubi\nimage={}\nvol_id=3\nvol_type=static\nvol_name=kernel\n",
                    fs.display(),
                    dir.path().join("kernel.bin").display()
                ),
            )
            .unwrap();
            let image = dir.path().join("ubi.img");
            check(
                tool("ubinize")
                    .args(["-p", "128KiB", "-m", "2048", "-o"])
                    .arg(&image)
                    .arg(&ini),
            );
            let data = std::fs::read(&image).unwrap();
            let (c, r) = Collector::run(&Ubi, &data, 256 << 20).unwrap();
            assert_eq!(r, Ok(()), "{compr}");
            assert!(
                c.warnings.lock().unwrap().is_empty(),
                "{compr}: {:?}",
                c.warnings.lock().unwrap()
            );
            assert_eq!(c.paths(), ["rootfs", "kernel"], "{compr}");
            assert_eq!(c.file("kernel").unwrap(), kernel, "{compr}");
            if compr == "none" {
                // A second copy of the kernel's LEB 1 (as wear levelling leaves behind), newer
                // and with other data, appended as one more PEB: the newer copy wins.
                let peb = 128 << 10;
                let vid_at = be_u32(&data, 16).unwrap() as usize;
                let data_at = be_u32(&data, 20).unwrap() as usize;
                let index = data
                    .chunks_exact(peb)
                    .position(|b| {
                        be_u32(b, vid_at + 8) == Some(3) && be_u32(b, vid_at + 12) == Some(1)
                    })
                    .unwrap();
                let mut copy = data[index * peb..(index + 1) * peb].to_vec();
                let sqnum = be_u64(&copy, vid_at + 40).unwrap() + 1000;
                copy[vid_at + 40..vid_at + 48].copy_from_slice(&sqnum.to_be_bytes());
                let crc = crc32_jam(&copy[vid_at..vid_at + 60]);
                copy[vid_at + 60..vid_at + 64].copy_from_slice(&crc.to_be_bytes());
                copy[data_at..data_at + 5].copy_from_slice(b"NEWER");
                let mut newer = data.clone();
                newer.extend(copy);
                let (c, r) = Collector::run(&Ubi, &newer, 256 << 20).unwrap();
                assert_eq!(r, Ok(()));
                let got = c.file("kernel").unwrap();
                let leb_size = peb - data_at;
                assert_eq!(&got[leb_size..leb_size + 5], b"NEWER");
                assert_eq!(got[..leb_size], kernel[..leb_size]);
                assert_eq!(got[leb_size + 5..], kernel[leb_size + 5..]);
                let warnings = c.warnings.lock().unwrap();
                assert!(
                    warnings.len() == 1 && warnings[0].1.contains("data CRC mismatch"),
                    "{warnings:?}"
                );
            }
            let volume = c.file("rootfs").unwrap();
            let standalone = std::fs::read(&fs).unwrap();
            assert_eq!(volume[..standalone.len()], standalone[..], "{compr}");
            let (c, r) = Collector::run(&Ubifs, &volume, 256 << 20).unwrap();
            assert_eq!(r, Ok(()), "{compr}");
            assert!(
                c.warnings.lock().unwrap().is_empty(),
                "{compr}: {:?}",
                c.warnings.lock().unwrap()
            );
            let e = by_path(c);
            let file = |p: &str| match &e[p].kind {
                CollectedKind::File(d) => d.clone(),
                k => panic!("{compr}: {p} is {k:?}"),
            };
            assert_eq!(file("bin/busybox"), big, "{compr}");
            assert_eq!(
                file("etc/passwd"),
                b"root:x:0:0:root:/root:/bin/sh\n",
                "{compr}"
            );
            assert_eq!(file("empty"), b"", "{compr}");
            assert!(file("bin/huge") == huge, "{compr}");
            assert_eq!(e["bin/sh"].kind, CollectedKind::Symlink("busybox".into()));
            assert_eq!(
                e["etc/mtab"].kind,
                CollectedKind::Symlink("/proc/mounts".into())
            );
            assert_eq!(
                e["bin/ls"].kind,
                CollectedKind::Hardlink("bin/busybox".into())
            );
            assert_eq!(e["dev/console"].kind, CollectedKind::CharDevice(5, 1));
            assert_eq!(e["dev/mtdblock0"].kind, CollectedKind::BlockDevice(31, 0));
            assert_eq!(e["dev/console"].meta.gid, Some(5));
            assert_eq!(e["bin/busybox"].meta.mode, Some(0o4755));
            let m = e["etc/passwd"].meta;
            assert_eq!((m.mode, m.uid, m.gid), (Some(0o600), Some(12), Some(34)));
            assert_eq!(e["etc/init.d/rcS"].meta.mode, Some(0o750));
            assert_eq!(e["etc/init.d"].kind, CollectedKind::Dir);
            let mtime = std::fs::metadata(root.join("etc/passwd"))
                .unwrap()
                .modified()
                .unwrap();
            let mtime = mtime
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            assert_eq!(m.mtime, Some(mtime));
        }
    }

    /// A UBIFS node: common header (magic, CRC, sequence number, length, type) and body.
    fn ubifs_node(kind: u8, sqnum: u64, body: &[u8]) -> Vec<u8> {
        let mut n = vec![0u8; 24];
        n[..4].copy_from_slice(&0x0610_1831u32.to_le_bytes());
        n[8..16].copy_from_slice(&sqnum.to_le_bytes());
        n[16..20].copy_from_slice(&((24 + body.len()) as u32).to_le_bytes());
        n[20] = kind;
        n.extend_from_slice(body);
        let crc = crc32_jam(&n[8..]);
        n[4..8].copy_from_slice(&crc.to_le_bytes());
        n
    }

    fn key(inum: u32, kind: u32, value: u32) -> Vec<u8> {
        let mut k = inum.to_le_bytes().to_vec();
        k.extend_from_slice(&(kind << 29 | value).to_le_bytes());
        k.resize(16, 0);
        k
    }

    fn dent(parent: u32, hash: u32, inum: u64, name: &str) -> Vec<u8> {
        let mut b = key(parent, 2, hash);
        b.extend_from_slice(&inum.to_le_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&(name.len() as u16).to_le_bytes());
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(name.as_bytes());
        b.push(0);
        b
    }

    fn inode(inum: u32, size: u64, mode: u32) -> Vec<u8> {
        let mut b = key(inum, 0, 0);
        b.resize(136, 0);
        b[24..32].copy_from_slice(&size.to_le_bytes());
        b[68..72].copy_from_slice(&1u32.to_le_bytes()); // nlink
        b[80..84].copy_from_slice(&mode.to_le_bytes());
        b
    }

    /// Writes after the last commit live only in the journal: a reference node in the log names
    /// a bud LEB whose nodes create one file and create-then-delete another.
    #[test]
    fn uncommitted_journal_is_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("old.txt"), b"committed").unwrap();
        let fs = dir.path().join("fs.ubifs");
        check(
            tool("mkfs.ubifs")
                .args(["-m", "2048", "-e", "126976", "-c", "64", "-x", "none", "-r"])
                .arg(&root)
                .arg("-o")
                .arg(&fs),
        );
        let mut data = std::fs::read(&fs).unwrap();
        let leb = 126_976usize;
        let leb_cnt = u32::from_le_bytes(data[40..44].try_into().unwrap());
        data.resize(leb_cnt as usize * leb, 0xff);
        // One more LEB for the bud; the superblock says so (with its CRC redone).
        data.extend(std::iter::repeat_n(0xffu8, leb));
        data[40..44].copy_from_slice(&(leb_cnt + 1).to_le_bytes());
        let sb_len = u32::from_le_bytes(data[16..20].try_into().unwrap()) as usize;
        let crc = crc32_jam(&data[8..sb_len]);
        data[4..8].copy_from_slice(&crc.to_le_bytes());
        let master = &data[leb..2 * leb];
        let highest = u32::from_le_bytes(master[24..28].try_into().unwrap());
        let log_lnum = u32::from_le_bytes(master[44..48].try_into().unwrap()) as usize;
        let cs_len =
            u32::from_le_bytes(data[log_lnum * leb + 16..][..4].try_into().unwrap()) as usize;
        assert_eq!(
            data[log_lnum * leb + 20],
            10,
            "the log starts with a commit start node"
        );
        let mut sq = 1u64 << 40;
        let mut next = || {
            sq += 1;
            sq
        };
        let mut body = leb_cnt.to_le_bytes().to_vec(); // bud LEB
        body.extend_from_slice(&[0; 8]); // offset 0, journal head 0
        body.resize(40, 0);
        let reference = ubifs_node(8, next(), &body);
        let at = log_lnum * leb + cs_len.div_ceil(8) * 8;
        data[at..at + reference.len()].copy_from_slice(&reference);
        let (fresh, gone) = (highest + 1, highest + 2);
        let mut data_body = key(fresh, 1, 0);
        data_body.extend_from_slice(&6u32.to_le_bytes());
        data_body.extend_from_slice(&[0; 4]);
        data_body.extend_from_slice(b"fresh\n");
        let bud = [
            ubifs_node(0, next(), &inode(fresh, 6, 0o100640)),
            ubifs_node(1, next(), &data_body),
            ubifs_node(2, next(), &dent(1, 0x1234, u64::from(fresh), "fresh.txt")),
            ubifs_node(0, next(), &inode(gone, 0, 0o100644)),
            ubifs_node(2, next(), &dent(1, 0x999, u64::from(gone), "gone.txt")),
            ubifs_node(2, next(), &dent(1, 0x999, 0, "gone.txt")),
        ];
        let mut at = leb_cnt as usize * leb;
        for n in bud {
            data[at..at + n.len()].copy_from_slice(&n);
            at += n.len().div_ceil(8) * 8;
        }
        let (c, r) = Collector::run(&Ubifs, &data, 64 << 20).unwrap();
        assert_eq!(r, Ok(()));
        assert!(
            c.warnings.lock().unwrap().is_empty(),
            "{:?}",
            c.warnings.lock().unwrap()
        );
        let e = by_path(c);
        assert_eq!(e.keys().collect::<Vec<_>>(), ["fresh.txt", "old.txt"]);
        assert_eq!(
            e["fresh.txt"].kind,
            CollectedKind::File(b"fresh\n".to_vec())
        );
        assert_eq!(e["fresh.txt"].meta.mode, Some(0o640));
        assert_eq!(
            e["old.txt"].kind,
            CollectedKind::File(b"committed".to_vec())
        );
    }

    #[test]
    fn hostile_inputs() {
        let ubi = corpus_bytes("formats/ubi__ubi.img");
        hostile_extract(&Ubi, &ubi[..64 << 10]);
        hostile_extract(&Ubifs, &corpus_bytes("formats/ubi__test.ubifs"));
        let mut junk = noise(8192, 4);
        junk[..4].copy_from_slice(b"UBI#");
        assert!(Ubi.identify(&junk).is_none());
        junk[..4].copy_from_slice(&[0x31, 0x18, 0x10, 0x06]);
        junk[20] = 6;
        assert!(Ubifs.identify(&junk).is_none());
    }
}
