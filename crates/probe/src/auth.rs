//! Default-credential attempts with controls, the same for every protocol.
//!
//! Per service, in this order: an unauthenticated request; a deliberately wrong password (a random
//! one, for the first candidate's user); then the candidates — credentials the user gives (for
//! example those a firmware scan recovered), vendor defaults matching what the banner names, then the
//! Mirai scanner's pairs, heaviest first. The control and the candidates together stay within the
//! attempt budget (default [`DEFAULT_BUDGET`]); all are launched in that order, a few at a time
//! ([`DEFAULT_PARALLEL`]), judged in that order, and the run stops at the first answer that
//! settles the question (attempts already in flight are dropped).
//!
//! Only a success the controls rule out counts: an unauthenticated success is "no authentication",
//! a control that succeeds is "accepts any credential", and a control whose answer is unclear makes
//! every candidate's answer worthless ("inconclusive"), never "default password works".

use std::future::Future;

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::net::random_token;

/// Credential attempts per service, the wrong-password control included.
pub const DEFAULT_BUDGET: usize = 10;
/// Attempts on one service in flight at once.
pub const DEFAULT_PARALLEL: usize = 5;

/// A user/password pair to try, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cred {
    pub user: String,
    pub password: String,
    /// `Mirai list`, `DefaultCreds: VENDOR`, `user list`, `control (random)`.
    pub source: String,
}

/// Why an attempt was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// No credentials at all.
    Unauthenticated,
    /// A random password that no server should accept.
    WrongPassword,
    /// A known default.
    Candidate,
}

/// What the service answered to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The service let us in (shown by a positive marker: a shell evaluating arithmetic, SSH's
    /// USERAUTH_SUCCESS, CONNACK 0, FTP 230, HTTP success that differs from the control).
    Accepted,
    /// The service said no (login prompt again, 401/403, CONNACK 4/5, FTP 530…).
    Rejected,
    /// Neither: a timeout, a closed connection, an answer we could not read.
    Unclear,
}

/// One attempt and what it showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cred: Option<Cred>,
    pub outcome: Outcome,
    /// The device's answer, short, for people (`HTTP/1.1 401 Unauthorized`, `CONNACK rc=5`…).
    pub detail: String,
}

/// What a protocol's single attempt reports back to the driver.
#[derive(Debug, Clone)]
pub struct Try {
    pub outcome: Outcome,
    pub detail: String,
}

impl Try {
    pub fn new(outcome: Outcome, detail: impl Into<String>) -> Self {
        Try {
            outcome,
            detail: detail.into(),
        }
    }
    pub fn unclear(detail: impl Into<String>) -> Self {
        Try::new(Outcome::Unclear, detail)
    }
}

/// The conclusion for one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum AuthVerdict {
    /// The unauthenticated request succeeded.
    NoAuthentication,
    /// The wrong-password control succeeded: the service accepts any credential.
    AcceptsAnyCredential,
    /// A known default worked while the wrong password was refused.
    DefaultCredential { cred: Cred },
    /// Every candidate was refused (as was the control).
    Refused { tried: usize },
    /// The answers do not support a conclusion.
    Inconclusive { reason: String },
    /// No credential test was possible (no password login offered, nothing asks for one).
    NotTested { reason: String },
}

/// The credential test of one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthCheck {
    /// `telnet`, `ssh`, `ftp`, `mqtt`, `http-basic`, `http-digest`, `rtsp`…
    pub protocol: String,
    pub port: u16,
    pub verdict: AuthVerdict,
    /// In the order they were made.
    pub attempts: Vec<Attempt>,
    /// Wall time of the whole test.
    #[serde(default)]
    pub elapsed_ms: u64,
}

impl AuthCheck {
    pub fn not_tested(protocol: &str, port: u16, reason: impl Into<String>) -> Self {
        AuthCheck {
            protocol: protocol.into(),
            port,
            verdict: AuthVerdict::NotTested {
                reason: reason.into(),
            },
            attempts: Vec::new(),
            elapsed_ms: 0,
        }
    }
}

/// What the user gives for the credential tests.
#[derive(Debug, Clone)]
pub struct CredOptions {
    /// Attempts per service, control included (at least 2: the control and one candidate).
    pub budget: usize,
    /// Attempts in flight per service.
    pub parallel: usize,
    /// Tried first (from `--credentials FILE`, e.g. what a firmware scan recovered).
    pub extra: Vec<Cred>,
    /// Skip the credential tests entirely (`--no-login`).
    pub skip: bool,
}

impl Default for CredOptions {
    fn default() -> Self {
        CredOptions {
            budget: DEFAULT_BUDGET,
            parallel: DEFAULT_PARALLEL,
            extra: Vec::new(),
            skip: false,
        }
    }
}

/// A credential list file: one `user:password` per line (the first `:` splits; `#` comments and
/// blank lines skipped). Errors name the line.
pub fn parse_cred_list(text: &str, source: &str) -> Result<Vec<Cred>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (user, password) = line
            .split_once(':')
            .ok_or_else(|| format!("{source}:{}: expected user:password", i + 1))?;
        out.push(Cred {
            user: user.to_string(),
            password: password.to_string(),
            source: source.to_string(),
        });
        if out.len() > 10_000 {
            return Err(format!("{source}: more than 10,000 credentials"));
        }
    }
    Ok(out)
}

/// The candidates for a service, in trying order, cut to the budget less the control.
/// `hints` are vendor or product words from banners (`Ubiquiti`, `Hikvision`…).
pub fn candidates(options: &CredOptions, hints: &[String]) -> Vec<Cred> {
    let limit = options.budget.saturating_sub(1);
    let mut out: Vec<Cred> = Vec::new();
    let push = |c: Cred, out: &mut Vec<Cred>| {
        if out.len() < limit
            && c.user.len() <= 128
            && c.password.len() <= 128
            && !out
                .iter()
                .any(|o| o.user == c.user && o.password == c.password)
        {
            out.push(c);
        }
    };
    for c in &options.extra {
        push(c.clone(), &mut out);
    }
    for hint in hints.iter().filter(|h| h.len() >= 3) {
        for p in iotassay_credentials::vendor(hint) {
            push(
                Cred {
                    user: p.user.clone(),
                    password: p.password.clone(),
                    source: p.source_label(),
                },
                &mut out,
            );
        }
    }
    for p in iotassay_credentials::mirai() {
        push(
            Cred {
                user: p.user.clone(),
                password: p.password.clone(),
                source: p.source_label(),
            },
            &mut out,
        );
    }
    out
}

/// Run the attempts of one service and judge them. `login(None)` is the unauthenticated
/// request (skipped when `unauthenticated` is false: the protocol has no such thing);
/// `login(Some(cred))` one credential attempt on a fresh connection.
pub async fn run<F, Fut>(
    protocol: &str,
    port: u16,
    options: &CredOptions,
    candidates: Vec<Cred>,
    unauthenticated: bool,
    login: F,
) -> AuthCheck
where
    F: Fn(Option<Cred>) -> Fut,
    Fut: Future<Output = Try>,
{
    let mut attempts = Vec::new();
    let started = std::time::Instant::now();
    let done = |attempts: Vec<Attempt>, verdict: AuthVerdict| AuthCheck {
        protocol: protocol.to_string(),
        port,
        verdict,
        attempts,
        elapsed_ms: started.elapsed().as_millis() as u64,
    };
    if candidates.is_empty() || options.budget < 2 {
        if unauthenticated {
            let t = login(None).await;
            let accepted = t.outcome == Outcome::Accepted;
            attempts.push(Attempt {
                role: Role::Unauthenticated,
                cred: None,
                outcome: t.outcome,
                detail: t.detail,
            });
            if accepted {
                return done(attempts, AuthVerdict::NoAuthentication);
            }
        }
        return done(
            attempts,
            AuthVerdict::NotTested {
                reason: "the attempt budget leaves no room for a control and a candidate".into(),
            },
        );
    }
    let control = Cred {
        user: candidates[0].user.clone(),
        password: format!("iotassay-{}", random_token(16)),
        source: "control (random password)".into(),
    };
    // Launched in this order, `parallel` at a time, judged in this order: a device that
    // fails slowly (login delays) costs one delay per window, not one per attempt.
    let order: Vec<(Role, Option<Cred>)> = unauthenticated
        .then_some((Role::Unauthenticated, None))
        .into_iter()
        .chain(std::iter::once((Role::WrongPassword, Some(control))))
        .chain(candidates.into_iter().map(|c| (Role::Candidate, Some(c))))
        .take(options.budget + usize::from(unauthenticated))
        .collect();
    let mut results = futures::stream::iter(order.into_iter().map(|(role, cred)| {
        let f = login(cred.clone());
        async move { (role, cred, f.await) }
    }))
    .buffered(options.parallel.max(1));
    let mut verdict = None;
    let mut tried = 0;
    let mut unclear = 0;
    while let Some((role, cred, t)) = results.next().await {
        let outcome = t.outcome;
        attempts.push(Attempt {
            role,
            cred: cred.clone(),
            outcome,
            detail: t.detail,
        });
        match (role, outcome) {
            (Role::Unauthenticated, Outcome::Accepted) => {
                verdict = Some(AuthVerdict::NoAuthentication);
                break;
            }
            (Role::WrongPassword, Outcome::Accepted) => {
                verdict = Some(AuthVerdict::AcceptsAnyCredential);
                break;
            }
            (Role::WrongPassword, Outcome::Unclear) => {
                verdict = Some(AuthVerdict::Inconclusive {
                    reason: "the wrong-password control was neither accepted nor clearly \
                             refused, so no candidate's answer can be trusted"
                        .into(),
                });
                break;
            }
            (Role::Candidate, Outcome::Accepted) => {
                verdict = cred.map(|cred| AuthVerdict::DefaultCredential { cred });
                break;
            }
            (Role::Candidate, Outcome::Unclear) => {
                tried += 1;
                unclear += 1;
            }
            (Role::Candidate, _) => tried += 1,
            _ => {}
        }
    }
    drop(results);
    let verdict = verdict.unwrap_or(if unclear > 0 {
        AuthVerdict::Inconclusive {
            reason: format!(
                "{unclear} of {tried} candidates got no clear answer (timeouts or closed \
                 connections); none was accepted"
            ),
        }
    } else {
        AuthVerdict::Refused { tried }
    });
    done(attempts, verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(budget: usize) -> CredOptions {
        CredOptions {
            budget,
            ..Default::default()
        }
    }

    #[test]
    fn credential_lists_parse() {
        let c = parse_cred_list("# x\nroot:a:b\n\nadmin:\r\n", "f").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].user.as_str(), c[0].password.as_str()),
            ("root", "a:b")
        );
        assert_eq!(c[1].password, "");
        assert_eq!(
            parse_cred_list("nocolon", "f").unwrap_err(),
            "f:1: expected user:password"
        );
    }

    #[test]
    fn candidates_respect_order_and_budget() {
        let mut o = opts(4);
        o.extra.push(Cred {
            user: "root".into(),
            password: "s3cret".into(),
            source: "user list".into(),
        });
        let c = candidates(&o, &["ubiquiti".to_string()]);
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].password, "s3cret");
        assert!(c[1].source.starts_with("DefaultCreds: "), "{:?}", c[1]);
        let plain = candidates(&opts(3), &[]);
        assert_eq!(
            plain
                .iter()
                .map(|c| (c.user.as_str(), c.password.as_str()))
                .collect::<Vec<_>>(),
            [("root", "xc3511"), ("root", "vizxv")]
        );
    }

    fn block<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// A fake service: accepts `good` (None = accepts anything), refuses the rest.
    fn judge(unauth_ok: bool, good: Option<(&str, &str)>, control_unclear: bool) -> AuthCheck {
        let cands = vec![
            Cred {
                user: "root".into(),
                password: "a".into(),
                source: "t".into(),
            },
            Cred {
                user: "admin".into(),
                password: "admin".into(),
                source: "t".into(),
            },
        ];
        block(run("x", 1, &opts(10), cands, true, |c| async move {
            match c {
                None if unauth_ok => Try::new(Outcome::Accepted, "in"),
                None => Try::new(Outcome::Rejected, "login:"),
                Some(c) if c.password.starts_with("iotassay-") && control_unclear => {
                    Try::unclear("timeout")
                }
                Some(c) => match good {
                    None => Try::new(Outcome::Accepted, "in"),
                    Some((u, p)) if c.user == u && c.password == p => {
                        Try::new(Outcome::Accepted, "in")
                    }
                    Some(_) => Try::new(Outcome::Rejected, "no"),
                },
            }
        }))
    }

    #[test]
    fn controls_decide() {
        assert_eq!(
            judge(true, None, false).verdict,
            AuthVerdict::NoAuthentication
        );
        let any = judge(false, None, false);
        assert_eq!(any.verdict, AuthVerdict::AcceptsAnyCredential);
        assert_eq!(any.attempts.len(), 2, "stops after the control");
        let def = judge(false, Some(("admin", "admin")), false);
        assert!(matches!(
            &def.verdict,
            AuthVerdict::DefaultCredential { cred } if cred.user == "admin"
        ));
        assert_eq!(
            judge(false, Some(("x", "y")), false).verdict,
            AuthVerdict::Refused { tried: 2 }
        );
        assert!(matches!(
            judge(false, Some(("admin", "admin")), true).verdict,
            AuthVerdict::Inconclusive { .. }
        ));
    }
}
