//! ELF facts on this machine's `/bin/ls`, on small ELF files built here byte by byte, and on hostile
//! bytes (random, mutated, truncated), which must never panic.

use iotassay_inventory::elf::{analyse, MAX_SYMBOLS};
use iotassay_inventory::{ElfClass, ElfType, Endianness, Machine, Nx, ParseDepth, Relro};

// Constants used by the builder (kept here so the test does not trust the code under test).
const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const PT_GNU_STACK: u32 = 0x6474_e551;
const PT_GNU_RELRO: u32 = 0x6474_e552;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_HASH: u64 = 4;
const DT_STRTAB: u64 = 5;
const DT_SYMTAB: u64 = 6;
const DT_STRSZ: u64 = 10;
const DT_SYMENT: u64 = 11;
const DT_RPATH: u64 = 15;
const DT_BIND_NOW: u64 = 24;
const DT_FLAGS_1: u64 = 0x6fff_fffb;
const DF_1_PIE: u64 = 0x0800_0000;
const RW: u32 = 6;
const RWE: u32 = 7;

/// A little ELF writer: header, program headers, then blobs placed at known offsets.
struct Builder {
    is64: bool,
    big: bool,
    machine: u16,
    e_type: u16,
    phdrs: Vec<(u32, u32, u64, u64)>, // type, flags, offset, size
    body: Vec<u8>,
}

impl Builder {
    fn new(is64: bool, big: bool, machine: u16, e_type: u16) -> Self {
        Builder {
            is64,
            big,
            machine,
            e_type,
            phdrs: Vec::new(),
            body: Vec::new(),
        }
    }
    fn ehsize(&self) -> usize {
        if self.is64 {
            64
        } else {
            52
        }
    }
    fn phentsize(&self) -> usize {
        if self.is64 {
            56
        } else {
            32
        }
    }
    /// Room reserved for up to 8 program headers, so blob offsets are known before building.
    fn body_start(&self) -> usize {
        self.ehsize() + 8 * self.phentsize()
    }
    /// Append a blob; returns its file offset.
    fn blob(&mut self, bytes: &[u8]) -> u64 {
        while !self.body.len().is_multiple_of(8) {
            self.body.push(0);
        }
        let off = (self.body_start() + self.body.len()) as u64;
        self.body.extend_from_slice(bytes);
        off
    }
    fn ph(&mut self, p_type: u32, flags: u32, offset: u64, size: u64) -> &mut Self {
        self.phdrs.push((p_type, flags, offset, size));
        self
    }
    fn u16(&self, v: u16, out: &mut Vec<u8>) {
        out.extend_from_slice(&if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }
    fn u32(&self, v: u32, out: &mut Vec<u8>) {
        out.extend_from_slice(&if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }
    fn word(&self, v: u64, out: &mut Vec<u8>) {
        if self.is64 {
            out.extend_from_slice(&if self.big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        } else {
            self.u32(v as u32, out);
        }
    }
    fn dynamic(&self, entries: &[(u64, u64)]) -> Vec<u8> {
        let mut out = Vec::new();
        for &(tag, val) in entries.iter().chain([(DT_NULL, 0)].iter()) {
            self.word(tag, &mut out);
            self.word(val, &mut out);
        }
        out
    }
    fn build(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(b"\x7fELF");
        out.push(if self.is64 { 2 } else { 1 });
        out.push(if self.big { 2 } else { 1 });
        out.push(1);
        out.resize(16, 0);
        self.u16(self.e_type, &mut out);
        self.u16(self.machine, &mut out);
        self.u32(1, &mut out);
        self.word(0x400000, &mut out); // entry
        self.word(self.ehsize() as u64, &mut out); // phoff
        self.word(0, &mut out); // shoff
        self.u32(0, &mut out); // flags
        self.u16(self.ehsize() as u16, &mut out);
        self.u16(self.phentsize() as u16, &mut out);
        self.u16(self.phdrs.len() as u16, &mut out);
        self.u16(if self.is64 { 64 } else { 40 }, &mut out);
        self.u16(0, &mut out);
        self.u16(0, &mut out);
        assert_eq!(out.len(), self.ehsize());
        for &(t, f, off, size) in &self.phdrs {
            // Identity mapping (vaddr == offset) so dynamic addresses are file offsets.
            if self.is64 {
                self.u32(t, &mut out);
                self.u32(f, &mut out);
                self.word(off, &mut out);
                self.word(off, &mut out);
                self.word(off, &mut out);
                self.word(size, &mut out);
                self.word(size, &mut out);
                self.word(1, &mut out);
            } else {
                self.u32(t, &mut out);
                self.word(off, &mut out);
                self.word(off, &mut out);
                self.word(off, &mut out);
                self.word(size, &mut out);
                self.word(size, &mut out);
                self.u32(f, &mut out);
                self.word(1, &mut out);
            }
        }
        out.resize(self.body_start(), 0);
        out.extend_from_slice(&self.body);
        out
    }
}

/// A MIPS32 LE executable like the TP-Link ones: uClibc interpreter, executable stack, no RELRO,
/// imports `system`, `__stack_chk_fail`, `__sprintf_chk`, DT_NEEDED and DT_RPATH.
fn mips_le_exec(stack_flags: Option<u32>) -> Vec<u8> {
    let mut b = Builder::new(false, false, 8, 2);
    let interp = b.blob(b"/lib/ld-uClibc.so.0\0");
    // dynstr
    let strs = b"\0libc.so.0\0/var/tmp/pc/\0system\0__stack_chk_fail\0__sprintf_chk\0main\0";
    let pos = |s: &str| {
        let needle = format!("\0{s}\0");
        strs.windows(needle.len())
            .position(|w| w == needle.as_bytes())
            .unwrap() as u32
            + 1
    };
    let strtab = b.blob(strs);
    // dynsym: null, three undefined functions, one defined function.
    let mut syms = vec![0u8; 16];
    for (name, shndx) in [
        ("system", 0u16),
        ("__stack_chk_fail", 0),
        ("__sprintf_chk", 0),
        ("main", 1),
    ] {
        b.u32(pos(name), &mut syms);
        b.u32(if shndx == 0 { 0 } else { 0x400100 }, &mut syms);
        b.u32(0, &mut syms);
        syms.push(0x12); // STB_GLOBAL, STT_FUNC
        syms.push(0);
        b.u16(shndx, &mut syms);
    }
    let symtab = b.blob(&syms);
    // SysV hash: nbucket=1, nchain=5, bucket[0]=0, chains.
    let mut hash = Vec::new();
    for v in [1u32, 5, 0, 0, 0, 0, 0, 0] {
        b.u32(v, &mut hash);
    }
    let hashoff = b.blob(&hash);
    let dynamic = b.dynamic(&[
        (DT_NEEDED, pos("libc.so.0") as u64),
        (DT_RPATH, pos("/var/tmp/pc/") as u64),
        (DT_HASH, hashoff),
        (DT_STRTAB, strtab),
        (DT_STRSZ, strs.len() as u64),
        (DT_SYMTAB, symtab),
        (DT_SYMENT, 16),
    ]);
    let dynoff = b.blob(&dynamic);
    let total = b.body_start() as u64 + b.body.len() as u64;
    b.ph(PT_LOAD, 5, 0, total).ph(PT_INTERP, 4, interp, 20).ph(
        PT_DYNAMIC,
        RW,
        dynoff,
        dynamic.len() as u64,
    );
    if let Some(flags) = stack_flags {
        b.ph(PT_GNU_STACK, flags, 0, 0);
    }
    b.build()
}

#[test]
fn constructed_mips_executable() {
    let data = mips_le_exec(Some(RWE));
    let f = analyse(&data, "tddp").expect("parses");
    assert_eq!(f.depth, ParseDepth::Full, "{:?}", f.notes);
    assert_eq!(f.class, ElfClass::Elf32);
    assert_eq!(f.endianness, Endianness::Little);
    assert_eq!(f.machine, Machine::Mips);
    assert_eq!(f.elf_type, ElfType::Executable);
    assert!(!f.pie);
    assert_eq!(f.nx, Nx::Disabled);
    assert_eq!(f.relro, Relro::None);
    assert_eq!(f.interpreter.as_deref(), Some("/lib/ld-uClibc.so.0"));
    assert_eq!(f.needed, ["libc.so.0"]);
    assert_eq!(f.rpath, ["/var/tmp/pc/"]);
    assert!(f.runpath.is_empty());
    assert_eq!(f.imports, ["__sprintf_chk", "__stack_chk_fail", "system"]);
    assert!(f.imports("system"));
    assert!(!f.imports("main"), "defined symbols are not imports");
    assert!(f.canary);
    assert!(f.fortify);
    assert_eq!(f.fortified, ["__sprintf_chk"]);
    assert!(f.stripped, "no section headers at all");
    assert!(!f.static_linked);
}

#[test]
fn constructed_stack_markings() {
    let rw = analyse(&mips_le_exec(Some(RW)), "x").unwrap();
    assert_eq!(rw.nx, Nx::Enabled);
    assert!(
        rw.nx_reason.contains("4.8"),
        "MIPS caveat: {}",
        rw.nx_reason
    );
    let none = analyse(&mips_le_exec(None), "x").unwrap();
    assert_eq!(none.nx, Nx::Unknown);
    assert!(none.nx_reason.contains("no PT_GNU_STACK"));
}

#[test]
fn constructed_big_endian_pie_with_full_relro() {
    for (entries, expect_pie, expect_relro) in [
        (
            vec![(DT_FLAGS_1, DF_1_PIE), (DT_BIND_NOW, 0)],
            true,
            Relro::Full,
        ),
        (vec![(DT_FLAGS_1, DF_1_PIE)], true, Relro::Partial),
        (vec![], true, Relro::Partial), // PIE by its interpreter alone
    ] {
        let mut b = Builder::new(true, true, 20, 3); // PowerPC, ET_DYN
        let interp = b.blob(b"/lib/ld.so.1\0");
        let dynamic = b.dynamic(&entries);
        let dynoff = b.blob(&dynamic);
        let total = b.body_start() as u64 + b.body.len() as u64;
        b.ph(PT_LOAD, 5, 0, total)
            .ph(PT_INTERP, 4, interp, 13)
            .ph(PT_DYNAMIC, RW, dynoff, dynamic.len() as u64)
            .ph(PT_GNU_RELRO, 4, dynoff, dynamic.len() as u64)
            .ph(PT_GNU_STACK, RW, 0, 0);
        let f = analyse(&b.build(), "prog").unwrap();
        assert_eq!(f.class, ElfClass::Elf64);
        assert_eq!(f.endianness, Endianness::Big);
        assert_eq!(f.machine, Machine::PowerPc);
        assert_eq!(f.pie, expect_pie);
        assert!(!f.shared_object);
        assert_eq!(f.relro, expect_relro, "{entries:?}");
        assert_eq!(f.nx, Nx::Enabled);
        assert!(!f.canary);
        assert!(f.imports.is_empty());
    }
}

#[test]
fn constructed_shared_object_and_module() {
    let mut b = Builder::new(false, true, 8, 3); // MIPS BE, ET_DYN without interpreter
    b.ph(PT_GNU_STACK, RW, 0, 0);
    let f = analyse(&b.build(), "libfoo.so").unwrap();
    assert!(!f.pie);
    assert!(f.shared_object);
    assert_eq!(f.endianness, Endianness::Big);

    let b = Builder::new(false, false, 40, 1); // ARM ET_REL
    let f = analyse(&b.build(), "ath9k.ko").unwrap();
    assert_eq!(f.machine, Machine::Arm);
    assert_eq!(f.elf_type, ElfType::Relocatable);
    assert!(f.kernel_module);
    assert_eq!(f.nx, Nx::NotApplicable);
    let f = analyse(&b.build(), "thing.o").unwrap();
    assert!(!f.kernel_module);
}

/// Verified by hand with `readelf -lWd --dyn-syms /bin/ls` on this Debian machine: GNU_STACK RW,
/// GNU_RELRO present, FLAGS_1 PIE but no BIND_NOW (so RELRO is *partial*, not full),
/// `__stack_chk_fail` and `__*_chk` imports, NEEDED libselinux.so.1 and libc.so.6, no .symtab.
#[test]
fn bin_ls() {
    let data = std::fs::read("/bin/ls").expect("/bin/ls readable");
    let f = analyse(&data, "ls").unwrap();
    assert_eq!(f.depth, ParseDepth::Full);
    assert_eq!(f.class, ElfClass::Elf64);
    assert_eq!(f.endianness, Endianness::Little);
    assert_eq!(f.machine, Machine::X86_64);
    assert_eq!(f.elf_type, ElfType::Dynamic);
    assert!(f.pie);
    assert!(!f.shared_object);
    assert_eq!(f.nx, Nx::Enabled);
    assert_eq!(f.relro, Relro::Partial);
    assert!(!f.bind_now);
    assert!(f.canary);
    assert!(f.fortify);
    assert!(f.fortified.iter().any(|n| n == "__printf_chk"));
    assert!(f.stripped);
    assert_eq!(
        f.interpreter.as_deref(),
        Some("/lib64/ld-linux-x86-64.so.2")
    );
    assert!(f.needed.iter().any(|n| n == "libc.so.6"));
    assert!(f.imports("__stack_chk_fail"));
    assert!(f.imports("opendir"));
    assert!(
        f.imports.windows(2).all(|w| w[0] < w[1]),
        "sorted and unique"
    );
    assert!(f.rpath.is_empty() && f.runpath.is_empty());
}

/// xorshift64*: deterministic randomness without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn hostile_elves_do_not_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Pure noise behind the magic, in both classes and endians.
    for i in 0..2000 {
        let len = 64 + (rng.next() % 4096) as usize;
        let mut data = rng.bytes(len);
        data[..4].copy_from_slice(b"\x7fELF");
        data[4] = 1 + (i % 2) as u8;
        data[5] = 1 + (i / 2 % 2) as u8;
        let _ = analyse(&data, "x.ko");
        iotassay_inventory::fuzz_elf(&data);
    }
    // Mutations of real and constructed binaries: bit flips, then truncations.
    let seeds = [std::fs::read("/bin/ls").unwrap(), mips_le_exec(Some(RWE))];
    for seed in &seeds {
        for _ in 0..300 {
            let mut data = seed.clone();
            for _ in 0..(1 + rng.next() % 16) {
                // Bias mutations towards the headers, where the counts and offsets live.
                let span = if rng.next().is_multiple_of(2) {
                    512.min(data.len())
                } else {
                    data.len()
                };
                let at = (rng.next() as usize) % span;
                data[at] ^= 1 << (rng.next() % 8);
            }
            let _ = analyse(&data, "x");
        }
        for cut in (0..seed.len()).step_by(seed.len() / 97 + 1) {
            let _ = analyse(&seed[..cut], "x");
        }
    }
}

#[test]
fn huge_counts_are_refused_not_allocated() {
    // e_phnum = 0xffff with a tiny file: goblin must refuse, and we must report an error or
    // headers-only facts, not abort on allocation.
    let mut b = Builder::new(true, false, 62, 2);
    b.ph(PT_GNU_STACK, RW, 0, 0);
    let mut data = b.build();
    data[56..58].copy_from_slice(&0xffffu16.to_le_bytes());
    assert!(analyse(&data, "x").is_err());
}

#[test]
fn symbol_tables_over_the_limit_are_skipped_with_a_note() {
    let mut b = Builder::new(false, false, 8, 2);
    b.ph(PT_GNU_STACK, RW, 0, 0);
    let mut data = b.build();
    let count = MAX_SYMBOLS + 1;
    let shoff = data.len();
    let symoff = shoff + 2 * 40;
    data.extend_from_slice(&[0u8; 40]); // null section
    for v in [
        0u32,
        2,
        0,
        0,
        symoff as u32,
        (count * 16) as u32,
        0,
        0,
        4,
        16,
    ] {
        data.extend_from_slice(&v.to_le_bytes()); // .symtab
    }
    data.resize(symoff + count * 16, 0);
    data[32..36].copy_from_slice(&(shoff as u32).to_le_bytes());
    data[48..50].copy_from_slice(&2u16.to_le_bytes());
    let f = analyse(&data, "big").unwrap();
    assert_eq!(f.depth, ParseDepth::Full, "{:?}", f.notes);
    assert!(!f.stripped, "it has a .symtab");
    assert!(
        f.notes.iter().any(|n| n.contains("over the")),
        "{:?}",
        f.notes
    );
}
