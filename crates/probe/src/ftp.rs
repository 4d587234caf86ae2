//! FTP (RFC 959): the greeting, then `USER`/`PASS`. Reply 230 = logged in, 530 = refused; the
//! unauthenticated test is the anonymous login (`USER anonymous`, RFC 1635).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::Instant;

use crate::auth::{Cred, Outcome, Try};
use crate::net::{excerpt, read_until, write_all, Gate};

const MAX_REPLY: usize = 16 << 10;

/// The code of the last complete reply in `b` (multi-line replies end with `NNN ` at line start).
pub fn last_reply(b: &[u8]) -> Option<(u16, usize)> {
    let text = String::from_utf8_lossy(b);
    let mut found = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        if !line.ends_with('\n') {
            break;
        }
        let bytes = line.as_bytes();
        if bytes.len() >= 4 && bytes[..3].iter().all(u8::is_ascii_digit) && bytes[3] == b' ' {
            found = line[..3].parse().ok().map(|c| (c, offset));
        }
    }
    found
}

async fn reply(
    conn: &mut crate::net::Conn,
    buf: &mut Vec<u8>,
    from: usize,
    deadline: Instant,
) -> Option<u16> {
    read_until(&mut conn.stream, buf, MAX_REPLY, deadline, |b| {
        last_reply(&b[from.min(b.len())..]).is_some()
    })
    .await;
    last_reply(&buf[from.min(buf.len())..]).map(|(c, _)| c)
}

/// The greeting line.
pub async fn greeting(gate: &Gate, addr: SocketAddr, wait: Duration) -> Result<String, String> {
    let mut conn = gate.connect(addr).await?;
    let mut buf = Vec::new();
    reply(&mut conn, &mut buf, 0, Instant::now() + wait).await;
    Ok(excerpt(&buf, 200))
}

/// One login; `None` = anonymous.
pub async fn attempt(gate: &Gate, addr: SocketAddr, cred: Option<Cred>, wait: Duration) -> Try {
    let mut conn = match gate.connect(addr).await {
        Ok(c) => c,
        Err(e) => return Try::unclear(e),
    };
    let deadline = Instant::now() + wait;
    let mut buf = Vec::new();
    match reply(&mut conn, &mut buf, 0, deadline).await {
        Some(220) => {}
        other => return Try::unclear(format!("greeting {other:?}: {}", excerpt(&buf, 80))),
    }
    let (user, pass) = match &cred {
        Some(c) => (c.user.as_str(), c.password.as_str()),
        None => ("anonymous", "iotassay@example.invalid"),
    };
    if user.contains(['\r', '\n']) || pass.contains(['\r', '\n']) {
        return Try::unclear("credential holds a line break");
    }
    let from = buf.len();
    if let Err(e) = write_all(
        &mut conn.stream,
        format!("USER {user}\r\n").as_bytes(),
        deadline,
    )
    .await
    {
        return Try::unclear(e);
    }
    let code = reply(&mut conn, &mut buf, from, deadline).await;
    let code = match code {
        Some(230) => {
            return Try::new(
                Outcome::Accepted,
                format!("230 after USER {user} (no password asked)"),
            )
        }
        Some(331 | 332) => {
            let from = buf.len();
            if let Err(e) = write_all(
                &mut conn.stream,
                format!("PASS {pass}\r\n").as_bytes(),
                deadline,
            )
            .await
            {
                return Try::unclear(e);
            }
            reply(&mut conn, &mut buf, from, deadline).await
        }
        other => other,
    };
    let tail = excerpt(&buf[buf.len().saturating_sub(100)..], 100);
    match code {
        Some(230) => Try::new(Outcome::Accepted, format!("230 logged in: {tail}")),
        Some(530 | 430 | 421) => Try::new(Outcome::Rejected, tail),
        other => Try::unclear(format!("reply {other:?}: {tail}")),
    }
}

/// Fuzz entry point.
pub fn fuzz(data: &[u8]) {
    let _ = last_reply(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies() {
        assert_eq!(
            last_reply(b"220-hello\r\n220 ready\r\n").map(|r| r.0),
            Some(220)
        );
        assert_eq!(last_reply(b"220-hello\r\n"), None);
        assert_eq!(
            last_reply(b"530 Login incorrect.\r\n").map(|r| r.0),
            Some(530)
        );
        assert_eq!(last_reply(b"230 ok"), None, "incomplete line");
    }
}
