//! The list of checks and what a run of them records.

use serde::{Deserialize, Serialize};

use crate::{Check, Context, Finding};

/// Every check, in the order they are listed to people.
pub fn all_checks() -> Vec<&'static dyn Check> {
    let all: Vec<&'static dyn Check> = vec![
        &crate::services::RemoteLogin,
        &crate::services::EmptyPasswordLogin,
        &crate::services::DebugDaemon,
        &crate::services::ConsoleShell,
        &crate::services::Upnp,
        &crate::services::SnmpCommunity,
        &crate::services::RootDaemons,
        &crate::services::DevTools,
        &crate::input::CommandInjection,
        &crate::input::ElfIndicators,
        &crate::hardening::ExecStack,
        &crate::hardening::MissingMitigations,
        &crate::hardening::InsecureRpath,
        &crate::hardening::KernelModules,
        &crate::hardening::Integrity,
        &crate::updates::Mechanism,
        &crate::updates::CleartextUrl,
        &crate::updates::VerificationDisabled,
        &crate::updates::WeakIntegrity,
        &crate::updates::OutdatedComponents,
        &crate::comms::CleartextEndpoint,
        &crate::comms::TlsVerificationDisabled,
        &crate::comms::ObsoleteTlsLibrary,
        &crate::privacy::Sensing,
        &crate::privacy::FactoryReset,
        &crate::secrets::PrivateKeys,
        &crate::secrets::Certificates,
        &crate::secrets::Tokens,
        &crate::passwords::EmptyPassword,
        &crate::passwords::DefaultPassword,
        &crate::passwords::HardcodedPassword,
        &crate::passwords::AutoLogin,
        &crate::passwords::WeakHash,
        &crate::passwords::SeveralRoots,
        &crate::passwords::Coverage,
        &crate::mcu::WifiCredentials,
        &crate::mcu::Ota,
        &crate::mcu::CleartextEndpoints,
        &crate::mcu::StoredCredentials,
    ];
    all
}

/// Whether a check that ran had what it is about in front of it. A check that found nothing
/// examined its provisions only if it could see what it looks at: the password checks see no
/// account when `etc/passwd` links to a file created at boot, no check sees files when no root
/// file system was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coverage {
    /// It examined its provisions (a finding or the absence of one means something).
    Examined,
    /// It ran but could not examine its provisions, for this reason (for people: "no accounts
    /// found: etc/passwd links to /var/passwd, absent from the image").
    NotExamined(String),
}

impl Coverage {
    /// The coverage of a check that needs a root file system: not examined without one.
    pub fn of_root(cx: &Context<'_>) -> Coverage {
        if cx.inventory.roots.is_empty() {
            Coverage::NotExamined("no root file system was found in the image".into())
        } else {
            Coverage::Examined
        }
    }
}

/// A check as listed in a report: which provisions it informs, and whether it could examine them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInfo {
    pub id: String,
    pub title: String,
    pub provisions: Vec<String>,
    /// Why it could not examine its provisions, when it could not (its [`Coverage`]). Absent in
    /// assessments written before schema 2: there, a check that ran examined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_examined: Option<String>,
}

impl CheckInfo {
    /// Whether it examined its provisions.
    pub fn examined(&self) -> bool {
        self.not_examined.is_none()
    }
}

/// The result of running all checks: the checks that ran and what they found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckRun {
    pub checks: Vec<CheckInfo>,
    pub findings: Vec<Finding>,
}

/// Run every check on the context.
pub fn run_checks(cx: &Context<'_>) -> CheckRun {
    CheckRun {
        checks: all_checks()
            .iter()
            .map(|c| CheckInfo {
                id: c.id().to_string(),
                title: c.title().to_string(),
                provisions: c.provisions().iter().map(|p| p.to_string()).collect(),
                not_examined: match c.coverage(cx) {
                    Coverage::Examined => None,
                    Coverage::NotExamined(reason) => Some(reason),
                },
            })
            .collect(),
        findings: crate::run_all(cx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iotassay_catalog::Catalog;

    #[test]
    fn every_check_names_real_provisions_and_a_unique_id() {
        let catalog = Catalog::get_static();
        let mut ids = std::collections::HashSet::new();
        for c in all_checks() {
            assert!(ids.insert(c.id()), "duplicate check id {}", c.id());
            assert!(c.id().contains('.'), "{} is not module.name", c.id());
            assert!(
                !c.provisions().is_empty(),
                "{} informs no provision",
                c.id()
            );
            for p in c.provisions() {
                assert!(
                    catalog.get(p).is_some(),
                    "{}: unknown provision {p}",
                    c.id()
                );
            }
        }
    }
}
