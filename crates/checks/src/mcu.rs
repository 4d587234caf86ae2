//! Microcontroller firmware (ESP8266 / ESP32 application images): Wi-Fi credentials compiled
//! into the image, the over-the-air update mechanism and whether images are signed, and
//! cleartext endpoints. Every finding cites the image offset of what it saw.
//!
//! A flat application image has no file system: these checks read the segment nodes the
//! unpacker emits (named by their offset in the image, see
//! [`iotassay_unpack::formats::mcu::esp::segment_name`]) and the inventory's
//! [`iotassay_inventory::mcu::McuImage`] facts (descriptor, secure boot v2 signature blocks).

use iotassay_inventory::mcu::{McuImage, MCUBOOT};
use iotassay_inventory::{Evidence, Inventory};
use memchr::memmem;

use crate::filescan::{excerpt, is_local_host, urls, MAX_EVIDENCE};
use crate::{Check, Context, Coverage, Finding, Severity};

/// Whether the check `id` examines this image: every check does when it has a root file system;
/// on a microcontroller image without one only the checks written for such images do (the
/// others look for files a root holds), so only theirs can pass a guideline or a provision.
pub fn examines(inventory: &Inventory, id: &str) -> bool {
    !inventory.roots.is_empty() || (!inventory.mcu.is_empty() && id.starts_with("mcu."))
}

/// The coverage of a microcontroller check: it examines a microcontroller image; on any other
/// image it examines what a root file system holds (nothing of its kind: no segment, no NVS).
fn coverage(cx: &Context<'_>) -> Coverage {
    if cx.inventory.mcu.is_empty() {
        Coverage::of_root(cx)
    } else {
        Coverage::Examined
    }
}

/// One segment's bytes with where they sit in the image.
struct Seg<'m> {
    node: &'m iotassay_unpack::Node,
    /// Offset of the segment's first byte in the image.
    base: u64,
    data: &'m [u8],
}

fn segments<'m>(cx: &Context<'m>, img: &McuImage) -> Vec<Seg<'m>> {
    img.segments
        .iter()
        .filter_map(|s| {
            let node = cx.tree.node(&s.node)?;
            let data = node.data.as_deref()?;
            Some(Seg {
                node,
                base: s.offset,
                data,
            })
        })
        .collect()
}

fn evidence(cx: &Context<'_>, img: &McuImage, seg: &Seg<'_>, at: usize, text: &str) -> Evidence {
    let offset = seg.base + at as u64;
    Evidence {
        node: seg.node.path.clone(),
        path: format!("{} @{offset:#x}", img.evidence.path),
        line: None,
        offset: Some(offset),
        text: Some(excerpt(text)),
        provenance: cx.manifest.provenance(seg.node),
    }
}

/// The NUL-terminated printable strings of `data` around `at`: (offset, text) of up to `before`
/// strings ending before `at`, the one at `at`, and up to `after` following it.
fn neighbours(data: &[u8], at: usize, before: usize, after: usize) -> Vec<(usize, String)> {
    let printable = |b: u8| (0x20..0x7f).contains(&b);
    // Start of the string holding `at`.
    let mut start = at;
    while start > 0 && printable(data[start - 1]) && at - start < 256 {
        start -= 1;
    }
    let mut out = Vec::new();
    // Walk back over NUL-terminated strings (padding NULs skipped, at most 4 at a time).
    let mut s = start;
    let mut back = Vec::new();
    while back.len() < before && s > 0 {
        let mut e = s;
        let mut nuls = 0;
        while e > 0 && data[e - 1] == 0 && nuls < 4 {
            e -= 1;
            nuls += 1;
        }
        if nuls == 0 || e == 0 || !printable(data[e - 1]) {
            break;
        }
        let mut b = e;
        while b > 0 && printable(data[b - 1]) && e - b < 256 {
            b -= 1;
        }
        back.push((b, String::from_utf8_lossy(&data[b..e]).into_owned()));
        s = b;
    }
    back.reverse();
    out.extend(back);
    let mut s = start;
    for _ in 0..=after {
        let mut e = s;
        while e < data.len() && printable(data[e]) && e - s < 256 {
            e += 1;
        }
        if e == s {
            break;
        }
        out.push((s, String::from_utf8_lossy(&data[s..e]).into_owned()));
        let mut n = e;
        let mut nuls = 0;
        while n < data.len() && data[n] == 0 && nuls < 4 {
            n += 1;
            nuls += 1;
        }
        if nuls == 0 {
            break;
        }
        s = n;
    }
    out
}

/// A WPA2 passphrase candidate: 8 to 63 characters, no white space at either end, no format
/// directive, not a path or identifier-like log text; letters and digits both, or a known default.
fn passphrase_like(s: &str) -> bool {
    let n = s.chars().count();
    if !(8..=63).contains(&n) || s.trim() != s || s.contains(' ') {
        return false;
    }
    if s.contains('%') || s.contains('/') || s.contains("::") || s.ends_with(':') {
        return false;
    }
    if known_password(s) {
        return true;
    }
    let letters = s.chars().any(|c| c.is_ascii_alphabetic());
    let digits = s.chars().any(|c| c.is_ascii_digit());
    letters && digits && !identifier_like(s)
}

/// A C identifier with an underscore (`adc2_wifi_release`, `WIFI_PROV_EVENT`) or a lower-case
/// hyphenated tag (`arduino-esp32`): names in code and logs, not credentials.
fn identifier_like(s: &str) -> bool {
    let ident = s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let tag = s.contains('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    (ident && s.contains('_')) || tag
}

/// An SSID candidate: 1 to 32 printable characters, no format directive, not log text.
fn ssid_like(s: &str) -> bool {
    let n = s.len();
    (1..=32).contains(&n)
        && s.trim() == s
        && !s.contains('%')
        && !s.contains('/')
        && !s.ends_with(':')
        && !s.ends_with('.')
        && !s.contains(": ")
        && !identifier_like(s)
}

/// A password of the known default-credential lists (length ≥ 8, as WPA2 needs).
fn known_password(s: &str) -> bool {
    s.len() >= 8
        && iotassay_credentials::pairs()
            .iter()
            .any(|p| p.password == s)
}

/// Strings that show the surrounding literals belong to Wi-Fi code.
fn wifi_anchor(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    // Human text (a log or serial message), not a symbol or a format string.
    (l.contains("wifi") || l.contains("wi-fi") || l.contains("ssid") || l.contains("wlan"))
        && l.contains(' ')
        && !l.contains('%')
}

/// Literal pairs compiled from `WiFi.begin(ssid, password)`-style code: an SSID-like and a
/// passphrase-like string adjacent in the string pool, next to a string about Wi-Fi.
/// An SSID and a password literal next to a Wi-Fi string: (offset, text) of each.
#[derive(Debug)]
struct LiteralPair {
    ssid: (usize, String),
    password: (usize, String),
    anchor: (usize, String),
}

fn adjacent_pairs(data: &[u8]) -> Vec<LiteralPair> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for needle in [&b"WiFi"[..], b"wifi", b"Wi-Fi", b"SSID"] {
        for at in memmem::find_iter(data, needle).take(4096) {
            let around = neighbours(data, at, 3, 3);
            let Some(anchor_i) = around
                .iter()
                .position(|(o, s)| *o <= at && at < o + s.len() && wifi_anchor(s))
            else {
                continue;
            };
            let (anchor_at, anchor) = around[anchor_i].clone();
            // Pairs closest to the anchor first.
            let mut windows: Vec<usize> = (0..around.len().saturating_sub(1)).collect();
            windows.sort_by_key(|&i| {
                let (lo, hi) = (i, i + 1);
                if hi < anchor_i {
                    anchor_i - hi
                } else {
                    lo.saturating_sub(anchor_i)
                }
            });
            let mut paired = false;
            for i in windows {
                if paired {
                    break;
                }
                let ((a_at, a), (b_at, b)) = (&around[i], &around[i + 1]);
                if *a_at == anchor_at || *b_at == anchor_at {
                    continue;
                }
                // Either order: the compiler may place the password first.
                let pair = if passphrase_like(b) && ssid_like(a) && !passphrase_like(a) {
                    Some((*a_at, a.clone(), *b_at, b.clone()))
                } else if passphrase_like(a) && ssid_like(b) && !passphrase_like(b) {
                    Some((*b_at, b.clone(), *a_at, a.clone()))
                } else {
                    None
                };
                if let Some((s_at, ssid, p_at, pass)) = pair {
                    paired = true;
                    if seen.insert(p_at) {
                        out.push(LiteralPair {
                            ssid: (s_at, ssid),
                            password: (p_at, pass),
                            anchor: (anchor_at, anchor.clone()),
                        });
                    }
                }
            }
            if out.len() >= 16 {
                return out;
            }
        }
    }
    out
}

/// `wifi_config_t`-shaped data: a NUL-padded SSID in 32 bytes followed by a NUL-padded
/// passphrase in 64 (the `sta` / `ap` member as an initialiser copies it).
fn config_structs(data: &[u8]) -> Vec<(usize, String, String)> {
    let printable = |b: &u8| (0x20..0x7f).contains(b);
    let field = |f: &[u8], min: usize| -> Option<String> {
        let end = f.iter().position(|&b| b == 0)?;
        (end >= min && f[..end].iter().all(printable) && f[end..].iter().all(|&b| b == 0))
            .then(|| String::from_utf8_lossy(&f[..end]).into_owned())
    };
    let mut out = Vec::new();
    let mut at = 0;
    while at + 96 <= data.len() && out.len() < 16 {
        if printable(&data[at]) && (at == 0 || data[at - 1] == 0) {
            if let (Some(ssid), Some(pass)) = (
                field(&data[at..at + 32], 1),
                field(&data[at + 32..at + 96], 8),
            ) {
                if ssid_like(&ssid) && passphrase_like(&pass) {
                    out.push((at, ssid, pass));
                    at += 96;
                    continue;
                }
            }
        }
        at += 4;
    }
    out
}

/// Hard-coded Wi-Fi credentials in a microcontroller image.
pub struct WifiCredentials;

impl Check for WifiCredentials {
    fn id(&self) -> &'static str {
        "mcu.wifi_credentials"
    }
    fn title(&self) -> &'static str {
        "Wi-Fi credentials compiled into a microcontroller image"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.1-1", "5.4-3"]
    }
    fn coverage(&self, cx: &Context<'_>) -> Coverage {
        coverage(cx)
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for img in cx.inventory.mcu.iter().filter(|i| i.is_app()) {
            for seg in segments(cx, img) {
                let mut hits: Vec<(String, String, Vec<Evidence>)> = Vec::new();
                for LiteralPair {
                    ssid: (s_at, ssid),
                    password: (p_at, pass),
                    anchor: (a_at, anchor),
                } in adjacent_pairs(seg.data)
                {
                    hits.push((
                        ssid.clone(),
                        pass.clone(),
                        vec![
                            evidence(cx, img, &seg, p_at, &format!("password \"{pass}\"")),
                            evidence(cx, img, &seg, s_at, &format!("SSID \"{ssid}\"")),
                            evidence(cx, img, &seg, a_at, &format!("next to \"{anchor}\"")),
                        ],
                    ));
                }
                for (at, ssid, pass) in config_structs(seg.data) {
                    hits.push((
                        ssid.clone(),
                        pass.clone(),
                        vec![evidence(
                            cx,
                            img,
                            &seg,
                            at,
                            &format!("wifi_config_t-shaped: SSID \"{ssid}\" (32 bytes), password \"{pass}\" (64 bytes)"),
                        )],
                    ));
                }
                for (ssid, pass, ev) in hits {
                    let mut f = Finding::new(
                        self.id(),
                        self.provisions(),
                        Severity::High,
                        format!("Wi-Fi password \"{pass}\" (SSID \"{ssid}\") is compiled into the image"),
                        "The same network credential ships in every unit and can be read out of the \
                         flash by anyone holding one device; a credential in firmware is not unique \
                         per device and is not securely stored. Found as adjacent literal strings \
                         next to Wi-Fi code (how WiFi.begin(ssid, password) compiles) or as a \
                         wifi_config_t-shaped initialiser.",
                        "Provision Wi-Fi credentials at set-up (SoftAP / BLE provisioning, \
                         WiFiManager) and keep them in encrypted NVS; never compile them in.",
                    );
                    f.evidence = ev;
                    findings.push(f);
                }
            }
        }
        findings
    }
}

/// OTA mechanisms recognised by strings the libraries compile in.
const OTA_MARKS: &[(&[u8], &str)] = &[
    (b"esp_https_ota", "ESP-IDF esp_https_ota (HTTPS OTA)"),
    (b"HTTPUpdate", "Arduino HTTPUpdate"),
    (b"[httpUpdate]", "Arduino HTTPUpdate"),
    (b"ArduinoOTA", "ArduinoOTA (network upload from the IDE)"),
    (
        b"esp_ota_ops",
        "ESP-IDF OTA partition writer (esp_ota_ops; used by Arduino Update)",
    ),
];

/// The OTA mechanism of a microcontroller image and whether its images are signed.
pub struct Ota;

impl Check for Ota {
    fn id(&self) -> &'static str {
        "mcu.ota"
    }
    fn title(&self) -> &'static str {
        "Over-the-air update mechanism and image signing (microcontroller)"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.3-1", "5.3-2", "5.3-9", "5.7-1"]
    }
    fn coverage(&self, cx: &Context<'_>) -> Coverage {
        coverage(cx)
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for img in cx.inventory.mcu.iter().filter(|i| i.format == MCUBOOT) {
            let mut ev = img.evidence.clone();
            ev.text = Some(excerpt(&img.description));
            let f = if img.signed {
                Finding::new(
                    self.id(),
                    &["5.3-9"],
                    Severity::Info,
                    "MCUboot image carries a signature TLV",
                    "MCUboot verifies the signature before it boots or installs the image (when \
                     the boot loader is built with signature checking).",
                    "Keep the signing key off the build machines and out of the image.",
                )
            } else {
                Finding::new(
                    self.id(),
                    &["5.3-9", "5.7-1"],
                    Severity::Medium,
                    "MCUboot image is not signed (no signature TLV)",
                    "Without a signature TLV MCUboot can check only the image's hash, not who \
                     made it: any image with a correct hash is booted and installed.",
                    "Sign images (imgtool sign --key …) and build MCUboot with signature \
                     verification on.",
                )
            };
            findings.push(f.with_evidence(ev));
        }
        for img in cx
            .inventory
            .mcu
            .iter()
            .filter(|i| i.format != MCUBOOT && i.is_app())
        {
            let mut found: Vec<(&str, Evidence)> = Vec::new();
            for seg in segments(cx, img) {
                for (needle, name) in OTA_MARKS {
                    if found.iter().any(|(n, _)| n == name) {
                        continue;
                    }
                    if let Some(at) = memmem::find(seg.data, needle) {
                        let text = neighbours(seg.data, at, 0, 0)
                            .first()
                            .map(|(_, s)| s.clone())
                            .unwrap_or_default();
                        found.push((name, evidence(cx, img, &seg, at, &text)));
                    }
                }
            }
            if found.is_empty() {
                continue;
            }
            let names: Vec<&str> = found.iter().map(|(n, _)| *n).collect();
            let mut f = Finding::new(
                self.id(),
                &["5.3-1", "5.3-2"],
                Severity::Info,
                format!("OTA update mechanism: {}", names.join("; ")),
                "The image contains code that writes a new application image received over the \
                 network.",
                "Make sure updates are authenticated (signed images, secure boot) and delivered \
                 over a verified TLS connection.",
            );
            f.evidence = found.iter().map(|(_, e)| e.clone()).collect();
            findings.push(f);
            if !img.signed {
                let mut f = Finding::new(
                    self.id(),
                    &["5.3-9", "5.7-1"],
                    Severity::Medium,
                    format!(
                        "Over-the-air updates are not signed: the application image carries no secure boot v2 signature block ({})",
                        names.join("; ")
                    ),
                    "Without a signature block the boot loader and the OTA code can check only \
                     the image's SHA-256 (corruption), not who made it: anyone who can serve or \
                     intercept an update, or reach the OTA endpoint, can install their own firmware.",
                    "Enable secure boot v2 (or signed app images without hardware secure boot, \
                     CONFIG_SECURE_SIGNED_APPS_NO_SECURE_BOOT) so esp_ota and the boot loader \
                     verify the signature of every new image.",
                );
                let mut ev = img.evidence.clone();
                ev.text = Some(excerpt(&img.description));
                f.evidence.push(ev);
                f.evidence.extend(found.iter().map(|(_, e)| e.clone()));
                findings.push(f);
            }
        }
        findings
    }
}

/// Cleartext endpoints (http, mqtt, ws) in microcontroller images.
pub struct CleartextEndpoints;

impl Check for CleartextEndpoints {
    fn id(&self) -> &'static str {
        "mcu.cleartext_endpoint"
    }
    fn title(&self) -> &'static str {
        "Cleartext (http/mqtt/ws) endpoints in a microcontroller image"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.5-1"]
    }
    fn coverage(&self, cx: &Context<'_>) -> Coverage {
        coverage(cx)
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for img in cx.inventory.mcu.iter().filter(|i| i.is_app()) {
            let mut ev = Vec::new();
            let mut list = Vec::new();
            for seg in segments(cx, img) {
                for scheme in [&b"http://"[..], b"mqtt://", b"ws://"] {
                    for at in memmem::find_iter(seg.data, scheme).take(MAX_EVIDENCE) {
                        let Some((s_at, s)) = neighbours(seg.data, at, 0, 0).into_iter().next()
                        else {
                            continue;
                        };
                        for u in urls(&s, &["http", "mqtt", "ws"]) {
                            if is_local_host(&u.host)
                                || u.host.is_empty()
                                || u.host.contains('%')
                                || NAMESPACE_HOSTS.iter().any(|h| u.host.ends_with(h))
                                || list.contains(&u.text)
                            {
                                continue;
                            }
                            if ev.len() < MAX_EVIDENCE {
                                ev.push(evidence(cx, img, &seg, s_at + u.at, &u.text));
                            }
                            list.push(u.text);
                        }
                    }
                }
            }
            if list.is_empty() {
                continue;
            }
            let mut f = Finding::new(
                self.id(),
                self.provisions(),
                Severity::Low,
                format!(
                    "{} cleartext endpoint(s) in the image: {}",
                    list.len(),
                    crate::filescan::short_list(&list, 3)
                ),
                "Traffic to these endpoints is neither encrypted nor authenticated.",
                "Use https/mqtts/wss with certificate verification.",
            );
            f.evidence = ev;
            findings.push(f);
        }
        findings
    }
}

/// Formats whose files hold a microcontroller's stored settings.
const SETTINGS_FORMATS: &[&str] = &["esp-nvs", "littlefs"];

/// Key names of credentials, lower-case fragments.
const SECRET_KEYS: &[&str] = &[
    "pass", "pswd", "pwd", "psk", "secret", "token", "apikey", "api_key",
];

/// `key=value` (NVS text, INI) or `"key": "value"` (JSON) on one line.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let t = line.trim().trim_end_matches(',');
    if let Some(rest) = t.strip_prefix('"') {
        let (k, rest) = rest.split_once('"')?;
        let v = rest.trim_start().strip_prefix(':')?.trim();
        let v = v.strip_prefix('"')?.strip_suffix('"')?;
        return Some((k, v));
    }
    let (k, v) = t.split_once('=')?;
    (!k.contains(' ')).then_some((k.trim(), v.trim()))
}

/// Credentials in the settings a flash dump holds (NVS namespaces, LittleFS files).
pub struct StoredCredentials;

impl Check for StoredCredentials {
    fn id(&self) -> &'static str {
        "mcu.stored_credentials"
    }
    fn title(&self) -> &'static str {
        "Passwords and keys in a microcontroller's NVS or flash file system"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.1-1", "5.4-1"]
    }
    fn coverage(&self, cx: &Context<'_>) -> Coverage {
        coverage(cx)
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for node in &cx.manifest.nodes {
            let Some(data) = node.data.as_deref() else {
                continue;
            };
            let chain = cx.manifest.chain(node.region);
            let Some(fs) = chain
                .iter()
                .rev()
                .find(|r| SETTINGS_FORMATS.contains(&r.format.as_str()))
            else {
                continue;
            };
            if !crate::filescan::is_text(data) {
                continue;
            }
            for (n, line) in crate::filescan::lines(data) {
                let Some((key, value)) = key_value(&line) else {
                    continue;
                };
                let lower = key.to_ascii_lowercase();
                if value.is_empty() || !SECRET_KEYS.iter().any(|k| lower.contains(k)) {
                    continue;
                }
                let known = iotassay_credentials::pairs()
                    .iter()
                    .any(|p| p.password == value);
                let ev = Evidence {
                    node: node.path.clone(),
                    path: format!("{} {}", fs.format, node.inner_path),
                    line: Some(n),
                    offset: None,
                    text: Some(excerpt(&line)),
                    provenance: cx.manifest.provenance(node),
                };
                let (severity, title, provisions): (Severity, String, &[&str]) = if known {
                    (
                        Severity::High,
                        format!(
                            "Default password \"{value}\" for {key} in {} {}",
                            fs.format, node.inner_path
                        ),
                        &["5.1-1"],
                    )
                } else {
                    (
                        Severity::Medium,
                        format!(
                            "{key} stored in plaintext in {} {}",
                            fs.format, node.inner_path
                        ),
                        &["5.4-1"],
                    )
                };
                let mut f = Finding::new(
                    self.id(),
                    provisions,
                    severity,
                    title,
                    "A credential in the flash's settings is readable by anyone holding the device \
                     (NVS and LittleFS are not encrypted unless flash and NVS encryption are on); \
                     a password from the public default lists is the same on every unit.",
                    "Set credentials per device at first use, and enable flash encryption and NVS \
                     encryption so stored secrets cannot be read from the chip.",
                );
                f.evidence.push(ev);
                findings.push(f);
                if findings.len() >= MAX_EVIDENCE {
                    return findings;
                }
            }
        }
        findings
    }
}

/// Hosts that name XML namespaces and specifications, not endpoints.
const NAMESPACE_HOSTS: &[&str] = &["w3.org", "xmlsoap.org", "purl.org", "schemas.microsoft.com"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_next_to_wifi_strings() {
        let d = b"Failed\0Panda1234\0Programming\0Connected to WiFi\0Start OTA\0";
        let p = adjacent_pairs(d);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].ssid.1, "Programming");
        assert_eq!(p[0].password.1, "Panda1234");
        assert_eq!(p[0].anchor.1, "Connected to WiFi");
        // No Wi-Fi string nearby: nothing.
        let d = b"Failed\0Panda1234\0Programming\0Connected to server\0Start OTA\0";
        assert!(adjacent_pairs(d).is_empty());
        // Log text is not a credential.
        let d = b"Start update\0Connecting to WiFi...\0Connected to WiFi\0IP Address: \0";
        assert!(adjacent_pairs(d).is_empty());
    }

    #[test]
    fn wifi_config_struct() {
        let mut d = vec![0u8; 200];
        d[8..12].copy_from_slice(b"home");
        d[40..52].copy_from_slice(b"s3cretPass99");
        let s = config_structs(&d);
        assert_eq!(s, vec![(8, "home".to_string(), "s3cretPass99".to_string())]);
        d[45] = 0x01;
        assert!(config_structs(&d).is_empty());
    }

    #[test]
    fn settings_lines() {
        assert_eq!(
            key_value("sta.pswd=Panda1234"),
            Some(("sta.pswd", "Panda1234"))
        );
        assert_eq!(
            key_value("  \"admin_password\": \"admin\","),
            Some(("admin_password", "admin"))
        );
        assert_eq!(key_value("just text = here"), None);
    }

    #[test]
    fn hostile_neighbours_never_panic() {
        for d in [&b""[..], b"\0", b"abc", b"\0\0\0\0\0a", b"a\0\0\0\0\0"] {
            for at in 0..d.len() {
                let _ = neighbours(d, at, 3, 3);
            }
            let _ = adjacent_pairs(d);
            let _ = config_structs(d);
        }
    }
}
