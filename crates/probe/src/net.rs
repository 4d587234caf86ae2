//! Connections to the device, shared by every protocol: a global cap on open connections, a rate
//! limit on new ones, timeouts on connect, and bounded reads (size and time). The device's bytes are
//! hostile input: nothing here waits longer than its deadline or keeps more than its cap.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::{timeout, Instant};

/// The shared limits of one probe run.
#[derive(Debug)]
pub struct Gate {
    open: Arc<Semaphore>,
    /// Time of the next allowed connection attempt.
    next: Mutex<Instant>,
    interval: Duration,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
}

/// An open TCP connection that holds one of the gate's slots until dropped.
#[derive(Debug)]
pub struct Conn {
    pub stream: TcpStream,
    _slot: OwnedSemaphorePermit,
}

impl Conn {
    /// The stream and the slot, for clients that take ownership of the stream (SSH).
    pub fn into_parts(self) -> (TcpStream, OwnedSemaphorePermit) {
        (self.stream, self._slot)
    }
}

impl Gate {
    /// `max_open` connections at once, at most `rate` new ones per second (0 = unlimited).
    pub fn new(
        max_open: usize,
        rate: u32,
        connect_timeout: Duration,
        read_timeout: Duration,
    ) -> Self {
        Gate {
            open: Arc::new(Semaphore::new(max_open.max(1))),
            next: Mutex::new(Instant::now()),
            interval: if rate == 0 {
                Duration::ZERO
            } else {
                Duration::from_secs(1) / rate
            },
            connect_timeout,
            read_timeout,
        }
    }

    /// Wait for a slot and for the rate limit; the returned permit frees the slot.
    pub async fn slot(&self) -> OwnedSemaphorePermit {
        let permit = self
            .open
            .clone()
            .acquire_owned()
            .await
            .expect("the gate's semaphore is never closed");
        if !self.interval.is_zero() {
            let wait = {
                let mut next = self.next.lock().await;
                let now = Instant::now();
                let at = (*next).max(now);
                *next = at + self.interval;
                at
            };
            tokio::time::sleep_until(wait).await;
        }
        permit
    }

    /// Connect within the connect timeout.
    pub async fn connect(&self, addr: SocketAddr) -> Result<Conn, String> {
        let slot = self.slot().await;
        match timeout(self.connect_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                Ok(Conn {
                    stream,
                    _slot: slot,
                })
            }
            Ok(Err(e)) => Err(format!("connect {addr}: {e}")),
            Err(_) => Err(format!(
                "connect {addr}: no answer within {} ms",
                self.connect_timeout.as_millis()
            )),
        }
    }

    /// Send one UDP datagram from an ephemeral port and collect the answers that arrive from
    /// `addr` within the read timeout: at most `max_datagrams`, each cut at `max_len` bytes.
    pub async fn udp_exchange(
        &self,
        addr: SocketAddr,
        request: &[u8],
        max_datagrams: usize,
        max_len: usize,
    ) -> Result<Vec<Vec<u8>>, String> {
        let _slot = self.slot().await;
        let bind: SocketAddr = if addr.is_ipv4() {
            "0.0.0.0:0".parse().expect("literal")
        } else {
            "[::]:0".parse().expect("literal")
        };
        let socket = UdpSocket::bind(bind)
            .await
            .map_err(|e| format!("udp bind: {e}"))?;
        socket
            .send_to(request, addr)
            .await
            .map_err(|e| format!("udp send {addr}: {e}"))?;
        let deadline = Instant::now() + self.read_timeout;
        let mut out = Vec::new();
        let mut buf = vec![0u8; max_len.max(1)];
        while out.len() < max_datagrams {
            match tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await {
                // Answers come from the target; on loopback the kernel may give a wildcard-bound
                // server's answer the source 127.0.0.1 whatever 127.x address was asked.
                Ok(Ok((n, from)))
                    if from.ip() == addr.ip()
                        || (addr.ip().is_loopback() && from.ip().is_loopback()) =>
                {
                    out.push(buf[..n].to_vec())
                }
                Ok(Ok(_)) => continue,
                // ICMP port unreachable shows up as an error on Linux: no service there.
                Ok(Err(e)) => {
                    if out.is_empty() {
                        return Err(format!("udp {addr}: {e}"));
                    }
                    break;
                }
                Err(_) => break,
            }
        }
        Ok(out)
    }
}

/// Read into `buf` until `done(buf)` holds, the peer closes, `buf` reaches `max` bytes or the
/// deadline passes. Returns whether `done` held; what was read stays in `buf` either way.
pub async fn read_until<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    max: usize,
    deadline: Instant,
    mut done: impl FnMut(&[u8]) -> bool,
) -> bool {
    if done(buf) {
        return true;
    }
    let mut chunk = [0u8; 4096];
    while buf.len() < max {
        let want = chunk.len().min(max - buf.len());
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk[..want])).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return done(buf),
            Ok(Ok(n)) => {
                buf.extend_from_slice(&chunk[..n]);
                if done(buf) {
                    return true;
                }
            }
        }
    }
    done(buf)
}

/// Write all of `data` within the deadline.
pub async fn write_all<S: AsyncWrite + Unpin>(
    stream: &mut S,
    data: &[u8],
    deadline: Instant,
) -> Result<(), String> {
    match tokio::time::timeout_at(deadline, stream.write_all(data)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("write: {e}")),
        Err(_) => Err("write: timed out".into()),
    }
}

/// Printable excerpt of device bytes for evidence: control bytes escaped, at most `max` chars.
pub fn excerpt(bytes: &[u8], max: usize) -> String {
    let mut out = String::new();
    for ch in String::from_utf8_lossy(bytes).chars() {
        if out.chars().count() >= max {
            out.push('…');
            break;
        }
        match ch {
            '\r' => {}
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32 & 0xff)),
            c => out.push(c),
        }
    }
    out
}

/// A fresh value nobody would choose as a credential (wrong-password controls).
pub fn random_token(len: usize) -> String {
    use sha2::{Digest, Sha256};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = Sha256::new();
    h.update(format!(
        "{:?}{}{}",
        std::time::SystemTime::now(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut s = hex::encode(h.finalize());
    s.truncate(len.clamp(4, 64));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_escapes_and_cuts() {
        assert_eq!(excerpt(b"a\r\nb\x01", 10), "a\\nb\\x01");
        assert_eq!(excerpt(b"abcdef", 3), "abc…");
    }

    #[test]
    fn tokens_differ() {
        assert_ne!(random_token(12), random_token(12));
        assert_eq!(random_token(12).len(), 12);
    }
}
