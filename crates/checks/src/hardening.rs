//! Binary hardening and software integrity (UK CoP guidelines 6 and 7; EN 303 645 5.6-8, 5.6-9,
//! 5.6-6, 5.7-1, 5.3-9).
//!
//! From the inventory's ELF facts: programs and libraries that ask for an executable stack,
//! network-facing programs built without PIE, RELRO or a stack canary, RPATH/RUNPATH entries that
//! name writable or relative folders, and how many kernel modules the image carries. From the file
//! tree and the unpacked regions: indicators of verified boot and signed updates (signed FIT
//! images, dm-verity, opkg/usign keys, signature checks in upgrade scripts), reported as facts —
//! firmware alone cannot prove that secure boot is absent, so absence is an Info finding too.
//!
//! The per-binary mitigation table is rendered by reports from the inventory; these checks only
//! turn it into findings where it matters.

use std::collections::{BTreeMap, HashMap};

use iotassay_inventory::{ElfFile, ElfType, Nx, Relro, StartedBy};

use crate::filescan::{
    self, elf_evidence, is_comment, lines, region_evidence, short_list, Content, MAX_EVIDENCE,
};
use crate::{Check, Context, Finding, Severity};

/// Base names of programs that listen on the network in consumer devices.
pub(crate) const NETWORK_DAEMONS: &[&str] = &[
    "httpd",
    "uhttpd",
    "lighttpd",
    "nginx",
    "boa",
    "goahead",
    "webs",
    "mini_httpd",
    "thttpd",
    "shttpd",
    "mongoose",
    "dropbear",
    "dropbearmulti",
    "sshd",
    "telnetd",
    "utelnetd",
    "ftpd",
    "vsftpd",
    "proftpd",
    "bftpd",
    "pure-ftpd",
    "tftpd",
    "tddp",
    "tdpd",
    "upnpd",
    "miniupnpd",
    "wscd",
    "dnsmasq",
    "dnsProxy",
    "dhcpd",
    "udhcpd",
    "odhcpd",
    "dhcp6s",
    "radvd",
    "hostapd",
    "smbd",
    "nmbd",
    "snmpd",
    "mosquitto",
    "cwmpd",
    "cwmp",
    "tr069",
    "tr69",
    "ntpd",
    "avahi-daemon",
    "mdnsd",
    "inetd",
    "xinetd",
    "lld2d",
    "rtspd",
    "sipd",
    "pppoe-server",
    "openvpn",
    "xl2tpd",
    "pptpd",
];

/// Why a binary counts as network-facing (for the evidence text), if it does: it has the name of a
/// known network daemon, or the image starts it (inetd, init scripts, inittab…). Key: ELF path.
fn network_reasons(cx: &Context<'_>) -> HashMap<String, String> {
    let mut by_path: HashMap<String, Vec<String>> = HashMap::new();
    let mut add = |path: String, why: String| {
        let v = by_path.entry(path).or_default();
        if !v.contains(&why) && v.len() < 3 {
            v.push(why);
        }
    };
    for elf in &cx.inventory.elf {
        let name = elf.path.rsplit('/').next().unwrap_or("");
        if NETWORK_DAEMONS.contains(&name) {
            add(elf.path.clone(), "known network daemon".to_string());
        }
    }
    for s in &cx.inventory.services.services {
        let how = match &s.started_by {
            StartedBy::Inetd { port, .. } => format!("started by inetd on port {port}"),
            _ => format!(
                "started at boot ({}{})",
                s.evidence.path,
                s.evidence.line.map(|l| format!(":{l}")).unwrap_or_default()
            ),
        };
        let first = s.command.split_whitespace().next().unwrap_or("");
        for root in cx.tree.roots() {
            if first.contains('/') {
                if let Ok(canonical) = root.canonical(first) {
                    add(canonical, how.clone());
                }
            }
            for dir in ["bin", "sbin", "usr/bin", "usr/sbin"] {
                if let Ok(canonical) = root.canonical(&format!("{dir}/{}", s.program)) {
                    add(canonical, how.clone());
                }
            }
        }
    }
    by_path
        .into_iter()
        .map(|(k, v)| (k, v.join("; ")))
        .collect()
}

/// A program (not a shared library or a kernel module). uClibc's libraries carry PT_INTERP and
/// so look like PIE programs: a `.so` name settles it.
fn is_program(elf: &ElfFile) -> bool {
    let name = elf.path.rsplit('/').next().unwrap_or("");
    let library = name.ends_with(".so") || name.contains(".so.") || name.starts_with("ld-");
    elf.facts
        .as_ref()
        .is_ok_and(|f| !f.kernel_module && !library && (f.elf_type == ElfType::Executable || f.pie))
}

/// Binaries that request an executable stack.
pub struct ExecStack;

impl Check for ExecStack {
    fn id(&self) -> &'static str {
        "hardening.exec_stack"
    }
    fn title(&self) -> &'static str {
        "Programs and libraries that request an executable stack"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.6-8", "5.6-9"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let net = network_reasons(cx);
        let mut rwe: Vec<(&ElfFile, Option<&String>)> = Vec::new();
        let mut unknown: Vec<&ElfFile> = Vec::new();
        for elf in &cx.inventory.elf {
            let Ok(f) = &elf.facts else { continue };
            match f.nx {
                Nx::Disabled => rwe.push((elf, net.get(&elf.path))),
                Nx::Unknown if is_program(elf) => unknown.push(elf),
                _ => {}
            }
        }
        // Network-facing first, then by path.
        rwe.sort_by(|a, b| (a.1.is_none(), &a.0.path).cmp(&(b.1.is_none(), &b.0.path)));
        let mut findings = Vec::new();
        if !rwe.is_empty() {
            let facing: Vec<String> = rwe
                .iter()
                .filter(|(_, r)| r.is_some())
                .map(|(e, _)| e.path.clone())
                .collect();
            let severity = if facing.is_empty() {
                Severity::Low
            } else {
                Severity::Medium
            };
            let title = if facing.is_empty() {
                format!("{} ELF files request an executable stack", rwe.len())
            } else {
                format!(
                    "{} ELF files request an executable stack, {} of them network daemons or \
                     boot services ({})",
                    rwe.len(),
                    facing.len(),
                    short_list(&facing, 4)
                )
            };
            let mut finding = Finding::new(
                self.id(),
                &["5.6-8", "5.6-9"],
                severity,
                title,
                "Their PT_GNU_STACK header asks for a readable, writable and executable stack, so \
                 a stack buffer overflow can run injected code directly instead of needing a \
                 code-reuse chain; a library with this flag makes the stack executable in every \
                 process that loads it.",
                "Rebuild with a non-executable stack (`-Wl,-z,noexecstack`; find the object that \
                 lacks a `.note.GNU-stack` section, usually hand-written assembly) and check with \
                 `readelf -lW` that GNU_STACK is RW.",
            );
            for (elf, reason) in rwe.iter().take(MAX_EVIDENCE) {
                let kind = if is_program(elf) {
                    "program"
                } else {
                    "shared library"
                };
                let text = match reason {
                    Some(r) => format!("{kind}, PT_GNU_STACK RWE; {r}"),
                    None => format!("{kind}, PT_GNU_STACK RWE"),
                };
                finding = finding.with_evidence(elf_evidence(cx, elf, &text));
            }
            findings.push(finding);
        }
        if !unknown.is_empty() {
            unknown.sort_by(|a, b| a.path.cmp(&b.path));
            let names: Vec<String> = unknown.iter().map(|e| e.path.clone()).collect();
            let mut finding = Finding::new(
                self.id(),
                &["5.6-8", "5.6-9"],
                Severity::Low,
                format!(
                    "{} programs have no PT_GNU_STACK header, so the kernel's default applies \
                     (usually an executable stack): {}",
                    unknown.len(),
                    short_list(&names, 4)
                ),
                "Without PT_GNU_STACK the kernel maps the stack executable on MIPS and, through \
                 READ_IMPLIES_EXEC, on older x86 and ARM ABIs.",
                "Link with `-Wl,-z,noexecstack` so every program carries a PT_GNU_STACK header \
                 without the execute flag.",
            );
            for elf in unknown.iter().take(MAX_EVIDENCE) {
                let reason = elf
                    .facts
                    .as_ref()
                    .map(|f| f.nx_reason.clone())
                    .unwrap_or_default();
                finding = finding.with_evidence(elf_evidence(cx, elf, &reason));
            }
            findings.push(finding);
        }
        findings
    }
}

/// Network-facing programs built without PIE, full RELRO or a stack canary.
pub struct MissingMitigations;

impl Check for MissingMitigations {
    fn id(&self) -> &'static str {
        "hardening.missing_mitigations"
    }
    fn title(&self) -> &'static str {
        "Network-facing programs built without PIE, RELRO or stack canaries"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.6-9"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let net = network_reasons(cx);
        let mut weak: Vec<(&ElfFile, String)> = Vec::new();
        for elf in &cx.inventory.elf {
            let Ok(f) = &elf.facts else { continue };
            let Some(reason) = net.get(&elf.path) else {
                continue;
            };
            if !is_program(elf) {
                continue;
            }
            let mut missing = Vec::new();
            if !f.pie {
                missing.push("no PIE");
            }
            match f.relro {
                Relro::None => missing.push("no RELRO"),
                Relro::Partial => missing.push("partial RELRO"),
                Relro::Full => {}
            }
            if !f.canary {
                missing.push("no stack canary");
            }
            if !missing.is_empty() {
                weak.push((elf, format!("{}; {reason}", missing.join(", "))));
            }
        }
        if weak.is_empty() {
            return Vec::new();
        }
        weak.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        let names: Vec<String> = weak.iter().map(|(e, _)| e.path.clone()).collect();
        let mut finding = Finding::new(
            self.id(),
            &["5.6-9"],
            Severity::Low,
            format!(
                "{} network daemons or boot services lack PIE, full RELRO or a stack canary: {}",
                weak.len(),
                short_list(&names, 5)
            ),
            "These compiler and linker hardening options make memory-corruption bugs in code that \
             parses network input much harder to exploit (randomised addresses, read-only GOT, \
             detected stack smashing); EN 303 645 5.6-9 names hardening compiler options.",
            "Build network daemons with `-fPIE -pie`, `-Wl,-z,relro,-z,now` and \
             `-fstack-protector-strong` (and `-D_FORTIFY_SOURCE=2` with optimisation).",
        );
        for (elf, text) in weak.iter().take(MAX_EVIDENCE) {
            finding = finding.with_evidence(elf_evidence(cx, elf, text));
        }
        vec![finding]
    }
}

/// Whether an RPATH/RUNPATH entry names a folder others can write, or one relative to the working
/// directory; returns why.
fn risky_search_path(dir: &str, writable_mounts: &[String]) -> Option<String> {
    if dir.is_empty() {
        return Some("empty entry (the current working directory)".into());
    }
    if dir.starts_with("$ORIGIN") || dir.starts_with("${ORIGIN}") {
        return None;
    }
    if !dir.starts_with('/') {
        return Some("relative to the current working directory".into());
    }
    const WRITABLE: &[&str] = &[
        "/tmp", "/var", "/mnt", "/media", "/home", "/overlay", "/data", "/dev/shm", "/run",
    ];
    let clean = dir.trim_end_matches('/');
    for w in WRITABLE {
        if clean == *w || clean.starts_with(&format!("{w}/")) {
            return Some(format!("under {w}, writable at run time"));
        }
    }
    for m in writable_mounts {
        if clean == m || clean.starts_with(&format!("{m}/")) {
            return Some(format!("under {m}, a RAM file system in fstab"));
        }
    }
    None
}

/// RPATH or RUNPATH entries that let a writable or relative folder supply libraries.
pub struct InsecureRpath;

impl Check for InsecureRpath {
    fn id(&self) -> &'static str {
        "hardening.insecure_rpath"
    }
    fn title(&self) -> &'static str {
        "RPATH/RUNPATH naming writable or relative folders"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.6-9"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut mounts = Vec::new();
        for root in cx.tree.roots() {
            if let Some(data) = root.read("etc/fstab") {
                for (_, line) in lines(data) {
                    let f: Vec<&str> = line.split_whitespace().collect();
                    if f.len() >= 3
                        && !is_comment(&line)
                        && matches!(f[2], "tmpfs" | "ramfs")
                        && f[1].starts_with('/')
                    {
                        mounts.push(f[1].trim_end_matches('/').to_string());
                    }
                }
            }
        }
        let mut hits: Vec<(&ElfFile, String)> = Vec::new();
        for elf in &cx.inventory.elf {
            let Ok(f) = &elf.facts else { continue };
            for (tag, list) in [("RPATH", &f.rpath), ("RUNPATH", &f.runpath)] {
                for entry in list.iter() {
                    for dir in entry.split(':') {
                        if let Some(why) = risky_search_path(dir, &mounts) {
                            hits.push((elf, format!("{tag} {entry}: {dir} is {why}")));
                        }
                    }
                }
            }
        }
        if hits.is_empty() {
            return Vec::new();
        }
        let mut names: Vec<String> = hits.iter().map(|(e, _)| e.path.clone()).collect();
        names.dedup();
        let mut finding = Finding::new(
            self.id(),
            &["5.6-9"],
            Severity::Low,
            format!(
                "{} binaries search for libraries in writable or relative folders: {}",
                names.len(),
                short_list(&names, 5)
            ),
            "The dynamic loader looks in RPATH/RUNPATH folders first; whoever can write there \
             (any process, or a file dropped through another bug) gets code run inside these \
             programs, usually as root.",
            "Remove the RPATH/RUNPATH (`-Wl,-rpath` in the build, or `chrpath -d`/`patchelf \
             --remove-rpath`), or point it at a read-only folder of the root file system.",
        );
        for (elf, text) in hits.iter().take(MAX_EVIDENCE) {
            finding = finding.with_evidence(elf_evidence(cx, elf, text));
        }
        vec![finding]
    }
}

/// How many kernel modules the image carries (Info).
pub struct KernelModules;

impl Check for KernelModules {
    fn id(&self) -> &'static str {
        "hardening.kernel_modules"
    }
    fn title(&self) -> &'static str {
        "Kernel modules shipped in the image"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.6-6"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut modules: Vec<&ElfFile> = cx
            .inventory
            .elf
            .iter()
            .filter(|e| e.facts.as_ref().is_ok_and(|f| f.kernel_module))
            .collect();
        if modules.is_empty() {
            return Vec::new();
        }
        modules.sort_by(|a, b| a.path.cmp(&b.path));
        let names: Vec<String> = modules
            .iter()
            .map(|e| e.path.rsplit('/').next().unwrap_or(&e.path).to_string())
            .collect();
        let mut finding = Finding::new(
            self.id(),
            &["5.6-6"],
            Severity::Info,
            format!(
                "{} kernel modules in the image: {}",
                modules.len(),
                short_list(&names, 6)
            ),
            "Each module is kernel code the device may load; reviewing which are needed is part \
             of minimising code (5.6-6).",
            "Ship only the modules the product uses; consider module signing \
             (CONFIG_MODULE_SIG_FORCE).",
        );
        for elf in modules.iter().take(MAX_EVIDENCE) {
            finding = finding.with_evidence(elf_evidence(cx, elf, "kernel module"));
        }
        vec![finding]
    }
}

/// Indicators of verified boot and signed updates (Info, both when present and when none is seen).
pub struct Integrity;

/// Upgrade-script lines that verify a signature.
const SIGNATURE_VERIFIERS: &[&str] = &[
    "usign -V",
    "usign -q -V",
    "ucert -V",
    "fwtool -s",
    "verify_signature",
    "check_signature",
    "openssl dgst -verify",
    "openssl dgst -sha256 -verify",
    "openssl smime -verify",
    "openssl cms -verify",
    "gpg --verify",
    "gpgv ",
    "rsa_verify",
    "signify -V",
    "minisign -V",
];

/// Whether a root-relative path is an upgrade or update script (or an update tool's config).
pub(crate) fn is_upgrade_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.starts_with("lib/upgrade/")
        || lower == "sbin/sysupgrade"
        || lower.contains("upgrade")
        || lower.contains("update")
        || lower.contains("firmware")
        || lower.contains("fota")
        || lower.contains("/ota")
        || lower.contains("swupdate")
}

impl Check for Integrity {
    fn id(&self) -> &'static str {
        "hardening.integrity"
    }
    fn title(&self) -> &'static str {
        "Secure boot and signed-update indicators"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.7-1", "5.3-9"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        let info = |title: String, rationale: &str, provisions: &[&str]| {
            Finding::new(
                self.id(),
                provisions,
                Severity::Info,
                title,
                rationale.to_string(),
                "Nothing to fix: keep the verification enabled and the signing keys off the \
                 device and out of the build tree.",
            )
        };

        // Signed FIT images.
        for region in cx.manifest.regions.iter().filter(|r| r.format == "fit") {
            if region
                .description
                .to_ascii_lowercase()
                .contains("signature")
            {
                findings.push(
                    info(
                        format!("Signed FIT image at {:#x}", region.offset),
                        "A FIT image carrying signature nodes: U-Boot verifies it with a public key \
                         in its device tree when verified boot is enabled (CONFIG_FIT_SIGNATURE and \
                         a `required` key).",
                        &["5.7-1"],
                    )
                    .with_evidence(region_evidence(cx.manifest, region, &region.description)),
                );
            }
        }

        let files = filescan::root_files(cx);
        // dm-verity: tools, modules, kernel config, fstab.
        let mut verity = Vec::new();
        for f in &files {
            let name = f.name();
            if name == "veritysetup" || name == "dm-verity.ko" || name == "dm_verity.ko" {
                verity.push(f.evidence(None, None, name));
                continue;
            }
            let config = name.starts_with("config-") && f.path.starts_with("boot/")
                || name == ".config"
                || name.starts_with("fstab");
            if config && filescan::is_text(f.data) {
                for (n, line) in lines(f.data) {
                    let l = line.trim();
                    if l == "CONFIG_DM_VERITY=y"
                        || (name.starts_with("fstab")
                            && !is_comment(l)
                            && (l.contains("verify") || l.contains("dm-verity")))
                    {
                        verity.push(f.evidence(Some(n), None, l));
                    }
                }
            }
        }
        if !verity.is_empty() {
            let mut f = info(
                "dm-verity is present (integrity-checked root file system)".into(),
                "dm-verity checks every block of a read-only file system against a signed hash \
                 tree when it is read, so a modified root file system is detected at run time.",
                &["5.7-1"],
            );
            for e in verity.into_iter().take(MAX_EVIDENCE) {
                f = f.with_evidence(e);
            }
            findings.push(f);
        }

        // opkg with usign keys and signature checking on.
        for root in cx.tree.roots() {
            let keys: Vec<&str> = root
                .files()
                .filter(|f| f.path.starts_with("etc/opkg/keys/") && f.node.data.is_some())
                .map(|f| f.path)
                .collect();
            let conf = root.read("etc/opkg.conf").map(|d| {
                lines(d).find(|(_, l)| {
                    let w: Vec<&str> = l.split_whitespace().collect();
                    w.len() >= 2
                        && w[0] == "option"
                        && w[1] == "check_signature"
                        && w.get(2).is_none_or(|v| *v != "0")
                })
            });
            if let Some(Some((n, line))) = conf {
                let mut f = info(
                    format!(
                        "opkg verifies package-list signatures (`check_signature`), with {} usign \
                         key(s) in etc/opkg/keys",
                        keys.len()
                    ),
                    "opkg downloads the signed package index and checks it against the usign \
                     public keys shipped in the image; packages are then checked against the \
                     SHA-256 sums of that index.",
                    &["5.3-9"],
                )
                .with_evidence(root.evidence(
                    "etc/opkg.conf",
                    Some(n),
                    None,
                    Some(filescan::excerpt(&line)),
                ));
                for k in keys.iter().take(20) {
                    f = f.with_evidence(root.evidence(
                        k,
                        None,
                        None,
                        Some("usign public key".into()),
                    ));
                }
                findings.push(f);
            }
        }

        // Signature checks in upgrade scripts.
        let upgrade: Vec<Content<'_, '_>> = files
            .iter()
            .filter(|f| is_upgrade_path(f.path) && filescan::is_text(f.data))
            .copied()
            .collect();
        let hits = filescan::par_scan(&upgrade, |f| {
            lines(f.data)
                .filter(|(_, l)| {
                    !is_comment(l) && SIGNATURE_VERIFIERS.iter().any(|s| l.contains(s))
                })
                .take(10)
                .map(|(n, l)| f.evidence(Some(n), None, &l))
                .collect()
        });
        if !hits.is_empty() {
            let mut by_file: BTreeMap<String, usize> = BTreeMap::new();
            for e in &hits {
                *by_file.entry(e.path.clone()).or_default() += 1;
            }
            let names: Vec<String> = by_file.keys().cloned().collect();
            let mut f = info(
                format!(
                    "Upgrade scripts verify a signature: {}",
                    short_list(&names, 4)
                ),
                "These update or upgrade scripts call a signature verification tool; whether a \
                 failed check stops the update is visible in the cited lines.",
                &["5.3-9"],
            );
            for e in hits.into_iter().take(MAX_EVIDENCE) {
                f = f.with_evidence(e);
            }
            findings.push(f);
        }

        if findings.is_empty() && !cx.tree.roots().is_empty() {
            findings.push(Finding::new(
                self.id(),
                &["5.7-1"],
                Severity::Info,
                "No secure-boot or signed-update indicator found in the firmware",
                "No signed FIT image, dm-verity, opkg signature checking or signature \
                 verification in upgrade scripts was seen. Secure boot usually lives in the boot \
                 ROM, fuses and boot loader, which a firmware image cannot show, so this is not \
                 evidence that it is absent.",
                "Document the secure boot chain and update signing in the declaration; if there \
                 is none, verify the boot loader, kernel and root file system against a key held \
                 in hardware (e.g. U-Boot verified boot with signed FIT images and dm-verity).",
            ));
        }
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filescan::fixtures::{run, run_on, OPENWRT15, TPLINK, TPLINK_FLASH};
    use iotassay_inventory::testing::{unix_root, ManifestBuilder};
    use iotassay_unpack::Kind;

    fn exec_stack_on_tplink(image: &(iotassay_unpack::Manifest, iotassay_inventory::Inventory)) {
        let f = run(&ExecStack, image);
        let rwe = f
            .iter()
            .find(|f| f.title.contains("request an executable stack"))
            .expect("executable-stack finding");
        assert_eq!(rwe.severity, Severity::Medium);
        let paths: Vec<&str> = rwe.evidence.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"bin/busybox"), "{paths:?}");
        assert!(paths.contains(&"usr/bin/tddp"), "{paths:?}");
        assert!(!paths.contains(&"usr/bin/httpd"), "httpd's stack is RW");
        // Network daemons and boot services first (whether busybox is one depends on the boot
        // services the inventory finds; tddp is a known daemon either way).
        let tddp = paths.iter().position(|p| *p == "usr/bin/tddp").unwrap();
        let e = &rwe.evidence[tddp];
        let text = e.text.as_deref().unwrap();
        assert!(
            text.starts_with("program, PT_GNU_STACK RWE; known network daemon"),
            "{text}"
        );
        let facing = |t: &str| t.contains("daemon") || t.contains("started");
        let texts: Vec<&str> = rwe
            .evidence
            .iter()
            .filter_map(|e| e.text.as_deref())
            .collect();
        let first_other = texts.iter().position(|t| !facing(t)).unwrap();
        assert!(texts[first_other..].iter().all(|t| !facing(t)), "ordering");
        assert!(e.provenance.ends_with("→ usr/bin/tddp"), "{}", e.provenance);
        assert_eq!(rwe.evidence.len(), 50, "50 ELF files have RWE (readelf)");
    }

    #[test]
    fn tplink_exec_stack_names_busybox_and_tddp() {
        exec_stack_on_tplink(&TPLINK);
    }

    #[test]
    fn tplink_flashdump_exec_stack_same_facts() {
        exec_stack_on_tplink(&TPLINK_FLASH);
        let f = run(&ExecStack, &TPLINK_FLASH);
        let p = &f[0].evidence[0].provenance;
        assert!(
            p.starts_with("real/tplink-mt7628-flashdump.bin @0x10000 tplink"),
            "{p}"
        );
        assert!(p.contains("squashfs"), "{p}");
    }

    #[test]
    fn tplink_network_daemons_lack_mitigations_but_httpd_has_full_relro() {
        let f = run(&MissingMitigations, &TPLINK);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Low);
        let httpd = f[0]
            .evidence
            .iter()
            .find(|e| e.path == "usr/bin/httpd")
            .expect("httpd listed (no PIE)");
        let text = httpd.text.as_deref().unwrap();
        assert!(text.starts_with("no PIE, no stack canary;"), "{text}");
        assert!(!text.contains("RELRO"), "httpd has full RELRO: {text}");
        let tddp = f[0]
            .evidence
            .iter()
            .find(|e| e.path == "usr/bin/tddp")
            .unwrap();
        assert!(tddp.text.as_deref().unwrap().contains("no RELRO"));
    }

    #[test]
    fn tplink_rpath_into_var_ramfs() {
        let f = run(&InsecureRpath, &TPLINK);
        assert_eq!(f.len(), 1);
        let tddp = f[0]
            .evidence
            .iter()
            .find(|e| e.path == "usr/bin/tddp")
            .expect("tddp has RPATH /var/tmp/pc/");
        assert_eq!(
            tddp.text.as_deref(),
            Some("RPATH /var/tmp/pc/: /var/tmp/pc/ is under /var, writable at run time")
        );
        assert!(f[0].evidence.iter().any(|e| e.path == "usr/bin/httpd"));
    }

    #[test]
    fn tplink_kernel_modules_counted() {
        let f = run(&KernelModules, &TPLINK);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        assert!(
            f[0].title.starts_with("25 kernel modules"),
            "{}",
            f[0].title
        );
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.path == "lib/modules/tp_domain.ko"));
    }

    #[test]
    fn openwrt_signed_opkg_is_an_integrity_indicator() {
        let f = run(&Integrity, &OPENWRT15);
        let opkg = f
            .iter()
            .find(|f| f.title.starts_with("opkg verifies"))
            .expect("opkg signature indicator");
        assert_eq!(opkg.severity, Severity::Info);
        assert!(opkg.title.contains("with 3 usign key(s)"), "{}", opkg.title);
        assert_eq!(opkg.evidence[0].path, "etc/opkg.conf");
        assert_eq!(opkg.evidence[0].line, Some(5));
        assert_eq!(
            opkg.evidence[0].text.as_deref(),
            Some("option check_signature 1")
        );
        assert!(f.iter().all(|f| f.severity == Severity::Info));
    }

    #[test]
    fn tplink_has_no_integrity_indicator_and_says_so_as_info() {
        let f = run(&Integrity, &TPLINK);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        assert!(f[0].title.starts_with("No secure-boot"));
    }

    #[test]
    fn synthetic_indicators() {
        let mut b = ManifestBuilder::new("fw.bin");
        let fit = b.region("fit", Kind::Container, 0, None);
        b.describe(
            fit,
            "FIT, 2 images, signatures: configuration conf-1 (sha256,rsa2048 key \"dev\")",
        );
        let r = unix_root(&mut b, "squashfs", 0x100000);
        b.file(r, "usr/sbin/veritysetup", 0o755, b"\x7fELF").file(
            r,
            "lib/upgrade/do_upgrade.sh",
            0o755,
            b"#!/bin/sh\n# usign -V is not here\nusign -V -m \"$1\" -P /etc/keys || exit 1\n",
        );
        let m = b.build();
        let f = run_on(&Integrity, &m);
        let titles: Vec<&str> = f.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(f.len(), 3, "{titles:?}");
        assert!(titles[0].starts_with("Signed FIT image at 0x0"));
        assert_eq!(f[0].evidence[0].path, "@0x0 fit");
        assert!(titles[1].starts_with("dm-verity"));
        assert_eq!(f[1].evidence[0].path, "usr/sbin/veritysetup");
        assert!(titles[2].starts_with("Upgrade scripts verify a signature"));
        assert_eq!(f[2].evidence[0].line, Some(3));
    }

    fn elf_program(stack_flags: u32, rpath: bool) -> Vec<u8> {
        // A minimal ELF32 LE MIPS executable: header, PT_GNU_STACK (and PT_DYNAMIC with RPATH).
        let mut d = vec![0u8; 0x200];
        d[..4].copy_from_slice(b"\x7fELF");
        d[4] = 1; // 32-bit
        d[5] = 1; // LE
        d[6] = 1;
        d[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        d[18..20].copy_from_slice(&8u16.to_le_bytes()); // MIPS
        d[20..24].copy_from_slice(&1u32.to_le_bytes());
        d[28..32].copy_from_slice(&52u32.to_le_bytes()); // e_phoff
        d[40..42].copy_from_slice(&52u16.to_le_bytes()); // e_ehsize
        d[42..44].copy_from_slice(&32u16.to_le_bytes()); // e_phentsize
        let phnum: u16 = if rpath { 3 } else { 1 };
        d[44..46].copy_from_slice(&phnum.to_le_bytes());
        // PT_GNU_STACK
        let ph = 52;
        d[ph..ph + 4].copy_from_slice(&0x6474_e551u32.to_le_bytes());
        d[ph + 24..ph + 28].copy_from_slice(&stack_flags.to_le_bytes());
        if rpath {
            // PT_LOAD mapping the file at address 0, then PT_DYNAMIC at 0x100: DT_STRTAB 0x180,
            // DT_STRSZ 16, DT_RPATH at string 1.
            let ph = 84;
            d[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes());
            d[ph + 16..ph + 20].copy_from_slice(&0x200u32.to_le_bytes());
            d[ph + 20..ph + 24].copy_from_slice(&0x200u32.to_le_bytes());
            d[ph + 24..ph + 28].copy_from_slice(&5u32.to_le_bytes());
            let ph = 116;
            d[ph..ph + 4].copy_from_slice(&2u32.to_le_bytes());
            d[ph + 4..ph + 8].copy_from_slice(&0x100u32.to_le_bytes());
            d[ph + 8..ph + 12].copy_from_slice(&0x100u32.to_le_bytes());
            d[ph + 16..ph + 20].copy_from_slice(&32u32.to_le_bytes());
            d[ph + 20..ph + 24].copy_from_slice(&32u32.to_le_bytes());
            let dynamic: [(u32, u32); 4] = [(5, 0x180), (10, 16), (15, 1), (0, 0)];
            for (i, (tag, val)) in dynamic.iter().enumerate() {
                let o = 0x100 + i * 8;
                d[o..o + 4].copy_from_slice(&tag.to_le_bytes());
                d[o + 4..o + 8].copy_from_slice(&val.to_le_bytes());
            }
            d[0x181..0x18a].copy_from_slice(b"/tmp/lib\0");
        }
        d
    }

    #[test]
    fn synthetic_exec_stack_without_daemons_is_low_and_clean_tree_is_silent() {
        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0);
        b.file(r, "usr/bin/tool", 0o755, &elf_program(7, false))
            .file(r, "usr/bin/clean", 0o755, &elf_program(6, false));
        let m = b.build();
        let f = run_on(&ExecStack, &m);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Low);
        assert_eq!(f[0].evidence.len(), 1);
        assert_eq!(f[0].evidence[0].path, "usr/bin/tool");

        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0);
        b.file(r, "usr/bin/clean", 0o755, &elf_program(6, false))
            .file(r, "etc/fstab", 0o644, b"proc /proc proc defaults 0 0\n");
        let m = b.build();
        for check in [
            &ExecStack as &dyn Check,
            &MissingMitigations,
            &InsecureRpath,
            &KernelModules,
        ] {
            assert!(
                run_on(check, &m).is_empty(),
                "{} on a clean tree",
                check.id()
            );
        }
    }

    #[test]
    fn synthetic_daemon_exec_stack_is_medium_and_rpath_tmp_is_found() {
        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0);
        b.file(r, "usr/sbin/dropbear", 0o755, &elf_program(7, true));
        let m = b.build();
        let f = run_on(&ExecStack, &m);
        assert_eq!(f[0].severity, Severity::Medium);
        let rp = run_on(&InsecureRpath, &m);
        assert_eq!(
            rp.len(),
            1,
            "the hand-made dynamic section carries RPATH /tmp/lib"
        );
        assert!(rp[0].evidence[0]
            .text
            .as_deref()
            .unwrap()
            .contains("under /tmp"));
        let mm = run_on(&MissingMitigations, &m);
        assert_eq!(mm.len(), 1);
    }

    #[test]
    fn search_path_rules() {
        let mounts = vec!["/config".to_string()];
        assert!(risky_search_path("/lib", &mounts).is_none());
        assert!(risky_search_path("$ORIGIN/../lib", &mounts).is_none());
        assert!(risky_search_path("lib", &mounts).is_some());
        assert!(risky_search_path("", &mounts).is_some());
        assert!(risky_search_path("/config/lib", &mounts).is_some());
        assert!(risky_search_path("/variant", &mounts).is_none());
    }
}
