//! Personal data (UK CoP guidelines 8 and 11; EN 303 645 5.8-2, 5.8-3, 5.11-1).
//!
//! What the firmware shows about sensing and erasing data, as facts (Info):
//! - sensing capabilities — camera (V4L2 `videodev`, `uvcvideo`, `gspca*`, `/dev/video*`, camera
//!   streaming daemons), audio capture (ALSA `snd-*` modules and `/dev/snd`, `/dev/dsp`; these may
//!   only play sound), location (`gpsd`, GNSS modules): 5.8-3 asks that they be documented. A
//!   device node alone is no evidence (an SDK's `makedevs` device table creates `/dev/video0` on
//!   boards without a camera): it counts with a driver or program of its kind, or with a file that
//!   names it (a program opening `/dev/video%d`), which is then cited;
//! - a factory-reset path (OpenWrt `firstboot`/`jffs2reset`, the reset-button handler, `mtd erase`
//!   of the data partition, vendor reset scripts and pages): 5.11-1 asks for a simple way to erase
//!   user data. Its absence is reported as Info too: the reset may live in a binary or in the
//!   boot loader, and the declaration can cover it.

use std::collections::BTreeMap;

use iotassay_inventory::Evidence;
use iotassay_unpack::NodeKind;

use crate::filescan::{self, excerpt_around, is_comment, lines, short_list, Content, MAX_EVIDENCE};
use crate::updates::is_web_or_doc;
use crate::{Check, Context, Finding, Severity};

/// Sensing capabilities and their indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Sense {
    Camera,
    Audio,
    Location,
}

impl Sense {
    fn label(self) -> &'static str {
        match self {
            Sense::Camera => "camera (video capture)",
            Sense::Audio => "audio (ALSA/OSS sound: microphone capture possible)",
            Sense::Location => "location (GPS/GNSS)",
        }
    }
}

/// What a file name tells about sensing, if anything.
fn sense_of_file(name: &str) -> Option<(Sense, &'static str)> {
    let module = name.strip_suffix(".ko").map(|m| m.replace('_', "-"));
    if let Some(m) = module.as_deref() {
        if m == "videodev"
            || m == "uvcvideo"
            || m.starts_with("gspca")
            || m.starts_with("v4l2-")
            || m == "videobuf2-core"
            || m.contains("sensor")
                && (m.starts_with("ov") || m.starts_with("imx") || m.starts_with("sc"))
        {
            return Some((Sense::Camera, "video capture kernel module"));
        }
        if m.starts_with("snd-") || m == "soundcore" {
            return Some((Sense::Audio, "sound kernel module"));
        }
        if m.starts_with("gnss") || m == "gps" {
            return Some((Sense::Location, "GNSS kernel module"));
        }
        return None;
    }
    match name {
        "gpsd" | "gpsctl" | "gpspipe" => Some((Sense::Location, "GPS daemon or tool")),
        "mjpg_streamer" | "v4l2rtspserver" | "uvc_stream" | "ustreamer" | "motion"
        | "rtsp_server" | "ipcam" | "camerad" | "camera_daemon" | "anyka_ipc" => {
            Some((Sense::Camera, "camera streaming program"))
        }
        "arecord" | "alsa-capture" => Some((Sense::Audio, "audio capture tool")),
        _ => None,
    }
}

/// What a device node tells about sensing.
fn sense_of_device(path: &str) -> Option<(Sense, &'static str)> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.starts_with("video") {
        Some((Sense::Camera, "video capture device node"))
    } else if path.starts_with("dev/snd/") && name.starts_with("pcm") && name.ends_with('c') {
        Some((Sense::Audio, "ALSA capture device node"))
    } else if name == "dsp" || name == "audio" {
        Some((Sense::Audio, "OSS sound device node"))
    } else if name.starts_with("gps") || name.starts_with("gnss") {
        Some((Sense::Location, "GNSS device node"))
    } else {
        None
    }
}

/// Files bigger than this are not searched for a device node's path.
const MAX_USER_SCAN: usize = 32 << 20;

/// What a program that opens a device node names: `/dev/video` for `dev/video0`, `/dev/snd/` for
/// ALSA's nodes (named by pattern, `/dev/snd/pcmC%iD%ic`).
fn device_needle(path: &str) -> String {
    if path.starts_with("dev/snd/") {
        return "/dev/snd/".into();
    }
    format!("/{}", path.trim_end_matches(|c: char| c.is_ascii_digit()))
}

/// Camera, microphone and location capabilities (Info).
pub struct Sensing;

impl Check for Sensing {
    fn id(&self) -> &'static str {
        "privacy.sensing"
    }
    fn title(&self) -> &'static str {
        "Sensing capabilities: camera, microphone, location"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.8-2", "5.8-3"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut seen: BTreeMap<Sense, Vec<Evidence>> = BTreeMap::new();
        // Device nodes, kept only when something drives or opens them: an SDK's device table
        // (`makedevs`) creates /dev/video0 on boards that have no camera at all.
        let mut nodes: Vec<(Sense, Evidence, String)> = Vec::new();
        for root in cx.tree.roots() {
            for f in root.files() {
                let name = f.path.rsplit('/').next().unwrap_or(f.path);
                let hit = match f.node.kind {
                    NodeKind::CharDevice if f.path.starts_with("dev/") => {
                        if let Some((sense, what)) = sense_of_device(f.path) {
                            if nodes.len() < MAX_EVIDENCE {
                                let ev = root.evidence(f.path, None, None, Some(what.to_string()));
                                nodes.push((sense, ev, device_needle(f.path)));
                            }
                        }
                        None
                    }
                    NodeKind::File | NodeKind::Payload | NodeKind::Symlink => sense_of_file(name),
                    _ => None,
                };
                if let Some((sense, what)) = hit {
                    let list = seen.entry(sense).or_default();
                    if list.len() < MAX_EVIDENCE {
                        list.push(root.evidence(f.path, None, None, Some(what.to_string())));
                    }
                }
            }
        }
        // A node counts with a driver or program of its kind, or with a file that names it.
        let unsupported: Vec<String> = {
            let mut n: Vec<String> = nodes
                .iter()
                .filter(|(sense, _, _)| !seen.contains_key(sense))
                .map(|(_, _, needle)| needle.clone())
                .collect();
            n.sort();
            n.dedup();
            n
        };
        let users: Vec<(String, Evidence)> = if unsupported.is_empty() {
            Vec::new()
        } else {
            let files = filescan::root_files(cx);
            filescan::par_scan(&files, |f| {
                if f.path.starts_with("dev/") || f.data.len() > MAX_USER_SCAN {
                    return Vec::new();
                }
                unsupported
                    .iter()
                    .filter_map(|needle| {
                        let (offset, text) = filescan::strings_around(f.data, needle.as_bytes(), 4)
                            .into_iter()
                            .next()?;
                        let ev = if filescan::is_text(f.data) {
                            let line = f.data[..offset as usize]
                                .iter()
                                .filter(|&&b| b == b'\n')
                                .count();
                            f.evidence(Some(line + 1), None, &text)
                        } else {
                            f.evidence(None, Some(offset), &text)
                        };
                        Some((needle.clone(), ev))
                    })
                    .collect()
            })
        };
        for (sense, ev, needle) in nodes {
            let driven = seen.contains_key(&sense);
            let user = users.iter().find(|(n, _)| *n == needle).map(|(_, e)| e);
            if !driven && user.is_none() {
                continue;
            }
            let list = seen.entry(sense).or_default();
            if list.len() + 2 <= MAX_EVIDENCE {
                list.push(ev);
                if let Some(u) = user {
                    if !list.contains(u) {
                        list.push(u.clone());
                    }
                }
            }
        }
        seen.into_iter()
            .map(|(sense, evidence)| {
                let names: Vec<String> = evidence.iter().map(|e| e.path.clone()).collect();
                let mut f = Finding::new(
                    self.id(),
                    &["5.8-2", "5.8-3"],
                    Severity::Info,
                    format!(
                        "Sensing capability in the firmware: {} ({})",
                        sense.label(),
                        short_list(&names, 3)
                    ),
                    "The firmware can drive this kind of sensor. 5.8-3 requires external sensing \
                     capabilities to be documented for users, and 5.8-2 requires sensitive \
                     personal data such as camera streams or location to be protected in \
                     transit.",
                    "Document the sensor in the user documentation and the declaration; remove \
                     the driver if the product has no such sensor; encrypt its data in transit.",
                );
                for e in evidence {
                    f = f.with_evidence(e);
                }
                f
            })
            .collect()
    }
}

/// Script commands that erase user data or restore defaults.
const RESET_COMMANDS: &[(&str, &str)] = &[
    ("jffs2reset", "erases the overlay (OpenWrt factory reset)"),
    (
        "mtd erase rootfs_data",
        "erases the writable data partition",
    ),
    (
        "mtd -r erase rootfs_data",
        "erases the writable data partition",
    ),
    ("flash_erase", "erases a flash partition"),
    ("nvram erase", "erases the NVRAM settings"),
    ("nvram restore_default", "restores the default settings"),
    ("restore_default", "restores the default settings"),
    ("factory_reset", "factory reset"),
    ("factoryreset", "factory reset"),
    ("factory reset", "factory reset"),
];

/// Phrases of a web page that restores factory defaults.
const RESET_PAGE_PHRASES: &[&str] = &[
    "factory default",
    "factory reset",
    "restore default",
    "reset to default",
    "restore factory default",
    "reset to factory",
];

/// A factory-reset path (Info when present; Info when none is found).
pub struct FactoryReset;

impl Check for FactoryReset {
    fn id(&self) -> &'static str {
        "privacy.factory_reset"
    }
    fn title(&self) -> &'static str {
        "Factory reset (erasing user data)"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.11-1"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut evidence: Vec<Evidence> = Vec::new();
        for root in cx.tree.roots() {
            for (path, what) in [
                ("sbin/firstboot", "OpenWrt factory-reset command"),
                ("sbin/jffs2reset", "erases the JFFS2/overlay data partition"),
                ("etc/rc.button/reset", "reset-button handler"),
            ] {
                if root.get(path).is_some() {
                    evidence.push(root.evidence(path, None, None, Some(what.into())));
                }
            }
        }
        // Scripts that call a reset command; vendor pages restoring defaults.
        let files: Vec<Content<'_, '_>> = filescan::text_files(cx);
        let mut hits: Vec<Evidence> = filescan::par_scan(&files, |f| {
            let lower_path = f.path.to_ascii_lowercase();
            if filescan::is_web_page(f.path) {
                return filescan::find_phrase(f.data, RESET_PAGE_PHRASES)
                    .map(|(n, l, at)| vec![f.evidence(Some(n), None, &excerpt_around(&l, at))])
                    .unwrap_or_default();
            }
            if is_web_or_doc(f.path) {
                return Vec::new();
            }
            if !f.data.starts_with(b"#!") && !lower_path.starts_with("etc/") {
                return Vec::new();
            }
            lines(f.data)
                .filter(|(_, l)| !is_comment(l))
                .filter_map(|(n, l)| {
                    let lower = l.to_ascii_lowercase();
                    let (cmd, _) = RESET_COMMANDS.iter().find(|(c, _)| {
                        lower.match_indices(c).any(|(i, _)| {
                            let before = lower[..i].chars().next_back();
                            let after = lower[i + c.len()..].chars().next();
                            !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                                && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                        })
                    })?;
                    let _ = cmd;
                    Some(f.evidence(Some(n), None, &l))
                })
                .take(5)
                .collect()
        });
        // Files named for a reset first (stable: the scan keeps file order otherwise).
        let named = |e: &Evidence| {
            let name = e.path.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
            !["default", "factory", "reset"]
                .iter()
                .any(|w| name.contains(w))
        };
        hits.sort_by_key(|e| named(e));
        hits.truncate(MAX_EVIDENCE);
        evidence.extend(hits);
        if evidence.is_empty() {
            if cx.tree.roots().is_empty() {
                return Vec::new();
            }
            return vec![Finding::new(
                self.id(),
                &["5.11-1"],
                Severity::Info,
                "No factory-reset mechanism found in the firmware",
                "No reset command (firstboot, jffs2reset, mtd erase of the data partition, NVRAM \
                 erase), reset-button handler, reset script or restore-defaults page was found. \
                 A reset may still be implemented inside a vendor binary or the boot loader; the \
                 manufacturer's declaration can describe it.",
                "Provide a simple factory reset that erases all user data and credentials \
                 (button and app/web), and describe it in the user documentation.",
            )];
        }
        let mut paths: Vec<String> = evidence.iter().map(|e| e.path.clone()).collect();
        paths.dedup();
        let mut f = Finding::new(
            self.id(),
            &["5.11-1"],
            Severity::Info,
            format!("Factory reset present: {}", short_list(&paths, 3)),
            "The firmware carries a way to erase user data and restore defaults; whether it \
             erases everything (including data held by associated services) needs the \
             declaration or a test on the device.",
            "Nothing to fix: make sure the reset erases all personal data and credentials, and \
             document it for users.",
        );
        for e in evidence.into_iter().take(MAX_EVIDENCE) {
            f = f.with_evidence(e);
        }
        vec![f]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filescan::fixtures::{run, run_on, OPENWRT12, OPENWRT15, TPLINK};
    use iotassay_inventory::testing::{unix_root, ManifestBuilder};

    #[test]
    fn openwrt_factory_reset_is_found() {
        for image in [&*OPENWRT15, &*OPENWRT12] {
            let f = run(&FactoryReset, image);
            assert_eq!(f.len(), 1);
            assert_eq!(f[0].severity, Severity::Info);
            assert!(
                f[0].title.starts_with("Factory reset present"),
                "{}",
                f[0].title
            );
            let paths: Vec<&str> = f[0].evidence.iter().map(|e| e.path.as_str()).collect();
            assert!(paths.contains(&"sbin/firstboot"), "{paths:?}");
        }
        let f = run(&FactoryReset, &OPENWRT15);
        assert!(f[0].evidence.iter().any(|e| e.path == "sbin/jffs2reset"));
        let button = f[0]
            .evidence
            .iter()
            .find(|e| e.path == "etc/rc.button/reset" && e.line == Some(17))
            .expect("reset button script line");
        assert_eq!(button.text.as_deref(), Some("jffs2reset -y && reboot &"));
    }

    #[test]
    fn tplink_restore_defaults_page() {
        let f = run(&FactoryReset, &TPLINK);
        assert_eq!(f.len(), 1);
        let paths: Vec<&str> = f[0].evidence.iter().map(|e| e.path.as_str()).collect();
        // The page named for it comes first; help pages and "Restore Factory MAC" do not count.
        assert_eq!(paths[0], "web/main/defaultCfg.htm", "{paths:?}");
        assert_eq!(f[0].evidence[0].line, Some(2));
        assert!(!paths.contains(&"web/main/macClone.htm"), "{paths:?}");
        assert!(paths.iter().all(|p| !p.contains("/help/")), "{paths:?}");
    }

    #[test]
    fn corpus_routers_have_no_sensors() {
        for image in [&*OPENWRT15, &*TPLINK] {
            assert!(run(&Sensing, image).is_empty());
        }
    }

    #[test]
    fn synthetic_camera_and_reset_absence() {
        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0);
        b.file(r, "lib/modules/4.9/uvcvideo.ko", 0o644, b"\x7fELF")
            .file(r, "lib/modules/4.9/snd_usb_audio.ko", 0o644, b"\x7fELF")
            .file(r, "usr/sbin/gpsd", 0o755, b"\x7fELF")
            .device(r, "dev/video0", false, 81, 0);
        let m = b.build();
        let f = run_on(&Sensing, &m);
        let titles: Vec<&str> = f.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(f.len(), 3, "{titles:?}");
        assert!(titles[0].contains("camera"));
        assert_eq!(f[0].evidence.len(), 2, "the V4L2 module drives /dev/video0");
        assert_eq!(f[0].evidence[1].path, "dev/video0");
        assert!(titles[1].contains("audio"));
        assert!(titles[2].contains("location"));
        assert!(f.iter().all(|f| f.severity == Severity::Info));
        let r = run_on(&FactoryReset, &m);
        assert_eq!(r.len(), 1);
        assert_eq!(
            r[0].title,
            "No factory-reset mechanism found in the firmware"
        );
        assert_eq!(r[0].severity, Severity::Info);
    }

    /// An SDK's device table creates camera and sound nodes on boards without either: no
    /// finding without a driver, module or program that uses them.
    #[test]
    fn bare_device_nodes_are_not_sensors() {
        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0);
        b.device(r, "dev/video0", false, 81, 0)
            .device(r, "dev/dsp", false, 14, 3)
            .device(r, "dev/snd/pcmC0D0c", false, 116, 24)
            .file(r, "usr/bin/httpd", 0o755, b"\x7fELF\0/dev/mtdblock3\0")
            .file(
                r,
                "etc/device_table.txt",
                0o644,
                b"/dev/mem c 640 0 0 1 1\n",
            );
        let m = b.build();
        assert!(run_on(&Sensing, &m).is_empty());
    }

    /// The same node with a program that opens it is a camera; the program is the evidence.
    #[test]
    fn device_node_with_a_program_that_opens_it() {
        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0);
        b.device(r, "dev/video0", false, 81, 0)
            .device(r, "dev/dsp", false, 14, 3)
            .file(
                r,
                "usr/bin/streamer",
                0o755,
                b"\x7fELF\0\0\0open /dev/video%d failed\0",
            );
        let m = b.build();
        let f = run_on(&Sensing, &m);
        assert_eq!(
            f.len(),
            1,
            "{:?}",
            f.iter().map(|f| &f.title).collect::<Vec<_>>()
        );
        assert!(f[0].title.contains("camera"));
        let paths: Vec<(&str, Option<u64>)> = f[0]
            .evidence
            .iter()
            .map(|e| (e.path.as_str(), e.offset))
            .collect();
        assert_eq!(
            paths,
            vec![("dev/video0", None), ("usr/bin/streamer", Some(7))]
        );
        assert_eq!(
            f[0].evidence[1].text.as_deref(),
            Some("open /dev/video%d failed")
        );
    }

    #[test]
    fn synthetic_reset_script_and_clean_sensing() {
        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0);
        b.file(
            r,
            "usr/sbin/reset-button.sh",
            0o755,
            b"#!/bin/sh\n# nvram erase is done below\n[ $held -gt 5 ] && nvram erase && reboot\necho not_a_factory_resetter\n",
        )
        .file(r, "lib/modules/4.9/nf_conntrack.ko", 0o644, b"\x7fELF");
        let m = b.build();
        let f = run_on(&FactoryReset, &m);
        assert_eq!(f[0].evidence.len(), 1);
        assert_eq!(f[0].evidence[0].line, Some(3));
        assert!(run_on(&Sensing, &m).is_empty());
    }
}
