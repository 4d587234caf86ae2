//! The HTML report and the label in a real browser: headless Chromium (Debian's `chromium`, which
//! `scripts/test` installs; `IOTASSAY_CHROMIUM` names another binary). The screenshot must show the
//! scorecard in its colours, the DOM after the script ran must hold the filtered findings, and the
//! page must log nothing to the console (no script error, no CSP violation).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{declared, text};
use iotassay_checks::GuidelineStatus;
use iotassay_report::html::{status_colour, FAIL_RGB, PARTIAL_RGB};
use iotassay_report::Format;

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("IOTASSAY_CHROMIUM") {
        return PathBuf::from(p);
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::var("PATH").unwrap_or_default().split(':') {
            let p = Path::new(dir).join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!("headless Chromium is needed: apt-get install chromium (as scripts/test does), or set IOTASSAY_CHROMIUM");
}

struct Run {
    stdout: String,
    /// Console messages the page logged (Chromium prints them as `INFO:CONSOLE` lines).
    console: Vec<String>,
}

/// Run headless Chromium on a file with extra arguments (a fresh profile each time; root needs
/// `--no-sandbox`; nothing may reach the network).
fn browse(file: &Path, query: &str, args: &[&str]) -> Run {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--force-color-profile=srgb",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}{query}", file.display()))
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {stderr}");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        console: stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .map(str::to_string)
            .collect(),
    }
}

/// Decoded RGB(A) pixels of a PNG: (width, height, channels, bytes).
fn decode(path: &Path) -> (usize, usize, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, channels, buf)
}

/// Pixels of exactly `rgb`, and the topmost row one appears in.
fn colour(shot: &(usize, usize, usize, Vec<u8>), rgb: [u8; 3]) -> (usize, Option<usize>) {
    let (w, _, ch, px) = shot;
    let mut n = 0;
    let mut top = None;
    for (i, p) in px.chunks_exact(*ch).enumerate() {
        if p[..3] == rgb {
            n += 1;
            top.get_or_insert(i / w);
        }
    }
    (n, top)
}

#[test]
fn the_console_check_sees_errors() {
    // The detector the other tests rely on: a page with a script error is caught.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><p>x</p><script>undefinedFunction();</script>",
    )
    .unwrap();
    let run = browse(&page, "", &["--dump-dom"]);
    assert!(
        run.console
            .iter()
            .any(|l| l.contains("Uncaught ReferenceError")),
        "{:?}",
        run.console
    );
}

#[test]
fn the_report_renders_with_its_scorecard() {
    let a = declared();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, text(&a, Format::Html, "report.html")).unwrap();

    // The screenshot: the top of the page is the scorecard in its three colours.
    let shot = dir.path().join("report.png");
    let run = browse(
        &page,
        "",
        &[
            "--window-size=1280,900",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    assert!(run.console.is_empty(), "console: {:#?}", run.console);
    let img = decode(&shot);
    assert_eq!((img.0, img.1), (1280, 900));
    // A tile is about 240×110 px, in its status's colour; green only for pass. The declared
    // OpenWrt 12.09 fails some guidelines, has others partly assessed (2: only 5.2-3 examined)
    // and leaves 9, 10 and 12 not assessed.
    let tiles =
        |status: GuidelineStatus| a.guidelines.iter().filter(|g| g.status == status).count();
    assert!(tiles(GuidelineStatus::Fail) > 0);
    assert!(tiles(GuidelineStatus::Partial) > 0);
    assert!(tiles(GuidelineStatus::NotAssessed) > 0);
    for status in GuidelineStatus::ALL {
        let (n, _) = colour(&img, status_colour(status));
        let count = tiles(status);
        if count == 0 {
            assert_eq!(n, 0, "{status:?}: no tile, yet its colour is painted");
        } else {
            assert!(
                n > count * 12_000,
                "{status:?}: {n} pixels for {count} tiles"
            );
        }
    }
    // Guideline 1 fails and 2 is partly assessed: the first row holds both; 9 (not assessed) is
    // further down.
    assert_eq!(a.guidelines[0].status, GuidelineStatus::Fail);
    assert_eq!(a.guidelines[1].status, GuidelineStatus::Partial);
    assert_eq!(a.guidelines[8].status, GuidelineStatus::NotAssessed);
    let top = |rgb| colour(&img, rgb).1.unwrap();
    let (fail_top, partial_top) = (top(FAIL_RGB), top(PARTIAL_RGB));
    let na_top = top(status_colour(GuidelineStatus::NotAssessed));
    assert!(
        fail_top < 300 && fail_top.abs_diff(partial_top) < 4,
        "{fail_top} {partial_top}"
    );
    assert!(na_top > fail_top + 80, "{na_top} {fail_top}");

    // The DOM after the script ran, filtered from the address: only critical findings and only
    // failing provisions shown.
    let run = browse(&page, "?severity=critical&verdict=fail", &["--dump-dom"]);
    assert!(run.console.is_empty(), "console: {:#?}", run.console);
    let dom = run.stdout;
    assert!(dom.contains("data-js=\"ready\""), "the script did not run");
    let critical = a
        .findings
        .iter()
        .filter(|f| f.severity.as_str() == "critical")
        .count();
    assert!(critical > 0);
    assert!(
        dom.contains(&format!(
            "{critical} of {} findings shown",
            a.findings.len()
        )),
        "no count in the DOM"
    );
    assert_eq!(
        dom.matches("<article class=\"finding ").count(),
        a.findings.len()
    );
    assert_eq!(
        dom.matches("data-severity=\"medium\" data-guidelines=")
            .count(),
        a.findings
            .iter()
            .filter(|f| f.severity.as_str() == "medium")
            .count()
    );
    // Hidden findings carry the attribute; the critical one does not.
    let hidden_articles = dom
        .split("<article ")
        .skip(1)
        .filter(|a| a.split('>').next().unwrap_or("").contains(" hidden"))
        .count();
    assert_eq!(hidden_articles, a.findings.len() - critical);
    let failing = a
        .verdicts
        .provisions
        .iter()
        .filter(|p| p.verdict == iotassay_checks::Verdict::Fail)
        .count();
    assert!(failing > 0);
    assert!(
        dom.contains(&format!(
            "{failing} of {} provisions shown",
            a.verdicts.provisions.len()
        )),
        "no provision count in the DOM"
    );
    let visible_rows = dom
        .split("<tr data-verdict=")
        .skip(1)
        .filter(|r| !r.split('>').next().unwrap_or("").contains(" hidden"))
        .collect::<Vec<_>>();
    assert_eq!(visible_rows.len(), failing);
    assert!(visible_rows.iter().all(|r| r.starts_with("\"fail\"")));
    assert!(dom.contains("telnetd is started at boot while root has no password"));
    assert!(dom.contains("UK Code of Practice: the 13 guidelines"));
}

#[test]
fn the_label_renders() {
    let a = declared();
    let dir = tempfile::tempdir().unwrap();
    for (file, size) in [("label.svg", "440,600"), ("label.html", "440,760")] {
        let path = dir.path().join(file);
        std::fs::write(&path, text(&a, Format::Label, file)).unwrap();
        let shot = dir.path().join(format!("{file}.png"));
        let run = browse(
            &path,
            "",
            &[
                &format!("--window-size={size}"),
                &format!("--screenshot={}", shot.display()),
            ],
        );
        assert!(run.console.is_empty(), "{file}: {:#?}", run.console);
        let img = decode(&shot);
        // The 13 scorecard cells are drawn (each about 28×28 px) in their status's colour.
        for status in GuidelineStatus::ALL {
            let cells = a.guidelines.iter().filter(|g| g.status == status).count();
            let (n, _) = colour(&img, status_colour(status));
            assert!(
                n >= cells * 300,
                "{file}: {status:?}: {n} pixels for {cells} cells"
            );
        }
    }
}
