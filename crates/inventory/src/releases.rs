//! Upstream release history of the components firmware carries most, compiled in so an image's
//! components can be dated offline: "this BusyBox series was superseded N years before the image
//! was built".
//!
//! Every date here is a conservative upper bound on when the version was current, so an age
//! computed from it is a lower bound:
//! - Linux: the series' end of life for long-term series (kernel.org), else the release of the
//!   next mainline series (non-long-term series stop receiving fixes within weeks of it);
//! - BusyBox: the release of the next minor series (busybox.net news);
//! - OpenSSL: the series' end of life (openssl.org release strategy); a version string that
//!   carries its own release date ("OpenSSL 0.9.8zh 3 Dec 2015") is not needed: the series' end
//!   of life is the later, conservative date;
//! - dropbear: versions are `YEAR.N`, so the 31 December of that year.
//!
//! Series still maintained on [`TABLE_DATE`] are never reported as superseded.

/// When the tables below were last brought up to date.
pub const TABLE_DATE: &str = "2025-10-01";

/// Why a version is no longer current, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Superseded {
    /// `YYYY-MM-DD`: from this day on, the version was no longer the current one of its line.
    pub since: String,
    /// The series it belongs to (`1.19`, `0.9.8`, `3.3`).
    pub series: String,
    /// How `since` is known, for the evidence ("the 1.19 series was superseded by 1.20.0").
    pub why: String,
}

/// Linux long-term series and their end of life.
const LINUX_EOL: &[(&str, &str)] = &[
    ("2.6.16", "2008-07-21"),
    ("2.6.27", "2012-03-17"),
    ("2.6.32", "2016-03-12"),
    ("2.6.34", "2014-02-10"),
    ("2.6.35", "2012-03-01"),
    ("3.0", "2013-10-22"),
    ("3.2", "2018-06-01"),
    ("3.4", "2016-10-26"),
    ("3.10", "2017-11-04"),
    ("3.12", "2017-05-10"),
    ("3.14", "2016-09-11"),
    ("3.16", "2020-06-11"),
    ("3.18", "2017-02-08"),
    ("4.1", "2018-05-28"),
    ("4.4", "2022-02-03"),
    ("4.9", "2023-01-07"),
    ("4.14", "2024-01-10"),
    ("4.19", "2024-12-05"),
];

/// Linux mainline series and the day each was released.
const LINUX_RELEASES: &[(&str, &str)] = &[
    ("2.6.11", "2005-03-02"),
    ("2.6.12", "2005-06-17"),
    ("2.6.13", "2005-08-28"),
    ("2.6.14", "2005-10-27"),
    ("2.6.15", "2006-01-02"),
    ("2.6.16", "2006-03-19"),
    ("2.6.17", "2006-06-17"),
    ("2.6.18", "2006-09-19"),
    ("2.6.19", "2006-11-29"),
    ("2.6.20", "2007-02-04"),
    ("2.6.21", "2007-04-25"),
    ("2.6.22", "2007-07-08"),
    ("2.6.23", "2007-10-09"),
    ("2.6.24", "2008-01-24"),
    ("2.6.25", "2008-04-16"),
    ("2.6.26", "2008-07-13"),
    ("2.6.27", "2008-10-09"),
    ("2.6.28", "2008-12-24"),
    ("2.6.29", "2009-03-23"),
    ("2.6.30", "2009-06-09"),
    ("2.6.31", "2009-09-09"),
    ("2.6.32", "2009-12-02"),
    ("2.6.33", "2010-02-24"),
    ("2.6.34", "2010-05-16"),
    ("2.6.35", "2010-08-01"),
    ("2.6.36", "2010-10-20"),
    ("2.6.37", "2011-01-04"),
    ("2.6.38", "2011-03-14"),
    ("2.6.39", "2011-05-18"),
    ("3.0", "2011-07-21"),
    ("3.1", "2011-10-24"),
    ("3.2", "2012-01-04"),
    ("3.3", "2012-03-18"),
    ("3.4", "2012-05-20"),
    ("3.5", "2012-07-21"),
    ("3.6", "2012-09-30"),
    ("3.7", "2012-12-10"),
    ("3.8", "2013-02-18"),
    ("3.9", "2013-04-28"),
    ("3.10", "2013-06-30"),
    ("3.11", "2013-09-02"),
    ("3.12", "2013-11-03"),
    ("3.13", "2014-01-19"),
    ("3.14", "2014-03-30"),
    ("3.15", "2014-06-08"),
    ("3.16", "2014-08-03"),
    ("3.17", "2014-10-05"),
    ("3.18", "2014-12-07"),
    ("3.19", "2015-02-08"),
    ("4.0", "2015-04-12"),
    ("4.1", "2015-06-21"),
    ("4.2", "2015-08-30"),
    ("4.3", "2015-11-01"),
    ("4.4", "2016-01-10"),
    ("4.5", "2016-03-13"),
    ("4.6", "2016-05-15"),
    ("4.7", "2016-07-24"),
    ("4.8", "2016-10-02"),
    ("4.9", "2016-12-11"),
    ("4.10", "2017-02-19"),
    ("4.11", "2017-04-30"),
    ("4.12", "2017-07-02"),
    ("4.13", "2017-09-03"),
    ("4.14", "2017-11-12"),
    ("4.15", "2018-01-28"),
    ("4.16", "2018-04-01"),
    ("4.17", "2018-06-03"),
    ("4.18", "2018-08-12"),
    ("4.19", "2018-10-22"),
    ("4.20", "2018-12-23"),
    ("5.0", "2019-03-03"),
    ("5.1", "2019-05-05"),
    ("5.2", "2019-07-07"),
    ("5.3", "2019-09-15"),
    ("5.4", "2019-11-24"),
    ("5.5", "2020-01-26"),
    ("5.6", "2020-03-29"),
    ("5.7", "2020-05-31"),
    ("5.8", "2020-08-02"),
    ("5.9", "2020-10-11"),
    ("5.10", "2020-12-13"),
    ("5.11", "2021-02-14"),
    ("5.12", "2021-04-25"),
    ("5.13", "2021-06-27"),
    ("5.14", "2021-08-29"),
    ("5.15", "2021-10-31"),
    ("5.16", "2022-01-09"),
    ("5.17", "2022-03-20"),
    ("5.18", "2022-05-22"),
    ("5.19", "2022-07-31"),
    ("6.0", "2022-10-02"),
    ("6.1", "2022-12-11"),
    ("6.2", "2023-02-19"),
    ("6.3", "2023-04-23"),
    ("6.4", "2023-06-25"),
    ("6.5", "2023-08-27"),
    ("6.6", "2023-10-30"),
    ("6.7", "2024-01-07"),
    ("6.8", "2024-03-10"),
    ("6.9", "2024-05-12"),
    ("6.10", "2024-07-14"),
    ("6.11", "2024-09-15"),
    ("6.12", "2024-11-17"),
    ("6.13", "2025-01-19"),
    ("6.14", "2025-03-24"),
    ("6.15", "2025-05-25"),
    ("6.16", "2025-07-27"),
];

/// Linux long-term series still maintained on [`TABLE_DATE`].
const LINUX_MAINTAINED: &[&str] = &["5.4", "5.10", "5.15", "6.1", "6.6", "6.12"];

/// BusyBox minor series and the day each was first released.
const BUSYBOX_RELEASES: &[(&str, &str)] = &[
    ("1.0", "2004-10-13"),
    ("1.1", "2006-01-11"),
    ("1.2", "2006-07-01"),
    ("1.3", "2006-12-12"),
    ("1.4", "2007-01-24"),
    ("1.5", "2007-03-22"),
    ("1.6", "2007-06-01"),
    ("1.7", "2007-08-24"),
    ("1.8", "2007-11-04"),
    ("1.9", "2007-12-24"),
    ("1.10", "2008-03-21"),
    ("1.11", "2008-06-25"),
    ("1.12", "2008-09-28"),
    ("1.13", "2008-11-29"),
    ("1.14", "2009-04-13"),
    ("1.15", "2009-08-21"),
    ("1.16", "2010-01-25"),
    ("1.17", "2010-07-06"),
    ("1.18", "2010-11-22"),
    ("1.19", "2011-08-10"),
    ("1.20", "2012-04-22"),
    ("1.21", "2013-01-21"),
    ("1.22", "2014-01-01"),
    ("1.23", "2014-12-22"),
    ("1.24", "2015-10-11"),
    ("1.25", "2016-06-22"),
    ("1.26", "2016-12-20"),
    ("1.27", "2017-07-01"),
    ("1.28", "2017-12-31"),
    ("1.29", "2018-06-22"),
    ("1.30", "2018-12-31"),
    ("1.31", "2019-06-10"),
    ("1.32", "2020-06-26"),
    ("1.33", "2021-05-03"),
    ("1.34", "2021-08-19"),
    ("1.35", "2021-12-26"),
    ("1.36", "2023-01-03"),
    ("1.37", "2024-09-26"),
];

/// OpenSSL series and their end of life.
const OPENSSL_EOL: &[(&str, &str)] = &[
    ("0.9.6", "2004-03-17"),
    ("0.9.7", "2007-02-23"),
    ("0.9.8", "2015-12-31"),
    ("1.0.0", "2015-12-31"),
    ("1.0.1", "2016-12-31"),
    ("1.0.2", "2019-12-31"),
    ("1.1.0", "2019-09-11"),
    ("1.1.1", "2023-09-11"),
    ("3.1", "2025-03-14"),
];

/// Numeric dot-separated prefix of a version: `1.19.4-r2` → `[1, 19, 4]`, `0.9.8zh` → `[0, 9, 8]`.
fn numbers(version: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in version.split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        let Ok(n) = digits.parse() else { break };
        out.push(n);
        if digits.len() != part.len() {
            break;
        }
    }
    out
}

fn series_of(version: &str, parts: usize) -> Option<String> {
    let n = numbers(version);
    (n.len() >= parts).then(|| {
        n[..parts]
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".")
    })
}

/// The entry after `series` in a release list: the series that superseded it.
fn next_after<'a>(list: &'a [(&'a str, &'a str)], series: &str) -> Option<&'a (&'a str, &'a str)> {
    let at = list.iter().position(|(s, _)| *s == series)?;
    list.get(at + 1)
}

/// Since when `version` of component `name` (canonical inventory name) has not been current, when
/// the tables know; `None` when unknown or still maintained.
pub fn superseded(name: &str, version: &str) -> Option<Superseded> {
    match name {
        "linux" | "linux-kernel" | "kernel" => {
            // 2.6.x series are named by three numbers, later ones by two.
            let series = if version.starts_with("2.6.") {
                series_of(version, 3)?
            } else {
                series_of(version, 2)?
            };
            if LINUX_MAINTAINED.contains(&series.as_str()) {
                return None;
            }
            if let Some((_, eol)) = LINUX_EOL.iter().find(|(s, _)| *s == series) {
                return Some(Superseded {
                    since: eol.to_string(),
                    series: series.clone(),
                    why: format!("the long-term Linux {series} series reached its end of life"),
                });
            }
            let (next, date) = next_after(LINUX_RELEASES, &series)?;
            Some(Superseded {
                since: date.to_string(),
                why: format!("the Linux {series} series was superseded by {next}"),
                series,
            })
        }
        "busybox" => {
            let n = numbers(version);
            // 1.00 was the first 1.x release; its series is "1.0".
            let series = match n.as_slice() {
                [1, 0, ..] => "1.0".to_string(),
                _ => series_of(version, 2)?,
            };
            let (next, date) = next_after(BUSYBOX_RELEASES, &series)?;
            Some(Superseded {
                since: date.to_string(),
                why: format!("the BusyBox {series} series was superseded by {next}.0"),
                series,
            })
        }
        "openssl" => {
            let n = numbers(version);
            let series = if n.first() == Some(&0) || n.first() == Some(&1) {
                series_of(version, 3)?
            } else {
                series_of(version, 2)?
            };
            let (_, eol) = OPENSSL_EOL.iter().find(|(s, _)| *s == series)?;
            Some(Superseded {
                since: eol.to_string(),
                why: format!("the OpenSSL {series} series reached its end of life"),
                series,
            })
        }
        "dropbear" => {
            let year = numbers(version).first().copied()?;
            if !(2003..=2100).contains(&year) {
                // Pre-2011 versions (0.46 …) are not year-numbered; 0.x all predate 2008.
                return version.starts_with("0.").then(|| Superseded {
                    since: "2007-12-31".into(),
                    series: "0.x".into(),
                    why: "dropbear 0.x versions predate the 2008 releases".into(),
                });
            }
            Some(Superseded {
                since: format!("{year}-12-31"),
                series: year.to_string(),
                why: format!(
                    "dropbear versions are numbered by year: {version} was released in {year}"
                ),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busybox_series() {
        let s = superseded("busybox", "1.19.4").unwrap();
        assert_eq!(
            (s.series.as_str(), s.since.as_str()),
            ("1.19", "2012-04-22")
        );
        assert_eq!(superseded("busybox", "1.00").unwrap().since, "2006-01-11");
        assert_eq!(superseded("busybox", "1.00-pre10").unwrap().series, "1.0");
        // The newest series in the table is not known to be superseded.
        assert_eq!(superseded("busybox", "1.37.0"), None);
        assert_eq!(superseded("busybox", "banana"), None);
    }

    #[test]
    fn linux_long_term_and_mainline() {
        let lts = superseded("linux", "4.4.198").unwrap();
        assert_eq!(lts.since, "2022-02-03");
        assert!(lts.why.contains("long-term"));
        let mainline = superseded("linux", "3.3.8").unwrap();
        assert_eq!(
            (mainline.series.as_str(), mainline.since.as_str()),
            ("3.3", "2012-05-20")
        );
        assert_eq!(superseded("linux", "2.6.36").unwrap().since, "2011-01-04");
        assert_eq!(
            superseded("linux", "2.6.32.68").unwrap().since,
            "2016-03-12"
        );
        assert_eq!(superseded("linux", "6.6.30"), None);
        assert_eq!(superseded("linux", "9.1"), None);
    }

    #[test]
    fn openssl_and_dropbear() {
        assert_eq!(
            superseded("openssl", "0.9.8zh").unwrap().since,
            "2015-12-31"
        );
        assert_eq!(superseded("openssl", "0.9.7f").unwrap().since, "2007-02-23");
        assert_eq!(superseded("openssl", "1.0.2k").unwrap().series, "1.0.2");
        assert_eq!(superseded("openssl", "3.0.13"), None);
        assert_eq!(
            superseded("dropbear", "2012.55").unwrap().since,
            "2012-12-31"
        );
        assert_eq!(superseded("dropbear", "0.46").unwrap().since, "2007-12-31");
        assert_eq!(superseded("zlib", "1.2.3"), None);
    }
}
