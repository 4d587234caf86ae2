//! Version banners (informational): U-Boot, the Linux kernel, VxWorks and Broadcom CFE. They tell
//! later checks which boot loader and OS an image holds. Matched by hand against the exact shapes
//! these programs print, so a stray "Linux version" in a help text does not count.

use crate::bytes::slice;
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};

use super::printable;

/// The printable run starting at `data[0]`, up to a NUL, newline or other control byte, at most `max`.
fn printable_run(data: &[u8], max: usize) -> &[u8] {
    let data = &data[..data.len().min(max)];
    let end = data
        .iter()
        .position(|&b| !(0x20..0x7f).contains(&b))
        .unwrap_or(data.len());
    &data[..end]
}

/// Length of a version like `1.1.3`, `2016.09-rc1` or `4.9.87+`: starts with a digit, has a dot
/// followed by a digit, and is made of `[0-9A-Za-z.+_-]`.
fn version_len(s: &[u8]) -> Option<usize> {
    let len = s
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b"._+-~".contains(&b)))
        .unwrap_or(s.len());
    let v = &s[..len];
    let dotted = v.windows(2).any(|w| w[0] == b'.' && w[1].is_ascii_digit());
    (v.first()?.is_ascii_digit() && dotted && len <= 64).then_some(len)
}

fn info(len: usize, text: &[u8]) -> Option<Identified> {
    Some(Identified::new(
        Some(len as u64),
        String::from_utf8_lossy(text).into_owned(),
    ))
}

macro_rules! info_format {
    ($ty:ident, $name:literal, $magics:expr, $identify:path) => {
        impl Format for $ty {
            fn name(&self) -> &'static str {
                $name
            }
            fn kind(&self) -> Kind {
                Kind::Info
            }
            fn magics(&self) -> &'static [Magic] {
                const MAGICS: &[Magic] = $magics;
                MAGICS
            }
            fn identify(&self, data: &[u8]) -> Option<Identified> {
                $identify(data)
            }
            fn extract(&self, _data: &[u8], _id: Identified, _out: &dyn Emit) -> Result<(), Error> {
                Ok(())
            }
        }
    };
}

/// `U-Boot 1.1.3 (Nov 19 2023 - 18:30:02)`, `U-Boot SPL 2019.01 (…)`.
pub struct UBootBanner;
info_format!(
    UBootBanner,
    "uboot-banner",
    &[Magic::at_start(b"U-Boot ")],
    uboot
);

fn uboot(data: &[u8]) -> Option<Identified> {
    let run = printable_run(data, 256);
    let rest = run.strip_prefix(b"U-Boot ")?;
    let rest = rest.strip_prefix(b"SPL ").unwrap_or(rest);
    let v = version_len(rest)?;
    let date = rest.get(v..)?.strip_prefix(b" (")?;
    let close = date.iter().position(|&b| b == b')')?;
    // A build date: "Mon dd yyyy - hh:mm:ss" and friends; require a 4-digit year and a colon.
    let inside = &date[..close];
    let has_year = inside.windows(4).any(|w| w.iter().all(u8::is_ascii_digit));
    (has_year && inside.contains(&b':')).then_some(())?;
    info(run.len(), run)
}

/// `Linux version 4.9.87 (builder@host) (gcc version …) #0 …`.
pub struct LinuxBanner;
info_format!(
    LinuxBanner,
    "linux-banner",
    &[Magic::at_start(b"Linux version ")],
    linux
);

fn linux(data: &[u8]) -> Option<Identified> {
    let run = printable_run(data, 512);
    let rest = run.strip_prefix(b"Linux version ")?;
    let v = version_len(rest)?;
    let tail = rest.get(v..)?.strip_prefix(b" (")?;
    // "(user@host)" then the compiler and the build number "#n".
    let close = tail.iter().position(|&b| b == b')')?;
    (tail[..close].contains(&b'@') && tail[close..].contains(&b'#')).then_some(())?;
    info(run.len(), run)
}

/// VxWorks version strings: `VxWorks5.5.1`, `VxWorks 6.9`, `VxWorks SMP 6.9`, or the runtime
/// name and version as two NUL-separated strings (`VxWorks\05.5.1\0`), usually followed by the
/// creation date (`Aug 24 2011, 18:58:12`), which is included when present.
pub struct VxWorks;
info_format!(VxWorks, "vxworks", &[Magic::at_start(b"VxWorks")], vxworks);

fn vxworks(data: &[u8]) -> Option<Identified> {
    let rest = data.get(7..data.len().min(7 + 64))?;
    let skip = match rest.first()? {
        0 | b' ' => 1,
        _ => 0,
    };
    let rest = &rest[skip..];
    let smp = rest.starts_with(b"SMP ");
    let rest = if smp { &rest[4..] } else { rest };
    let v = version_len(rest)?;
    let version = String::from_utf8_lossy(&rest[..v]).into_owned();
    // The terminator must be the end of the string, not more text ("VxWorks5.5.1abc" is not it).
    if rest.get(v).is_some_and(|&b| b != 0) {
        return None;
    }
    let mut len = 7 + skip + if smp { 4 } else { 0 } + v;
    let mut description = format!("VxWorks{} {version}", if smp { " SMP" } else { "" });
    // Look at the next few NUL-separated strings for a build date.
    let window = slice(data, len, 96.min(data.len() - len)).unwrap_or_default();
    let mut at = 0;
    for s in window.split(|&b| b == 0) {
        let start = at;
        at += s.len() + 1;
        if s.is_empty() || !printable(s) {
            continue;
        }
        if is_build_date(s) {
            description.push_str(&format!(", built {}", String::from_utf8_lossy(s)));
            len += start + s.len();
            break;
        }
    }
    Some(Identified::new(Some(len as u64), description))
}

/// `Aug 24 2011, 18:58:12` (C's `__DATE__ ", " __TIME__`).
fn is_build_date(s: &[u8]) -> bool {
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    s.len() == 21
        && MONTHS.iter().any(|m| s.starts_with(m))
        && s[7..11].iter().all(u8::is_ascii_digit)
        && &s[11..13] == b", "
        && s[15] == b':'
        && s[18] == b':'
}

/// Broadcom CFE boot loader: its `CFE1CFE1` seal (byte-swapped `1EFC1EFC` in little-endian
/// builds), which sits near the start of the boot block (0x4e0 on BCM63xx). The seal is the only
/// fixed marker CFE has, so this reports the boot loader without claiming a version or extent.
pub struct Cfe;
info_format!(
    Cfe,
    "cfe",
    &[Magic::at_start(b"CFE1CFE1"), Magic::at_start(b"1EFC1EFC")],
    cfe
);

fn cfe(data: &[u8]) -> Option<Identified> {
    let description = match slice(data, 0, 8)? {
        b"CFE1CFE1" => "Broadcom CFE boot loader seal (big-endian build)",
        b"1EFC1EFC" => "Broadcom CFE boot loader seal (little-endian build)",
        _ => return None,
    };
    Some(Identified::new(Some(8), description))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::container::test_util::hostile;
    use iotassay_testkit::corpus_bytes;

    #[test]
    fn uboot_banner_in_flash_dump() {
        let dump = corpus_bytes("real/tplink-mt7628-flashdump.bin");
        let id = UBootBanner.identify(&dump[0xd310..]).expect("identifies");
        assert_eq!(id.description, "U-Boot 1.1.3 (Nov 19 2023 - 18:30:02)");
        assert_eq!(id.size, Some(37));
        // The OS name table next to it ("VxWorks\0QNX\0U-Boot\0") is not a banner of either.
        assert!(VxWorks.identify(&dump[0xed00..]).is_none());
        let table_uboot = memchr::memmem::find(&dump[0xed00..], b"U-Boot").unwrap() + 0xed00;
        assert!(UBootBanner.identify(&dump[table_uboot..]).is_none());
        assert!(UBootBanner.identify(b"U-Boot 2019.01 is great").is_none());
        assert!(UBootBanner
            .identify(b"U-Boot SPL 2019.01 (Jan 01 2020 - 00:00:00 +0000)\0")
            .is_some());
    }

    #[test]
    fn linux_banner_in_real_kernel() {
        use std::io::Read;
        let file = corpus_bytes("real/tplink-mt7628-kernel.bin");
        let stream = liblzma::stream::Stream::new_lzma_decoder(u64::MAX).unwrap();
        let mut kernel = Vec::new();
        // The LZMA stream has no end marker and a known size; a trailing read error is fine.
        let _ = liblzma::read::XzDecoder::new_stream(&file[0x200..0x200 + 0xee46f], stream)
            .read_to_end(&mut kernel);
        let at = memchr::memmem::find(&kernel, b"Linux version ").expect("banner present");
        let id = LinuxBanner.identify(&kernel[at..]).expect("identifies");
        assert_eq!(
            id.description,
            "Linux version 2.6.36 (zhang@ubuntu) (gcc version 4.6.3 (Buildroot 2012.11.1) ) #1 Sun Nov 19 18:31:57 PST 2023"
        );
    }

    #[test]
    fn linux_banner() {
        let banner = b"Linux version 2.6.36 (zhang@ubuntu) (gcc version 4.6.3 (Buildroot 2012.11.1) ) #1 Sun Nov 19 18:31:57 PST 2023\n\0";
        let id = LinuxBanner.identify(banner).expect("identifies");
        assert_eq!(id.size, Some(banner.len() as u64 - 2));
        assert!(id
            .description
            .starts_with("Linux version 2.6.36 (zhang@ubuntu)"));
        assert!(LinuxBanner
            .identify(b"Linux version %s (%s@%s) #%s\0")
            .is_none());
        assert!(LinuxBanner
            .identify(b"Linux version 2.6 is old\0")
            .is_none());
    }

    #[test]
    fn vxworks_in_tplink_firmware() {
        let data = corpus_bytes("formats/tpl__wr.fw");
        let id = VxWorks.identify(&data[0x6864..]).expect("identifies");
        assert_eq!(id.description, "VxWorks 5.5.1, built Aug 24 2011, 18:58:12");
        // Covers "VxWorks\05.5.1\0\0\0VxWorks5.5.1\0\0\0\0Aug 24 2011, 18:58:12".
        assert_eq!(id.size, Some(0x6899 - 0x6864));
        assert_eq!(
            VxWorks.identify(&data[0x6874..]).unwrap().description,
            "VxWorks 5.5.1, built Aug 24 2011, 18:58:12"
        );
        assert!(VxWorks.identify(b"VxWorks\0QNX\0").is_none());
        assert!(VxWorks.identify(b"VxWorks is a trademark").is_none());
        assert_eq!(
            VxWorks.identify(b"VxWorks SMP 6.9\0").unwrap().description,
            "VxWorks SMP 6.9"
        );
    }

    #[test]
    fn cfe_marker() {
        let id = Cfe.identify(b"CFE1CFE1\x02\x01\x05rest").unwrap();
        assert_eq!(
            id.description,
            "Broadcom CFE boot loader seal (big-endian build)"
        );
        assert_eq!(id.size, Some(8));
        assert!(Cfe
            .identify(b"1EFC1EFC")
            .unwrap()
            .description
            .contains("little-endian"));
        assert!(Cfe.identify(b"CFE1CFE").is_none());
    }

    #[test]
    fn hostile_inputs() {
        for f in [&UBootBanner as &dyn Format, &LinuxBanner, &VxWorks, &Cfe] {
            hostile(f, b"U-Boot 1.1.3 (Nov 19 2023 - 18:30:02)\0Linux version 1.2 (a@b) #1\0VxWorks5.5\0CFE1CFE1");
            assert!(f.identify(b"").is_none());
        }
    }
}
