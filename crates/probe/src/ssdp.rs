//! UPnP discovery, unicast only: an SSDP M-SEARCH (UPnP Device Architecture 2.0 §1.3.2) sent to
//! the device's own address, never to the multicast group, then the device description at the
//! LOCATION it gives — fetched only when LOCATION names the same address. From the description:
//! model, firmware version and serial number (a leak: EN 303 645 5.8 / 5.6), and whether it offers
//! an Internet Gateway Device's port-mapping services (WANIPConnection / WANPPPConnection).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::net::Gate;

/// What the device said about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsdpFacts {
    pub port: u16,
    /// Answers to one M-SEARCH, and their total size (the amplification factor's numerator).
    pub responses: usize,
    pub response_bytes: usize,
    pub request_bytes: usize,
    pub server: Option<String>,
    pub location: Option<String>,
    pub friendly_name: Option<String>,
    pub manufacturer: Option<String>,
    pub model_name: Option<String>,
    pub model_number: Option<String>,
    pub serial_number: Option<String>,
    pub udn: Option<String>,
    /// Service types offered (`urn:schemas-upnp-org:service:WANIPConnection:1`…), at most 32.
    pub services: Vec<String>,
    /// Why the description was not read, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

pub fn m_search() -> Vec<u8> {
    b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\nUSER-AGENT: iotassay-probe UPnP/2.0\r\n\r\n".to_vec()
}

/// The text of the first `<tag>…</tag>` in `xml` (entities for `&amp;`-style escapes decoded).
pub fn tag(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    let v = xml[start..end].trim();
    Some(
        v.chars()
            .take(256)
            .collect::<String>()
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// Every `<serviceType>` (bounded).
pub fn service_types(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while out.len() < 32 {
        let Some(v) = tag(rest, "serviceType") else {
            break;
        };
        let Some(at) = rest.find("</serviceType>") else {
            break;
        };
        if !out.contains(&v) {
            out.push(v);
        }
        rest = &rest[at + 14..];
    }
    out
}

/// Split `http://HOST:PORT/PATH` into the socket address and path, when HOST is `target`.
pub fn same_host_location(location: &str, target: IpAddr) -> Result<(SocketAddr, String), String> {
    let rest = location
        .strip_prefix("http://")
        .ok_or_else(|| format!("LOCATION {location} is not http://"))?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let addr: SocketAddr = if hostport.contains(':')
        && !hostport.starts_with('[')
        && hostport.matches(':').count() == 1
    {
        hostport
            .parse()
            .map_err(|_| format!("bad LOCATION host {hostport}"))?
    } else if hostport.starts_with('[') {
        hostport
            .parse()
            .or_else(|_| format!("{hostport}:80").parse())
            .map_err(|_| format!("bad LOCATION host {hostport}"))?
    } else {
        format!("{hostport}:80")
            .parse()
            .map_err(|_| format!("bad LOCATION host {hostport}"))?
    };
    if addr.ip() != target {
        return Err(format!(
            "LOCATION names another host ({}): not fetched",
            addr.ip()
        ));
    }
    Ok((addr, path))
}

/// M-SEARCH to `addr`, then the description.
pub async fn facts(
    gate: &Gate,
    addr: SocketAddr,
    wait: Duration,
) -> Result<Option<SsdpFacts>, String> {
    let request = m_search();
    let answers = gate.udp_exchange(addr, &request, 16, 8192).await?;
    if answers.is_empty() {
        return Ok(None);
    }
    let mut f = SsdpFacts {
        port: addr.port(),
        responses: answers.len(),
        response_bytes: answers.iter().map(Vec::len).sum(),
        request_bytes: request.len(),
        ..Default::default()
    };
    for a in &answers {
        let mut with_end = a.clone();
        if !with_end.ends_with(b"\r\n\r\n") {
            with_end.extend_from_slice(b"\r\n\r\n");
        }
        if let Ok(r) = crate::http::parse_response(&with_end) {
            f.server = f.server.or(r.header("server").map(str::to_string));
            f.location = f.location.or(r.header("location").map(str::to_string));
        }
    }
    if let Some(loc) = f.location.clone() {
        match same_host_location(&loc, addr.ip()) {
            Err(e) => f.note = Some(e),
            Ok((http_addr, path)) => {
                let req = crate::http::build("GET", http_addr, &path, false, "");
                match crate::http::request(gate, crate::http::Target::plain(http_addr), &req, wait)
                    .await
                {
                    Ok(r) if r.status == 200 => {
                        let xml = String::from_utf8_lossy(&r.body).into_owned();
                        f.friendly_name = tag(&xml, "friendlyName");
                        f.manufacturer = tag(&xml, "manufacturer");
                        f.model_name = tag(&xml, "modelName");
                        f.model_number = tag(&xml, "modelNumber");
                        f.serial_number = tag(&xml, "serialNumber");
                        f.udn = tag(&xml, "UDN");
                        f.services = service_types(&xml);
                    }
                    Ok(r) => f.note = Some(format!("description: {}", r.status_line())),
                    Err(e) => f.note = Some(format!("description: {e}")),
                }
            }
        }
    }
    Ok(Some(f))
}

/// Fuzz entry point: bytes as a description document and a LOCATION.
pub fn fuzz(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = tag(&text, "serialNumber");
    let _ = service_types(&text);
    let _ = same_host_location(&text, IpAddr::from([127, 0, 0, 1]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_fields() {
        let xml = "<root><device><modelName>R&amp;D 1</modelName><serialNumber> 00112233 </serialNumber>\
                   <serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType></service>\
                   <service><serviceType>urn:x:1</serviceType></service></serviceList></device></root>";
        assert_eq!(tag(xml, "modelName").unwrap(), "R&D 1");
        assert_eq!(tag(xml, "serialNumber").unwrap(), "00112233");
        assert_eq!(service_types(xml).len(), 2);
        assert_eq!(tag(xml, "UDN"), None);
    }

    #[test]
    fn location_must_be_the_target() {
        let t: IpAddr = "127.0.0.9".parse().unwrap();
        let (a, p) = same_host_location("http://127.0.0.9:5000/rootDesc.xml", t).unwrap();
        assert_eq!((a.port(), p.as_str()), (5000, "/rootDesc.xml"));
        assert!(same_host_location("http://192.0.2.1:5000/x", t).is_err());
        assert!(same_host_location("https://127.0.0.9/x", t).is_err());
    }
}
