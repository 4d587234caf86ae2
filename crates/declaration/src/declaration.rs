//! The manufacturer's declaration: what the maker states about the product that firmware analysis
//! cannot see (support period, disclosure contact, per-provision applicability) plus the
//! TS 103 701 IXIT-style facts the checks compare evidence against (passwords, updates,
//! interfaces, sensors, personal data, telemetry, factory reset).
//!
//! Written in TOML. Unknown keys are errors (a misspelt key would otherwise silently drop a
//! statement), and every error carries the line and column `toml` reports.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The annotated template written by `iotassay declaration init` (also `docs/declaration.example.toml`).
pub const TEMPLATE: &str = include_str!("../../../docs/declaration.example.toml");

/// Bound on the declaration's size: it is a hand-written document, and `toml` builds it in memory.
pub const MAX_SIZE: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declaration {
    pub product: Product,
    pub support_period: SupportPeriod,
    pub vulnerability_disclosure: VulnerabilityDisclosure,
    pub passwords: Passwords,
    pub update: Update,
    pub factory_reset: FactoryReset,
    /// The UK authorised representative, when the manufacturer appointed one (PSTI Sch. 4 para 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uk_representative: Option<Party>,
    /// Who issues the PSTI statement of compliance, and where and when (PSTI Sch. 4 paras 3, 6, 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_of_compliance: Option<StatementOfCompliance>,
    #[serde(default, rename = "interface")]
    pub interfaces: Vec<Interface>,
    #[serde(default, rename = "sensor")]
    pub sensors: Vec<Sensor>,
    #[serde(default)]
    pub personal_data: Vec<PersonalData>,
    #[serde(default)]
    pub telemetry: Vec<Telemetry>,
    /// Per-provision statements (the EN 303 645 Annex B ICS), keyed by provision id.
    #[serde(default, rename = "provision")]
    pub provisions: BTreeMap<ProvisionKey, ProvisionStatement>,
}

/// Product identification (TS 103 701 "DUT Identification"; PSTI statement of compliance Sch. 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub name: String,
    pub model: String,
    pub hardware_version: String,
    pub software_version: String,
    /// The product type as the statement of compliance names it ("smart security camera").
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Batches the declaration covers (PSTI Sch. 4 para 1: "product type and batch").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub batch: Vec<String>,
    /// The privacy information consumers are pointed to (https URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_policy: Option<HttpsUrl>,
    pub manufacturer: Manufacturer,
}

/// An `https://` URL, checked when read so the error points at the value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct HttpsUrl(pub String);

impl<'de> Deserialize<'de> for HttpsUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<HttpsUrl, D::Error> {
        let url = String::deserialize(d)?;
        let ok = url.len() > "https://".len()
            && url
                .get(..8)
                .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
            && !url.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            return Err(serde::de::Error::custom(format!(
                "{url:?}: must be an https:// URL"
            )));
        }
        Ok(HttpsUrl(url))
    }
}

/// A legal person with a postal address (PSTI Sch. 4 para 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub name: String,
    pub address: String,
}

/// What PSTI Sch. 4 needs beyond the product and support period: who prepared and signs the
/// statement of compliance, and where and when it is issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementOfCompliance {
    /// Who prepared it: the manufacturer itself, or the person acting on its behalf (para 3).
    pub prepared_by: String,
    /// True when `prepared_by` acts on behalf of the manufacturer rather than being it.
    #[serde(default)]
    pub on_behalf_of_manufacturer: bool,
    /// The signatory's name and function (para 6).
    pub signatory_name: String,
    pub signatory_function: String,
    /// Place and date of issue (para 7).
    pub place_of_issue: String,
    pub date_of_issue: Date,
}

/// The manufacturer: legal name and postal address (PSTI Sch. 4 para 2).
pub type Manufacturer = Party;

/// A calendar date written `YYYY-MM-DD` (a TOML date or a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub time::Date);

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        )
    }
}

impl Date {
    pub fn parse(s: &str) -> Result<Date, String> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(s, &format)
            .map(Date)
            .map_err(|e| format!("invalid date {s:?}: expected YYYY-MM-DD ({e})"))
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Toml(toml::value::Datetime),
            Text(String),
        }
        let text = match Repr::deserialize(d)
            .map_err(|_| serde::de::Error::custom("expected a date YYYY-MM-DD"))?
        {
            Repr::Toml(dt) if dt.time.is_none() && dt.offset.is_none() => dt.to_string(),
            Repr::Toml(dt) => {
                return Err(serde::de::Error::custom(format!(
                    "expected a date YYYY-MM-DD, not the date-time {dt}"
                )))
            }
            Repr::Text(s) => s,
        };
        Date::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The defined support period (PSTI Sch. 1 para 3; EN 303 645 5.3-13): an end date, or a start
/// date and a length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawSupportPeriod")]
pub struct SupportPeriod {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub years: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub months: Option<u16>,
    /// Where the period is published (the page a consumer sees).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSupportPeriod {
    end_date: Option<Date>,
    start: Option<Date>,
    years: Option<u16>,
    months: Option<u16>,
    published_at: Option<String>,
}

impl TryFrom<RawSupportPeriod> for SupportPeriod {
    type Error = String;
    fn try_from(r: RawSupportPeriod) -> Result<Self, String> {
        let period = r.years.is_some() || r.months.is_some();
        match (r.end_date.is_some(), r.start.is_some(), period) {
            (true, false, false) | (false, true, true) => {}
            (true, _, _) => return Err(
                "support_period: give either `end_date` or `start` with `years`/`months`, not both"
                    .into(),
            ),
            (false, true, false) => {
                return Err(
                    "support_period: `start` needs a length (`years` and/or `months`)".into(),
                )
            }
            (false, false, true) => {
                return Err("support_period: a length needs a `start` date".into())
            }
            (false, false, false) => {
                return Err(
                    "support_period: missing `end_date` (or `start` with `years`/`months`)".into(),
                )
            }
        }
        let p = SupportPeriod {
            end_date: r.end_date,
            start: r.start,
            years: r.years,
            months: r.months,
            published_at: r.published_at,
        };
        if p.start.is_some() && p.end().is_none() {
            return Err("support_period: the period ends beyond the representable dates".into());
        }
        Ok(p)
    }
}

impl SupportPeriod {
    /// The last day security updates are promised for.
    pub fn end(&self) -> Option<Date> {
        if let Some(end) = self.end_date {
            return Some(end);
        }
        let start = self.start?.0;
        let months = u32::from(self.years.unwrap_or(0)) * 12 + u32::from(self.months.unwrap_or(0));
        let total = i64::from(start.year()) * 12 + i64::from(u8::from(start.month())) - 1
            + i64::from(months);
        let year = i32::try_from(total.div_euclid(12)).ok()?;
        let month = time::Month::try_from(u8::try_from(total.rem_euclid(12) + 1).ok()?).ok()?;
        let day = start.day().min(month.length(year));
        // The period covers `months` from the start: it ends the day before the same date.
        time::Date::from_calendar_date(year, month, day)
            .ok()?
            .previous_day()
            .map(Date)
    }
}

/// How vulnerabilities are reported (PSTI Sch. 1 para 2; EN 303 645 5.2-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawDisclosure")]
pub struct VulnerabilityDisclosure {
    /// Contact URIs (`mailto:`, `https:`, `tel:`), most preferred first.
    pub contact: Vec<String>,
    /// The vulnerability disclosure policy page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// When a reporter gets an acknowledgement of receipt (PSTI para 2), e.g. "within 5 working days".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledgement: Option<String>,
    /// When a reporter gets status updates until resolution (PSTI para 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_updates: Option<String>,
    /// Path (relative to the declaration) of the product's security.txt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_txt: Option<String>,
    /// The security.txt text itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_txt_inline: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDisclosure {
    contact: Vec<ContactUri>,
    policy: Option<String>,
    acknowledgement: Option<String>,
    status_updates: Option<String>,
    security_txt: Option<String>,
    security_txt_inline: Option<String>,
}

impl TryFrom<RawDisclosure> for VulnerabilityDisclosure {
    type Error = String;
    fn try_from(r: RawDisclosure) -> Result<Self, String> {
        if r.contact.is_empty() {
            return Err(
                "vulnerability_disclosure.contact: at least one contact is required".into(),
            );
        }
        if let Some(p) = &r.policy {
            if !p.to_ascii_lowercase().starts_with("https://") {
                return Err(format!(
                    "vulnerability_disclosure.policy {p:?}: must be an https:// URL"
                ));
            }
        }
        if r.security_txt.is_some() && r.security_txt_inline.is_some() {
            return Err(
                "vulnerability_disclosure: give `security_txt` or `security_txt_inline`, not both"
                    .into(),
            );
        }
        Ok(VulnerabilityDisclosure {
            contact: r.contact.into_iter().map(|c| c.0).collect(),
            policy: r.policy,
            acknowledgement: r.acknowledgement,
            status_updates: r.status_updates,
            security_txt: r.security_txt,
            security_txt_inline: r.security_txt_inline,
        })
    }
}

/// A contact checked when read, so an error points at the value itself.
struct ContactUri(String);

impl<'de> Deserialize<'de> for ContactUri {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ContactUri, D::Error> {
        let c = String::deserialize(d)?;
        let scheme = c.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        if !matches!(scheme.as_deref(), Some("mailto" | "https" | "tel")) {
            return Err(serde::de::Error::custom(format!(
                "vulnerability_disclosure.contact {c:?}: use a mailto:, https: or tel: URI"
            )));
        }
        Ok(ContactUri(c))
    }
}

impl VulnerabilityDisclosure {
    /// The declared security.txt: the inline text, or the file named by `security_txt` resolved
    /// against the declaration's folder (read with the validator's size bound). `None` when neither
    /// is given.
    pub fn security_txt_bytes(
        &self,
        declaration_dir: &std::path::Path,
    ) -> Option<std::io::Result<Result<Vec<u8>, crate::securitytxt::InputError>>> {
        if let Some(text) = &self.security_txt_inline {
            return Some(Ok(Ok(text.as_bytes().to_vec())));
        }
        let path = declaration_dir.join(self.security_txt.as_ref()?);
        Some(crate::securitytxt::read_bounded(&path))
    }
}

/// The declared security.txt, read and validated: what `declaration check` prints and `scan
/// --declaration` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityTxtCheck {
    /// Where it was read from: the path resolved against the declaration's folder, or
    /// `security_txt_inline`.
    pub source: String,
    /// Why it could not be read or validated, when it could not (`No such file or directory (os
    /// error 2)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The RFC 9116 report with the cross-checks against the declaration, when it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<crate::securitytxt::Report>,
}

impl SecurityTxtCheck {
    /// One line for people: `security.txt: cannot read: …`, `security.txt: 2 errors, 1
    /// recommendation`, `security.txt: valid`.
    pub fn summary(&self) -> String {
        use crate::securitytxt::Severity;
        if let Some(e) = &self.error {
            return format!(
                "the declared security.txt {} cannot be read: {e}",
                self.source
            );
        }
        let Some(report) = &self.report else {
            return format!("the declared security.txt {} was not read", self.source);
        };
        let count = |sev: Severity| report.problems.iter().filter(|p| p.severity == sev).count();
        let (errors, recommendations) = (count(Severity::Error), count(Severity::Recommendation));
        if errors == 0 && recommendations == 0 {
            return format!("the declared security.txt {} is valid", self.source);
        }
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let mut s = format!(
            "the declared security.txt {} has {errors} error{} and {recommendations} \
             recommendation{} (RFC 9116)",
            self.source,
            plural(errors),
            plural(recommendations)
        );
        if let Some(first) = report
            .problems
            .iter()
            .find(|p| p.severity == Severity::Error)
        {
            let line = first.line.map(|l| format!(" line {l}")).unwrap_or_default();
            s.push_str(&format!(": first{line}: {}", first.message));
        }
        s
    }
}

impl Declaration {
    /// Read the security.txt the declaration names (relative to `declaration_dir`, or inline) and
    /// validate it against RFC 9116 and the declaration; `None` when it names none.
    pub fn check_security_txt(
        &self,
        declaration_dir: &std::path::Path,
        options: &crate::securitytxt::Options,
    ) -> Option<SecurityTxtCheck> {
        let vd = &self.vulnerability_disclosure;
        let bytes = vd.security_txt_bytes(declaration_dir)?;
        let source = match &vd.security_txt {
            Some(path) if vd.security_txt_inline.is_none() => {
                declaration_dir.join(path).display().to_string()
            }
            _ => "security_txt_inline".to_string(),
        };
        let failed = |error: String| SecurityTxtCheck {
            source: source.clone(),
            error: Some(error),
            report: None,
        };
        let bytes = match bytes {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(e)) => return Some(failed(e.to_string())),
            Err(e) => return Some(failed(e.to_string())),
        };
        Some(match crate::securitytxt::validate(&bytes, options) {
            Ok(mut report) => {
                let cross = self.cross_check_security_txt(&report);
                report.problems.extend(cross);
                SecurityTxtCheck {
                    source,
                    error: None,
                    report: Some(report),
                }
            }
            Err(e) => failed(e.to_string()),
        })
    }
}

/// How passwords are set (PSTI Sch. 1 para 1; EN 303 645 5.1-1; IXIT 1 AuthMech).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Passwords {
    pub mechanism: PasswordMechanism,
    /// How unique passwords are generated (IXIT "Password Generation Mechanism").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<String>,
    /// Brute-force protection (EN 303 645 5.1-5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brute_force_protection: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PasswordMechanism {
    UniquePerDevice,
    UserDefinedAtFirstUse,
    /// The product uses no passwords at all.
    None,
}

/// The software update mechanism (IXIT 7 UpdMech; EN 303 645 5.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Update {
    /// How updates reach the device.
    pub delivery: String,
    /// How the device checks integrity and authenticity before installing.
    pub verification: String,
    /// Installed automatically (5.3-5 / 5.3-6)?
    pub automatic: bool,
    /// How the user is told about updates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
}

/// One interface (IXIT 15 Intf).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    pub name: String,
    pub protocol: String,
    /// Reachable from outside the device (network, radio, physical port).
    pub exposed: bool,
    pub authenticated: bool,
    pub purpose: String,
    /// A debug interface (UART, JTAG, SWD, telnet…).
    #[serde(default)]
    pub debug: bool,
}

/// One external sensing capability (IXIT 22 ExtSens; EN 303 645 5.8-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sensor {
    pub kind: SensorKind,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SensorKind {
    Camera,
    Microphone,
    Location,
    Motion,
    Presence,
    Temperature,
    Humidity,
    Light,
    Other,
}

/// One kind of personal data processed (IXIT 21 PersData).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalData {
    pub what: String,
    /// Where it is stored (device, companion app, cloud service…).
    pub stored: String,
    pub purpose: String,
}

/// One kind of telemetry sent (IXIT 24 TelData).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Telemetry {
    pub what: String,
    /// Who receives it.
    pub recipient: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub purpose: String,
}

/// Deleting user data (IXIT 25 DelFunc; EN 303 645 5.11-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactoryReset {
    pub how: String,
}

/// A provision id checked against the catalogue when read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ProvisionKey(pub String);

impl<'de> Deserialize<'de> for ProvisionKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ProvisionKey, D::Error> {
        let id = String::deserialize(d)?;
        if iotassay_catalog::Catalog::get_static().get(&id).is_none() {
            return Err(serde::de::Error::custom(format!(
                "unknown provision id {id:?}: not in the EN 303 645 catalogue (see `iotassay provisions`)"
            )));
        }
        Ok(ProvisionKey(id))
    }
}

/// One line of the ICS: does the provision apply, and how is it met or why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionStatement {
    pub applies: bool,
    /// Why it does not apply; required whenever `applies = false` (EN 303 645 5.0-1, Annex B).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// How it is met.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation: Option<String>,
}

/// A declaration that could not be read, with where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location(*.line, *.column))]
pub struct DeclarationError {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
    pub message: String,
}

fn location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}: "),
        (Some(l), None) => format!("line {l}: "),
        _ => String::new(),
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..text.floor_char_boundary(offset.min(text.len()))];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Declaration {
    /// Parse and check a declaration.
    pub fn parse(text: &str) -> Result<Declaration, DeclarationError> {
        if text.len() > MAX_SIZE {
            return Err(DeclarationError {
                line: None,
                column: None,
                message: format!(
                    "the declaration is {} bytes; the limit is {MAX_SIZE}",
                    text.len()
                ),
            });
        }
        let decl: Declaration = toml::from_str(text).map_err(|e| {
            let (line, column) = match e.span() {
                Some(span) => {
                    let (l, c) = line_col(text, span.start);
                    (Some(l), Some(c))
                }
                None => (None, None),
            };
            DeclarationError {
                line,
                column,
                message: e.message().trim_end().to_string(),
            }
        })?;
        decl.check_justifications(text)?;
        Ok(decl)
    }

    /// Write as TOML (without the template's comments).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a declaration always serialises")
    }

    /// EN 303 645 5.0-1 and Annex B: a provision declared not applicable must say why. Checked after
    /// parsing because the table key holds the id; the line is found from the table header.
    fn check_justifications(&self, text: &str) -> Result<(), DeclarationError> {
        let catalog = iotassay_catalog::Catalog::get_static();
        for (id, s) in &self.provisions {
            let blank = s
                .justification
                .as_deref()
                .is_none_or(|j| j.trim().is_empty());
            if s.applies || !blank {
                continue;
            }
            let mandatory = catalog.get(&id.0).is_some_and(|p| {
                p.v2_1_1.level == iotassay_catalog::Level::Mandatory
                    || p.v3_1_3.level == iotassay_catalog::Level::Mandatory
            });
            let line = find_table_line(text, &id.0);
            return Err(DeclarationError {
                line,
                column: line.map(|_| 1),
                message: format!(
                    "provision {} is {} and declared not applicable without a `justification` (EN 303 645 5.0-1)",
                    id.0,
                    if mandatory { "mandatory" } else { "recommended" }
                ),
            });
        }
        Ok(())
    }
}

/// Line of the `[provision."<id>"]` header (else of an inline `"<id>" =` key) for an error message.
fn find_table_line(text: &str, id: &str) -> Option<usize> {
    let quoted = [format!("\"{id}\""), format!("'{id}'")];
    let has_id = |l: &str| quoted.iter().any(|q| l.contains(q.as_str()));
    let lines = || text.lines().map(str::trim_start);
    lines()
        .position(|l| l.starts_with('[') && l.contains("provision") && has_id(l))
        .or_else(|| lines().position(|l| !l.starts_with('#') && has_id(l)))
        .map(|i| i + 1)
}

impl Declaration {
    /// What the declaration's interface list (the product's complete list) says that the
    /// presence of an interface of `kind` contradicts, or `None` when it declares one exposed.
    /// An interface is of that kind when its name or protocol holds one of `words`
    /// (`["ssh", "dropbear"]`). Firmware evidence and a live probe both weigh claims with this.
    pub fn claim_against_interface(&self, kind: &str, words: &[&str]) -> Option<String> {
        let matching: Vec<&Interface> = self
            .interfaces
            .iter()
            .filter(|i| {
                let named = format!("{} {}", i.name, i.protocol).to_ascii_lowercase();
                words.iter().any(|w| named.contains(w))
            })
            .collect();
        if matching.is_empty() {
            let listed = if self.interfaces.is_empty() {
                "declares no network interface".to_string()
            } else {
                format!(
                    "the declaration lists its interfaces as {}",
                    self.interfaces
                        .iter()
                        .map(|i| i.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            Some(format!("{listed} (no {kind})"))
        } else if matching.iter().all(|i| !i.exposed) {
            Some(format!(
                "declares {} as not exposed",
                matching
                    .iter()
                    .map(|i| format!("{} ({})", i.name, i.protocol))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else {
            None
        }
    }

    /// Where the declaration and the security.txt it names disagree, or where the security.txt
    /// cannot carry what PSTI Sch. 1 para 2 and EN 303 645 5.2-1 need (the research's "P" rules).
    pub fn cross_check_security_txt(
        &self,
        report: &crate::securitytxt::Report,
    ) -> Vec<crate::securitytxt::Problem> {
        use crate::securitytxt::{Problem, Severity};
        let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
        let vd = &self.vulnerability_disclosure;
        let mut problems = Vec::new();
        let contacts: Vec<&str> = report.values("Contact").collect();
        if !contacts.is_empty()
            && !vd
                .contact
                .iter()
                .any(|c| contacts.iter().any(|s| same(c, s)))
        {
            problems.push(Problem {
                severity: Severity::Recommendation,
                line: report
                    .fields
                    .iter()
                    .find(|f| f.name.eq_ignore_ascii_case("Contact"))
                    .map(|f| f.line),
                code: "contact_mismatch".into(),
                message: format!(
                    "none of the declared contacts ({}) is a Contact in security.txt",
                    vd.contact.join(", ")
                ),
            });
        }
        let policies: Vec<&str> = report.values("Policy").collect();
        if policies.is_empty() {
            problems.push(Problem {
                severity: Severity::Recommendation,
                line: None,
                code: "no_policy".into(),
                message: "no Policy field: PSTI Sch. 1 para 2 and EN 303 645 5.2-1 need the acknowledgement and status-update timelines, which only a linked policy can state".into(),
            });
        } else if let Some(p) = &vd.policy {
            if !policies.iter().any(|s| same(p, s)) {
                problems.push(Problem {
                    severity: Severity::Recommendation,
                    line: report
                        .fields
                        .iter()
                        .find(|f| f.name.eq_ignore_ascii_case("Policy"))
                        .map(|f| f.line),
                    code: "policy_mismatch".into(),
                    message: format!("the declared policy {p} is not a Policy in security.txt"),
                });
            }
        }
        problems
    }
}
