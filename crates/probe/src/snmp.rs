//! SNMP v2c (RFC 3416) over UDP: a GetRequest for `sysDescr.0` (1.3.6.1.2.1.1.1.0) with the
//! community `public`, and the same with a random community as the control: an agent that answers
//! the random one accepts any community. BER is encoded and decoded here (a dozen lines each way)
//! with every length checked against what arrived.

use serde::{Deserialize, Serialize};

/// sysDescr.0
const SYS_DESCR: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 1, 0];

/// What the agent answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnmpFacts {
    pub port: u16,
    /// The community that was answered (`public`), if any.
    pub community: Option<String>,
    pub sys_descr: Option<String>,
    /// A random community was answered too.
    pub accepts_any_community: bool,
}

fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = body.len();
    if n < 128 {
        out.push(n as u8);
    } else if n < 256 {
        out.extend([0x81, n as u8]);
    } else {
        out.extend([0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(body);
    out
}

/// A v2c GetRequest for sysDescr.0.
pub fn get_request(community: &str, request_id: u32) -> Vec<u8> {
    let varbind = tlv(0x30, &[tlv(0x06, SYS_DESCR), vec![0x05, 0x00]].concat());
    let pdu = tlv(
        0xa0,
        &[
            tlv(0x02, &request_id.to_be_bytes()),
            tlv(0x02, &[0]),
            tlv(0x02, &[0]),
            tlv(0x30, &varbind),
        ]
        .concat(),
    );
    tlv(
        0x30,
        &[tlv(0x02, &[1]), tlv(0x04, community.as_bytes()), pdu].concat(),
    )
}

/// One TLV: (tag, body, rest).
fn read_tlv(b: &[u8]) -> Result<(u8, &[u8], &[u8]), String> {
    let tag = *b.first().ok_or("empty")?;
    let first = *b.get(1).ok_or("no length")?;
    let (len, at) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 3 {
            return Err(format!("length of {n} bytes"));
        }
        let bytes = b.get(2..2 + n).ok_or("length cut short")?;
        (
            bytes.iter().fold(0usize, |a, &x| a << 8 | x as usize),
            2 + n,
        )
    };
    let body = b.get(at..at + len).ok_or("value cut short")?;
    Ok((tag, body, &b[at + len..]))
}

/// The sysDescr value of a GetResponse, and the community it carries.
pub fn parse_response(b: &[u8]) -> Result<(String, String), String> {
    let (tag, msg, _) = read_tlv(b)?;
    if tag != 0x30 {
        return Err("not a SEQUENCE".into());
    }
    let (_, _version, rest) = read_tlv(msg)?;
    let (_, community, rest) = read_tlv(rest)?;
    let (pdu_tag, pdu, _) = read_tlv(rest)?;
    if pdu_tag != 0xa2 {
        return Err(format!("PDU type 0x{pdu_tag:02x}, not GetResponse"));
    }
    let (_, _id, rest) = read_tlv(pdu)?;
    let (_, status, rest) = read_tlv(rest)?;
    if status.iter().any(|&x| x != 0) {
        return Err("error-status set".into());
    }
    let (_, _index, rest) = read_tlv(rest)?;
    let (_, list, _) = read_tlv(rest)?;
    let (_, bind, _) = read_tlv(list)?;
    let (_, _oid, rest) = read_tlv(bind)?;
    let (vtag, value, _) = read_tlv(rest)?;
    if vtag != 0x04 {
        return Err(format!("value type 0x{vtag:02x}"));
    }
    Ok((
        String::from_utf8_lossy(community).into_owned(),
        String::from_utf8_lossy(&value[..value.len().min(512)]).into_owned(),
    ))
}

/// Fuzz entry point.
pub fn fuzz(data: &[u8]) {
    let _ = parse_response(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_layout_and_response_parse() {
        let r = get_request("public", 0x01020304);
        assert_eq!(&r[..2], &[0x30, r.len() as u8 - 2]);
        assert!(r.windows(8).any(|w| w == &b"\x04\x06public"[..]));
        // Turn our request into a response: PDU tag a0 → a2, NULL → OCTET STRING "Linux".
        let mut resp = r.clone();
        let at = resp.iter().position(|&b| b == 0xa0).unwrap();
        resp[at] = 0xa2;
        let null = resp.len() - 2;
        resp.truncate(null);
        resp.extend([0x04, 5]);
        resp.extend(b"Linux");
        // Fix the enclosing lengths (each grew by 5).
        for tag_at in [0, at, resp.iter().rposition(|&b| b == 0x30).unwrap()] {
            resp[tag_at + 1] += 5;
        }
        let varbind_list = resp[..resp.len() - 20]
            .iter()
            .rposition(|&b| b == 0x30)
            .unwrap();
        resp[varbind_list + 1] += 5;
        assert_eq!(
            parse_response(&resp).unwrap(),
            ("public".into(), "Linux".into())
        );
        assert!(parse_response(&r).is_err(), "a request is not a response");
        assert!(parse_response(&[0x30, 0x84, 1, 1, 1, 1]).is_err());
    }
}
