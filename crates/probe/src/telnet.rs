//! Telnet (RFC 854/855): option negotiation, then the login and password prompts.
//!
//! Negotiation: we refuse every option the server asks us to perform (`DO x` → `WONT x`) and
//! accept the two a login needs from the server (`WILL ECHO`, `WILL SUPPRESS-GO-AHEAD` → `DO`),
//! refusing the rest (`DONT`); subnegotiations are skipped. A login counts only when a shell
//! evaluates arithmetic we send (`echo iotassay$((40000+2682))` printing `iotassay42682`): a server
//! that merely echoes, or a fake prompt, does not print the sum.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::Instant;

use crate::auth::{Cred, Outcome, Try};
use crate::net::{excerpt, read_until, write_all, Gate};

const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
const SE: u8 = 240;
const ECHO: u8 = 1;
const SGA: u8 = 3;

/// Bytes kept from one session at most.
const MAX_SESSION: usize = 64 << 10;
/// A subnegotiation longer than this is abandoned (its bytes are dropped).
const MAX_SB: usize = 4096;

/// The command whose output proves a shell, and the output.
pub const MARKER_COMMAND: &str = "echo iotassay$((40000+2682))";
pub const MARKER_OUTPUT: &str = "iotassay42682";

/// Stateful telnet stream filter: the text without commands, and our replies to negotiation.
#[derive(Debug, Default)]
pub struct Filter {
    state: State,
    sb_len: usize,
    /// Options the server offered or asked for, in order (`WILL 1`, `DO 24`…), at most 64.
    pub negotiated: Vec<(u8, u8)>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    #[default]
    Data,
    Iac,
    Verb(u8),
    Sb,
    SbIac,
}

impl Filter {
    /// Feed bytes from the server; text goes to `text`, replies to `reply`.
    pub fn feed(&mut self, input: &[u8], text: &mut Vec<u8>, reply: &mut Vec<u8>) {
        for &b in input {
            self.state = match self.state {
                State::Data if b == IAC => State::Iac,
                State::Data => {
                    text.push(b);
                    State::Data
                }
                State::Iac => match b {
                    IAC => {
                        text.push(IAC);
                        State::Data
                    }
                    WILL | WONT | DO | DONT => State::Verb(b),
                    SB => {
                        self.sb_len = 0;
                        State::Sb
                    }
                    _ => State::Data,
                },
                State::Verb(verb) => {
                    if self.negotiated.len() < 64 {
                        self.negotiated.push((verb, b));
                    }
                    match verb {
                        DO => reply.extend_from_slice(&[IAC, WONT, b]),
                        WILL if b == ECHO || b == SGA => reply.extend_from_slice(&[IAC, DO, b]),
                        WILL => reply.extend_from_slice(&[IAC, DONT, b]),
                        _ => {}
                    }
                    State::Data
                }
                State::Sb => {
                    self.sb_len += 1;
                    if b == IAC {
                        State::SbIac
                    } else if self.sb_len > MAX_SB {
                        State::Data
                    } else {
                        State::Sb
                    }
                }
                State::SbIac if b == SE => State::Data,
                State::SbIac => State::Sb,
            }
        }
    }
}

/// Prompt and answer patterns, on lowercased text.
fn ends_with_login_prompt(text: &str) -> bool {
    let t = text.trim_end();
    ["login:", "username:", "user name:", "user:", "login as:"]
        .iter()
        .any(|p| t.ends_with(p))
}

fn ends_with_password_prompt(text: &str) -> bool {
    text.trim_end().ends_with("password:")
}

fn says_failed(text: &str) -> bool {
    [
        "incorrect",
        "failed",
        "denied",
        "invalid",
        "bad password",
        "wrong",
        "authentication failure",
    ]
    .iter()
    .any(|p| text.contains(p))
}

/// A shell prompt at the end: `#`, `$`, `>` or `%` as the last non-space character.
fn ends_with_shell_prompt(text: &str) -> bool {
    matches!(text.trim_end().chars().last(), Some('#' | '$' | '>' | '%'))
}

/// One telnet session: the socket, the filter, and the text seen so far.
struct Session {
    conn: crate::net::Conn,
    filter: Filter,
    raw: Vec<u8>,
    text: Vec<u8>,
    /// Where the text not yet examined starts.
    mark: usize,
}

impl Session {
    /// Read until `done(new text lowercased)` or the deadline; answers negotiation on the way.
    async fn expect(&mut self, deadline: Instant, done: impl Fn(&str) -> bool) -> bool {
        loop {
            let fresh = String::from_utf8_lossy(&self.text[self.mark..]).to_ascii_lowercase();
            if done(&fresh) {
                return true;
            }
            if self.raw.len() >= MAX_SESSION || Instant::now() >= deadline {
                return false;
            }
            let before = self.raw.len();
            read_until(
                &mut self.conn.stream,
                &mut self.raw,
                MAX_SESSION,
                deadline,
                |b| b.len() > before,
            )
            .await;
            if self.raw.len() == before {
                // Closed or timed out.
                let fresh = String::from_utf8_lossy(&self.text[self.mark..]).to_ascii_lowercase();
                return done(&fresh);
            }
            let mut reply = Vec::new();
            let new = self.raw[before..].to_vec();
            self.filter.feed(&new, &mut self.text, &mut reply);
            if !reply.is_empty()
                && write_all(&mut self.conn.stream, &reply, deadline)
                    .await
                    .is_err()
            {
                return false;
            }
        }
    }

    async fn send_line(&mut self, line: &str, deadline: Instant) -> Result<(), String> {
        self.mark = self.text.len();
        write_all(
            &mut self.conn.stream,
            format!("{line}\r\n").as_bytes(),
            deadline,
        )
        .await
    }

    fn tail(&self, max: usize) -> String {
        let start = self.text.len().saturating_sub(max);
        excerpt(&self.text[start..], max)
    }
}

/// Send the marker command and see whether a shell evaluates it.
async fn proves_shell(s: &mut Session, deadline: Instant) -> bool {
    if s.send_line(MARKER_COMMAND, deadline).await.is_err() {
        return false;
    }
    s.expect(deadline, |t| {
        t.contains(MARKER_OUTPUT) || says_failed(t) || ends_with_login_prompt(t)
    })
    .await;
    String::from_utf8_lossy(&s.text[s.mark..]).contains(MARKER_OUTPUT)
}

/// The banner (text before the first prompt) and whether it asks for a login.
pub async fn banner(
    gate: &Gate,
    addr: SocketAddr,
    wait: Duration,
) -> Result<(String, Vec<(u8, u8)>), String> {
    let conn = gate.connect(addr).await?;
    let mut s = Session {
        conn,
        filter: Filter::default(),
        raw: Vec::new(),
        text: Vec::new(),
        mark: 0,
    };
    let deadline = Instant::now() + wait;
    s.expect(deadline, |t| {
        ends_with_login_prompt(t) || ends_with_password_prompt(t) || ends_with_shell_prompt(t)
    })
    .await;
    Ok((s.tail(512), s.filter.negotiated.clone()))
}

/// One attempt: `None` = connect and see whether a shell is offered without credentials.
pub async fn attempt(gate: &Gate, addr: SocketAddr, cred: Option<Cred>, wait: Duration) -> Try {
    let conn = match gate.connect(addr).await {
        Ok(c) => c,
        Err(e) => return Try::unclear(e),
    };
    let mut s = Session {
        conn,
        filter: Filter::default(),
        raw: Vec::new(),
        text: Vec::new(),
        mark: 0,
    };
    // Login delays after a wrong password are commonly 2–3 s; allow for one.
    let deadline = Instant::now() + wait;
    let first = s
        .expect(deadline, |t| {
            ends_with_login_prompt(t) || ends_with_password_prompt(t) || ends_with_shell_prompt(t)
        })
        .await;
    let greeting = String::from_utf8_lossy(&s.text).to_ascii_lowercase();
    let Some(cred) = cred else {
        if first && (ends_with_login_prompt(&greeting) || ends_with_password_prompt(&greeting)) {
            return Try::new(
                Outcome::Rejected,
                format!("asks for a login: {}", s.tail(80)),
            );
        }
        return if proves_shell(&mut s, deadline).await {
            Try::new(
                Outcome::Accepted,
                format!("shell without login: `{MARKER_COMMAND}` printed {MARKER_OUTPUT}"),
            )
        } else {
            Try::new(
                Outcome::Rejected,
                format!("no shell without login: {}", s.tail(80)),
            )
        };
    };
    if !first {
        return Try::unclear(format!("no login prompt: {}", s.tail(80)));
    }
    if ends_with_login_prompt(&greeting) {
        if let Err(e) = s.send_line(&cred.user, deadline).await {
            return Try::unclear(e);
        }
        let asked = s
            .expect(deadline, |t| {
                ends_with_password_prompt(t) || ends_with_shell_prompt(t) || says_failed(t)
            })
            .await;
        if !asked {
            return Try::unclear(format!("no password prompt: {}", s.tail(80)));
        }
    } else if ends_with_shell_prompt(&greeting) && !ends_with_password_prompt(&greeting) {
        return Try::unclear("a prompt that asks for nothing");
    }
    let after_user = String::from_utf8_lossy(&s.text[s.mark..]).to_ascii_lowercase();
    if ends_with_password_prompt(&after_user) || ends_with_password_prompt(&greeting) {
        if let Err(e) = s.send_line(&cred.password, deadline).await {
            return Try::unclear(e);
        }
        s.expect(deadline, |t| {
            says_failed(t) || ends_with_login_prompt(t) || ends_with_shell_prompt(t)
        })
        .await;
        let answer = String::from_utf8_lossy(&s.text[s.mark..]).to_ascii_lowercase();
        if says_failed(&answer) || ends_with_login_prompt(&answer) {
            return Try::new(Outcome::Rejected, s.tail(80));
        }
    }
    if proves_shell(&mut s, deadline).await {
        Try::new(
            Outcome::Accepted,
            format!("logged in: `{MARKER_COMMAND}` printed {MARKER_OUTPUT}"),
        )
    } else {
        let answer = String::from_utf8_lossy(&s.text[s.mark..]).to_ascii_lowercase();
        if says_failed(&answer) || ends_with_login_prompt(&answer) {
            Try::new(Outcome::Rejected, s.tail(80))
        } else {
            Try::unclear(format!("no shell after login: {}", s.tail(80)))
        }
    }
}

/// Fuzz entry point: server bytes through the filter and the prompt matchers.
pub fn fuzz(data: &[u8]) {
    let mut f = Filter::default();
    let (mut text, mut reply) = (Vec::new(), Vec::new());
    for chunk in data.chunks(7) {
        f.feed(chunk, &mut text, &mut reply);
    }
    assert!(text.len() <= data.len());
    let t = String::from_utf8_lossy(&text).to_ascii_lowercase();
    let _ = (
        ends_with_login_prompt(&t),
        ends_with_password_prompt(&t),
        says_failed(&t),
        ends_with_shell_prompt(&t),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_is_answered_and_stripped() {
        let mut f = Filter::default();
        let (mut text, mut reply) = (Vec::new(), Vec::new());
        // DO TTYPE, WILL ECHO, WILL 5, SB 24 1 IAC SE, "lo", IAC IAC, "gin: " split over two feeds
        f.feed(
            &[
                IAC, DO, 24, IAC, WILL, ECHO, IAC, WILL, 5, IAC, SB, 24, 1, IAC, SE, b'l', b'o',
                IAC,
            ],
            &mut text,
            &mut reply,
        );
        f.feed(&[IAC, b'g', b'i', b'n', b':', b' '], &mut text, &mut reply);
        assert_eq!(text, b"lo\xffgin: ");
        assert_eq!(reply, [IAC, WONT, 24, IAC, DO, ECHO, IAC, DONT, 5]);
        assert_eq!(f.negotiated, [(DO, 24), (WILL, ECHO), (WILL, 5)]);
    }

    #[test]
    fn prompts() {
        assert!(ends_with_login_prompt("welcome\r\nrouter login: "));
        assert!(ends_with_password_prompt("password: "));
        assert!(says_failed("\r\nlogin incorrect\r\n"));
        assert!(ends_with_shell_prompt("~ # "));
        assert!(!ends_with_shell_prompt("login: "));
    }

    #[test]
    fn endless_subnegotiation_is_bounded() {
        let mut f = Filter::default();
        let (mut text, mut reply) = (Vec::new(), Vec::new());
        let mut data = vec![IAC, SB];
        data.extend(std::iter::repeat_n(b'x', MAX_SB + 10));
        f.feed(&data, &mut text, &mut reply);
        assert_eq!(text.len(), 9, "the bytes after the bound are text again");
    }
}
