//! Facts about every ELF file: architecture, linking, and the hardening a checksec would report
//! (PIE, NX, RELRO, stack canary, FORTIFY, RPATH), plus the imported functions later checks look for
//! (`system`, `popen`, `strcpy`…).
//!
//! Parsing uses `goblin` on hostile bytes: its errors are caught, a failed full parse falls back to
//! the headers alone (so hardening is still reported for damaged or oddly-stripped binaries), symbol
//! tables are read up to [`MAX_SYMBOLS`] entries, and a panic inside the parser is contained.

use std::panic::{catch_unwind, AssertUnwindSafe};

use goblin::container::{Container, Ctx, Endian as GEndian};
use goblin::elf::dynamic::{Dynamic, DF_1_NOW, DF_1_PIE, DF_BIND_NOW, DT_BIND_NOW};
use goblin::elf::program_header::{
    ProgramHeader, PF_X, PT_DYNAMIC, PT_GNU_RELRO, PT_GNU_STACK, PT_INTERP,
};
use goblin::elf::section_header::{SectionHeader, SHT_SYMTAB};
use goblin::elf::{Elf, Header};
use goblin::options::ParseOptions;
use serde::{Deserialize, Serialize};

/// Symbol table entries read per table at most; bigger tables are skipped with a note.
pub const MAX_SYMBOLS: usize = 1_000_000;
/// Smallest possible ELF header (32-bit).
const MIN_ELF: usize = 52;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ElfClass {
    Elf32,
    Elf64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endianness {
    Little,
    Big,
}

/// `e_machine`, named for the architectures firmware uses; the rest keep their number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Machine {
    Mips,
    Arm,
    Aarch64,
    X86,
    X86_64,
    PowerPc,
    PowerPc64,
    RiscV,
    Sparc,
    SuperH,
    M68k,
    Xtensa,
    Arc,
    Microblaze,
    Nios2,
    LoongArch,
    S390,
    Other(u16),
}

impl Machine {
    pub fn from_e_machine(m: u16) -> Machine {
        match m {
            8 | 10 => Machine::Mips,
            40 => Machine::Arm,
            183 => Machine::Aarch64,
            3 | 6 => Machine::X86,
            62 => Machine::X86_64,
            20 => Machine::PowerPc,
            21 => Machine::PowerPc64,
            243 => Machine::RiscV,
            2 | 18 | 43 => Machine::Sparc,
            42 => Machine::SuperH,
            4 => Machine::M68k,
            94 => Machine::Xtensa,
            45 | 93 | 195 => Machine::Arc,
            189 => Machine::Microblaze,
            113 => Machine::Nios2,
            258 => Machine::LoongArch,
            22 => Machine::S390,
            other => Machine::Other(other),
        }
    }
}

/// `e_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ElfType {
    /// `ET_REL`: an object file or a kernel module.
    Relocatable,
    /// `ET_EXEC`: a fixed-address executable.
    Executable,
    /// `ET_DYN`: a shared object or a PIE executable.
    Dynamic,
    Core,
    Other(u16),
}

/// Whether the stack is non-executable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Nx {
    /// `PT_GNU_STACK` present without `PF_X`.
    Enabled,
    /// `PT_GNU_STACK` asks for an executable stack (`RWE`).
    Disabled,
    /// No `PT_GNU_STACK`: the kernel decides, and most (MIPS always before Linux 4.8, x86/ARM via
    /// `READ_IMPLIES_EXEC` on older ABIs) give such a program an executable stack. See `nx_reason`.
    Unknown,
    /// Not a program (relocatable object, kernel module, core dump).
    NotApplicable,
}

/// Read-only relocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relro {
    /// No `PT_GNU_RELRO`.
    None,
    /// `PT_GNU_RELRO` but lazy binding: the GOT stays writable.
    Partial,
    /// `PT_GNU_RELRO` and immediate binding (`DT_BIND_NOW`, `DF_BIND_NOW` or `DF_1_NOW`), or
    /// `PT_GNU_RELRO` in a static binary (nothing is bound lazily).
    Full,
}

/// How much of the file goblin could read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ParseDepth {
    /// Everything: headers, dynamic section, symbols.
    Full,
    /// The full parse failed; facts come from the ELF and program headers (and the dynamic
    /// section when it parsed): symbols, imports, canary and FORTIFY are unknown (reported false).
    HeadersOnly,
}

/// The facts of one ELF file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElfFacts {
    pub class: ElfClass,
    pub endianness: Endianness,
    pub machine: Machine,
    /// Raw `e_machine`.
    pub e_machine: u16,
    pub elf_type: ElfType,
    /// A position-independent executable: `ET_DYN` with an interpreter, or `DF_1_PIE`.
    pub pie: bool,
    /// `ET_DYN` that is not a PIE.
    pub shared_object: bool,
    /// A Linux kernel module (`.ko`, or `ET_REL` with `.modinfo`).
    pub kernel_module: bool,
    /// No interpreter and no dynamic section.
    pub static_linked: bool,
    pub nx: Nx,
    /// Why `nx` is what it is, for people (architecture caveats included).
    pub nx_reason: String,
    pub relro: Relro,
    pub bind_now: bool,
    /// References `__stack_chk_fail` / `__stack_chk_guard` (dynamic or static symbols).
    pub canary: bool,
    /// Imports any `__*_chk` function (`_FORTIFY_SOURCE`).
    pub fortify: bool,
    /// The `__*_chk` functions imported.
    pub fortified: Vec<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    /// No `.symtab` section (also when there are no section headers at all).
    pub stripped: bool,
    pub interpreter: Option<String>,
    /// `DT_NEEDED` libraries, in order.
    pub needed: Vec<String>,
    pub soname: Option<String>,
    /// Undefined function symbols of the dynamic table, sorted, deduplicated.
    pub imports: Vec<String>,
    /// Text relocations (`DT_TEXTREL`): code pages written at load time.
    pub textrel: bool,
    pub depth: ParseDepth,
    /// Anything skipped or degraded (goblin's error, symbol tables over the limit).
    pub notes: Vec<String>,
}

impl ElfFacts {
    /// Whether the binary imports `name` (exact match).
    pub fn imports(&self, name: &str) -> bool {
        self.imports
            .binary_search_by(|i| i.as_str().cmp(name))
            .is_ok()
    }
}

/// Whether bytes start like an ELF file worth parsing.
pub fn is_elf(data: &[u8]) -> bool {
    data.len() >= MIN_ELF && data.starts_with(b"\x7fELF")
}

/// Program-header-level facts shared by both parse depths.
struct Layout {
    interp: bool,
    dynamic: bool,
    gnu_stack: Option<bool>, // Some(executable)
    relro: bool,
}

fn layout(phdrs: &[ProgramHeader]) -> Layout {
    let mut l = Layout {
        interp: false,
        dynamic: false,
        gnu_stack: None,
        relro: false,
    };
    for ph in phdrs {
        match ph.p_type {
            PT_INTERP => l.interp = true,
            PT_DYNAMIC => l.dynamic = true,
            PT_GNU_STACK => l.gnu_stack = Some(ph.p_flags & PF_X != 0),
            PT_GNU_RELRO => l.relro = true,
            _ => {}
        }
    }
    l
}

fn nx_of(l: &Layout, machine: Machine, elf_type: ElfType, kernel_module: bool) -> (Nx, String) {
    if kernel_module
        || matches!(
            elf_type,
            ElfType::Relocatable | ElfType::Core | ElfType::Other(_)
        )
    {
        return (
            Nx::NotApplicable,
            "not a program: the stack belongs to its host".into(),
        );
    }
    match l.gnu_stack {
        Some(true) => (
            Nx::Disabled,
            "PT_GNU_STACK requests an executable stack (RWE)".into(),
        ),
        Some(false) if machine == Machine::Mips => (
            Nx::Enabled,
            "PT_GNU_STACK is RW; note MIPS kernels before Linux 4.8 keep the stack executable \
             regardless (FPU emulation trampolines)"
                .into(),
        ),
        Some(false) => (Nx::Enabled, "PT_GNU_STACK is RW".into()),
        None => (
            Nx::Unknown,
            "no PT_GNU_STACK: most kernels then map the stack executable (always on MIPS; \
             READ_IMPLIES_EXEC on older x86/ARM ABIs)"
                .into(),
        ),
    }
}

fn bind_now(dynamic: Option<&Dynamic>) -> bool {
    dynamic.is_some_and(|d| {
        d.dyns.iter().any(|e| e.d_tag == DT_BIND_NOW)
            || d.info.flags & DF_BIND_NOW != 0
            || d.info.flags_1 & DF_1_NOW != 0
    })
}

fn relro_of(l: &Layout, bind_now: bool) -> Relro {
    match (l.relro, bind_now || !l.dynamic) {
        (false, _) => Relro::None,
        (true, true) => Relro::Full,
        (true, false) => Relro::Partial,
    }
}

fn elf_type_of(e_type: u16) -> ElfType {
    match e_type {
        1 => ElfType::Relocatable,
        2 => ElfType::Executable,
        3 => ElfType::Dynamic,
        4 => ElfType::Core,
        other => ElfType::Other(other),
    }
}

/// Parse one ELF file. `name` (the file name) only helps recognise kernel modules (`.ko`).
/// Returns `Err` with a reason when not even the ELF header parses.
pub fn analyse(data: &[u8], name: &str) -> Result<ElfFacts, String> {
    if !is_elf(data) {
        return Err("not an ELF file".into());
    }
    match catch_unwind(AssertUnwindSafe(|| analyse_inner(data, name))) {
        Ok(r) => r,
        Err(_) => Err("the ELF parser failed on this file (malformed beyond recovery)".into()),
    }
}

fn analyse_inner(data: &[u8], name: &str) -> Result<ElfFacts, String> {
    let header = Elf::parse_header(data).map_err(|e| format!("bad ELF header: {e}"))?;
    match Elf::parse_with_opts(data, &ParseOptions::permissive()) {
        Ok(elf) => Ok(full(&elf, name)),
        Err(e) => headers_only(data, header, name, e.to_string()),
    }
}

fn base(header: &Header, name: &str) -> (ElfClass, Endianness, Machine, ElfType, bool) {
    let class = if header.e_ident[4] == 2 {
        ElfClass::Elf64
    } else {
        ElfClass::Elf32
    };
    let endianness = if header.e_ident[5] == 2 {
        Endianness::Big
    } else {
        Endianness::Little
    };
    let elf_type = elf_type_of(header.e_type);
    let ko = name.ends_with(".ko") && elf_type == ElfType::Relocatable;
    (
        class,
        endianness,
        Machine::from_e_machine(header.e_machine),
        elf_type,
        ko,
    )
}

fn full(elf: &Elf<'_>, name: &str) -> ElfFacts {
    let (class, endianness, machine, elf_type, mut kernel_module) = base(&elf.header, name);
    let mut notes = Vec::new();
    let l = layout(&elf.program_headers);
    let section = |wanted: &str| {
        elf.section_headers
            .iter()
            .any(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(wanted))
    };
    if elf_type == ElfType::Relocatable
        && (section(".modinfo") || section(".gnu.linkonce.this_module"))
    {
        kernel_module = true;
    }
    let stripped = !elf.section_headers.iter().any(|s| s.sh_type == SHT_SYMTAB);
    let bind = bind_now(elf.dynamic.as_ref());
    let flags_1 = elf.dynamic.as_ref().map_or(0, |d| d.info.flags_1);
    let pie = elf_type == ElfType::Dynamic && (l.interp || flags_1 & DF_1_PIE != 0);
    let (nx, nx_reason) = nx_of(&l, machine, elf_type, kernel_module);

    let mut canary = false;
    let mut imports: Vec<String> = Vec::new();
    if elf.dynsyms.len() > MAX_SYMBOLS {
        notes.push(format!(
            "dynamic symbol table of {} entries over the {MAX_SYMBOLS} limit: not read",
            elf.dynsyms.len()
        ));
    } else {
        for sym in elf.dynsyms.iter() {
            let Some(name) = elf.dynstrtab.get_at(sym.st_name) else {
                continue;
            };
            if name.is_empty() {
                continue;
            }
            if name == "__stack_chk_fail" || name == "__stack_chk_guard" {
                canary = true;
            }
            // Undefined, and a function (or untyped, as some toolchains leave imports).
            if sym.st_shndx == 0 && matches!(sym.st_type(), 0 | 2 | 10) {
                imports.push(name.to_string());
            }
        }
    }
    if elf.syms.len() > MAX_SYMBOLS {
        notes.push(format!(
            "symbol table of {} entries over the {MAX_SYMBOLS} limit: not read",
            elf.syms.len()
        ));
    } else if !canary {
        canary = elf.syms.iter().any(|sym| {
            matches!(
                elf.strtab.get_at(sym.st_name),
                Some("__stack_chk_fail" | "__stack_chk_guard")
            )
        });
    }
    imports.sort_unstable();
    imports.dedup();
    let fortified: Vec<String> = imports
        .iter()
        .filter(|n| n.starts_with("__") && n.ends_with("_chk") && n.len() > 6)
        .cloned()
        .collect();
    ElfFacts {
        class,
        endianness,
        machine,
        e_machine: elf.header.e_machine,
        elf_type,
        pie,
        shared_object: elf_type == ElfType::Dynamic && !pie,
        kernel_module,
        static_linked: !l.interp && !l.dynamic,
        nx,
        nx_reason,
        relro: relro_of(&l, bind),
        bind_now: bind,
        canary,
        fortify: !fortified.is_empty(),
        fortified,
        rpath: elf.rpaths.iter().map(|s| s.to_string()).collect(),
        runpath: elf.runpaths.iter().map(|s| s.to_string()).collect(),
        stripped,
        interpreter: elf.interpreter.map(str::to_string),
        needed: elf.libraries.iter().map(|s| s.to_string()).collect(),
        soname: elf.soname.map(str::to_string),
        imports,
        textrel: elf.dynamic.as_ref().is_some_and(|d| d.info.textrel),
        depth: ParseDepth::Full,
        notes,
    }
}

fn headers_only(
    data: &[u8],
    header: Header,
    name: &str,
    error: String,
) -> Result<ElfFacts, String> {
    let (class, endianness, machine, elf_type, kernel_module) = base(&header, name);
    let container = if class == ElfClass::Elf64 {
        Container::Big
    } else {
        Container::Little
    };
    let endian = if endianness == Endianness::Big {
        GEndian::Big
    } else {
        GEndian::Little
    };
    let ctx = Ctx::new(container, endian);
    let phdrs =
        ProgramHeader::parse(data, header.e_phoff as usize, header.e_phnum as usize, ctx)
            .map_err(|e| format!("ELF program headers unreadable ({e}); full parse: {error}"))?;
    let l = layout(&phdrs);
    // Without section headers there is no `.symtab`: stripped.
    let stripped =
        SectionHeader::parse(data, header.e_shoff as usize, header.e_shnum as usize, ctx)
            .map_or(true, |s| !s.iter().any(|s| s.sh_type == SHT_SYMTAB));
    let dynamic = Dynamic::parse(data, &phdrs, ctx).ok().flatten();
    let bind = bind_now(dynamic.as_ref());
    let flags_1 = dynamic.as_ref().map_or(0, |d| d.info.flags_1);
    let pie = elf_type == ElfType::Dynamic && (l.interp || flags_1 & DF_1_PIE != 0);
    let (nx, nx_reason) = nx_of(&l, machine, elf_type, kernel_module);
    let interpreter = phdrs.iter().find(|p| p.p_type == PT_INTERP).and_then(|p| {
        let start = usize::try_from(p.p_offset).ok()?;
        let len = usize::try_from(p.p_filesz).ok()?;
        let bytes = data.get(start..start.checked_add(len)?)?;
        let bytes = bytes.split(|&b| b == 0).next()?;
        std::str::from_utf8(bytes).ok().map(str::to_string)
    });
    Ok(ElfFacts {
        class,
        endianness,
        machine,
        e_machine: header.e_machine,
        elf_type,
        pie,
        shared_object: elf_type == ElfType::Dynamic && !pie,
        kernel_module,
        static_linked: !l.interp && !l.dynamic,
        nx,
        nx_reason,
        relro: relro_of(&l, bind),
        bind_now: bind,
        canary: false,
        fortify: false,
        fortified: Vec::new(),
        rpath: Vec::new(),
        runpath: Vec::new(),
        stripped,
        interpreter,
        needed: Vec::new(),
        soname: None,
        imports: Vec::new(),
        textrel: dynamic.as_ref().is_some_and(|d| d.info.textrel),
        depth: ParseDepth::HeadersOnly,
        notes: vec![format!("full parse failed: {error}")],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machines() {
        assert_eq!(Machine::from_e_machine(8), Machine::Mips);
        assert_eq!(Machine::from_e_machine(40), Machine::Arm);
        assert_eq!(Machine::from_e_machine(62), Machine::X86_64);
        assert_eq!(Machine::from_e_machine(243), Machine::RiscV);
        assert_eq!(Machine::from_e_machine(9999), Machine::Other(9999));
    }

    #[test]
    fn not_elf() {
        assert!(analyse(b"hello", "x").is_err());
        assert!(analyse(&[0x7f, b'E', b'L', b'F'], "x").is_err());
        let mut junk = b"\x7fELF".to_vec();
        junk.resize(64, 0xff);
        assert!(analyse(&junk, "x").is_err());
    }
}
