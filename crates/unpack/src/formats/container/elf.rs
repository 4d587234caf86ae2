//! ELF header (informational): class, byte order, type, machine, entry point and interpreter, so a
//! report can say what a binary or a raw `vmlinux` is built for. Parsed by hand: only the fixed
//! identification header and the program headers are read, with every `e_ident` field checked
//! strictly so random data with `\x7fELF` in it does not count.

use crate::bytes::{slice, Endian};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};

use super::text_field;

/// At most this many program headers are looked at for the interpreter.
const MAX_PHDRS: usize = 256;

/// ELF header.
pub struct Elf;

fn machine_name(m: u16) -> String {
    let name = match m {
        2 => "SPARC",
        3 => "x86",
        4 => "M68K",
        8 => "MIPS",
        10 => "MIPS RS3000 LE",
        18 => "SPARC32+",
        20 => "PowerPC",
        21 => "PowerPC64",
        40 => "ARM",
        42 => "SuperH",
        43 => "SPARC V9",
        50 => "IA-64",
        62 => "x86-64",
        83 => "AVR",
        87 => "V850",
        92 => "OpenRISC",
        93 => "ARC Compact",
        94 => "Xtensa",
        106 => "Blackfin",
        164 => "Hexagon",
        183 => "AArch64",
        189 => "MicroBlaze",
        195 => "ARC Compact2",
        243 => "RISC-V",
        258 => "LoongArch",
        _ => return format!("machine {m}"),
    };
    name.to_string()
}

struct Header {
    is64: bool,
    endian: Endian,
    kind: u16,
    machine: u16,
    entry: u64,
    phoff: u64,
    phnum: u16,
    shnum: u16,
    header_len: u16,
    abi: u8,
}

fn parse(data: &[u8]) -> Option<Header> {
    let ident = slice(data, 0, 16)?;
    if &ident[..4] != b"\x7fELF" || ident[6] != 1 || ident[9..].iter().any(|&b| b != 0) {
        return None;
    }
    let is64 = match ident[4] {
        1 => false,
        2 => true,
        _ => return None,
    };
    let endian = match ident[5] {
        1 => Endian::Little,
        2 => Endian::Big,
        _ => return None,
    };
    let abi = ident[7];
    if !(abi <= 18 || abi == 97 || abi == 255) {
        return None;
    }
    let e = endian;
    let kind = e.u16(data, 16)?;
    let machine = e.u16(data, 18)?;
    if !(1..=4).contains(&kind) || machine == 0 || e.u32(data, 20)? != 1 {
        return None;
    }
    let (entry, phoff, shoff, rest) = if is64 {
        (e.u64(data, 24)?, e.u64(data, 32)?, e.u64(data, 40)?, 48)
    } else {
        (
            u64::from(e.u32(data, 24)?),
            u64::from(e.u32(data, 28)?),
            u64::from(e.u32(data, 32)?),
            36,
        )
    };
    let header_len = e.u16(data, rest + 4)?;
    let phentsize = e.u16(data, rest + 6)?;
    let phnum = e.u16(data, rest + 8)?;
    let shentsize = e.u16(data, rest + 10)?;
    let shnum = e.u16(data, rest + 12)?;
    let shstrndx = e.u16(data, rest + 14)?;
    let (want_eh, want_ph, want_sh) = if is64 { (64, 56, 64) } else { (52, 32, 40) };
    let sane = header_len == want_eh
        && (phnum == 0 || (phentsize == want_ph && phoff >= u64::from(want_eh)))
        && (shnum == 0 || shentsize == want_sh)
        && (shnum == 0 || shstrndx < shnum || shstrndx == 0xffff)
        && (phnum > 0 || shnum > 0 || shoff == 0);
    sane.then_some(Header {
        is64,
        endian,
        kind,
        machine,
        entry,
        phoff,
        phnum,
        shnum,
        header_len,
        abi,
    })
}

/// The `PT_INTERP` path, when the program headers are present and hold one.
fn interpreter(data: &[u8], h: &Header) -> Option<String> {
    let e = h.endian;
    let phoff = usize::try_from(h.phoff).ok()?;
    let entsize = if h.is64 { 56 } else { 32 };
    for i in 0..usize::from(h.phnum).min(MAX_PHDRS) {
        let at = phoff.checked_add(i * entsize)?;
        if e.u32(data, at)? != 3 {
            continue;
        }
        let (off, size) = if h.is64 {
            (e.u64(data, at + 8)?, e.u64(data, at + 32)?)
        } else {
            (
                u64::from(e.u32(data, at + 4)?),
                u64::from(e.u32(data, at + 16)?),
            )
        };
        let field = slice(
            data,
            usize::try_from(off).ok()?,
            usize::try_from(size.min(256)).ok()?,
        )?;
        let text = text_field(field)?;
        return (!text.is_empty()).then(|| String::from_utf8_lossy(text).into_owned());
    }
    None
}

impl Format for Elf {
    fn name(&self) -> &'static str {
        "elf"
    }
    fn kind(&self) -> Kind {
        Kind::Info
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(b"\x7fELF")];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let h = parse(data)?;
        let kind = match h.kind {
            1 => "relocatable",
            2 => "executable",
            3 => "shared object",
            _ => "core dump",
        };
        let mut description = format!(
            "ELF {}-bit {} {kind}, {}, entry {:#x}, {} program headers, {} sections",
            if h.is64 { 64 } else { 32 },
            if h.endian == Endian::Little {
                "LSB"
            } else {
                "MSB"
            },
            machine_name(h.machine),
            h.entry,
            h.phnum,
            h.shnum,
        );
        if h.abi != 0 {
            description.push_str(&format!(", OS/ABI {}", h.abi));
        }
        if let Some(interp) = interpreter(data, &h) {
            description.push_str(&format!(", interpreter {}", interp.escape_default()));
        }
        Some(Identified::new(Some(u64::from(h.header_len)), description))
    }

    fn extract(&self, _data: &[u8], _id: Identified, _out: &dyn Emit) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::container::test_util::{hostile, noise};
    use iotassay_testkit::corpus_bytes;

    #[test]
    fn fact_elf_fixture() {
        let data = corpus_bytes("formats/sfx__test_elf_normal");
        let id = Elf.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(64));
        assert!(
            id.description.starts_with("ELF 64-bit LSB "),
            "{}",
            id.description
        );
        assert!(id.description.contains("x86-64"), "{}", id.description);
        assert!(
            id.description
                .ends_with("interpreter /lib64/ld-linux-x86-64.so.2"),
            "{}",
            id.description
        );
    }

    #[test]
    fn strict_ident_and_hostile_inputs() {
        let data = corpus_bytes("formats/sfx__test_elf_normal");
        hostile(&Elf, &data);
        for (at, value) in [(4usize, 3u8), (5, 0), (6, 2), (12, 1), (16, 9)] {
            let mut bad = data.clone();
            bad[at] = value;
            assert!(
                Elf.identify(&bad).is_none(),
                "byte {at} = {value} must be refused"
            );
        }
        let mut junk = noise(4096, 11);
        junk[..4].copy_from_slice(b"\x7fELF");
        assert!(Elf.identify(&junk).is_none());
    }
}
