//! ADB over TCP (Android's `adb/protocol.txt`): a CNXN message with `host::`. A device that answers
//! CNXN with its `device::…` banner gives a shell to anyone; one that answers AUTH wants a key.

use serde::{Deserialize, Serialize};

const A_CNXN: u32 = 0x4e58_4e43;
const A_AUTH: u32 = 0x4854_5541;
const A_VERSION: u32 = 0x0100_0000;
const MAX_PAYLOAD: u32 = 256 * 1024;

/// One message header and its payload (as much as arrived, at most 4 KiB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// `CNXN`, `AUTH`, …
    pub command: String,
    pub arg0: u32,
    pub arg1: u32,
    pub payload: String,
}

/// Our CNXN with the `host::` system identity.
pub fn cnxn_packet() -> Vec<u8> {
    let payload = b"host::\0";
    let mut out = Vec::with_capacity(24 + payload.len());
    for v in [
        A_CNXN,
        A_VERSION,
        MAX_PAYLOAD,
        payload.len() as u32,
        payload.iter().map(|&b| b as u32).sum::<u32>(),
        A_CNXN ^ 0xffff_ffff,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(payload);
    out
}

/// Parse a message from the device; the magic must match the command.
pub fn parse_message(b: &[u8]) -> Result<Message, String> {
    let word = |i: usize| -> Result<u32, String> {
        b.get(i * 4..i * 4 + 4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .ok_or_else(|| "ADB header cut short".to_string())
    };
    let command = word(0)?;
    if word(5)? != command ^ 0xffff_ffff {
        return Err("ADB magic does not match the command".into());
    }
    if !matches!(command, A_CNXN | A_AUTH)
        && !command.to_le_bytes().iter().all(u8::is_ascii_uppercase)
    {
        return Err("not an ADB command".into());
    }
    let len = word(3)?.min(4096) as usize;
    let payload = b.get(24..(24 + len).min(b.len())).unwrap_or(&[]);
    Ok(Message {
        command: String::from_utf8_lossy(&command.to_le_bytes()).into_owned(),
        arg0: word(1)?,
        arg1: word(2)?,
        payload: String::from_utf8_lossy(payload)
            .trim_end_matches('\0')
            .to_string(),
    })
}

/// Fuzz entry point.
pub fn fuzz(data: &[u8]) {
    let _ = parse_message(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cnxn_round_trips() {
        let p = cnxn_packet();
        let m = parse_message(&p).unwrap();
        assert_eq!(m.command, "CNXN");
        assert_eq!(m.arg0, A_VERSION);
        assert_eq!(m.payload, "host::");
        let mut bad = p.clone();
        bad[20] ^= 1;
        assert!(parse_message(&bad).is_err());
        assert!(parse_message(&p[..10]).is_err());
    }
}
