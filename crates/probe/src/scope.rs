//! What may be probed: exactly the address the user gave. A host name that resolves to several
//! addresses is refused unless the user allows it; a CIDR range only with an explicit opt-in and at
//! most [`MAX_CIDR_HOSTS`] hosts; multicast, broadcast and unspecified addresses never.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

/// Largest range `--cidr` accepts (a /24).
pub const MAX_CIDR_HOSTS: u32 = 256;

/// How the target may widen beyond one address.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScopeRules {
    /// Accept a host name that resolves to several addresses (all are probed).
    pub all_addresses: bool,
    /// Accept `ADDR/PREFIX` (every address of the range is probed).
    pub cidr: bool,
}

/// Resolve the target to the addresses that will be probed.
pub fn resolve(target: &str, rules: ScopeRules) -> Result<Vec<IpAddr>, String> {
    let target = target.trim();
    if target.is_empty() {
        return Err("no target given".into());
    }
    let addrs = if let Some((net, prefix)) = target.split_once('/') {
        if !rules.cidr {
            return Err(format!(
                "{target} is a range: iotassay probes one device; pass --cidr to probe every \
                 address of a range you own"
            ));
        }
        cidr_hosts(net, prefix)?
    } else if let Ok(ip) = target.trim_matches(['[', ']']).parse::<IpAddr>() {
        vec![ip]
    } else {
        let mut found: Vec<IpAddr> = (target, 0u16)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {target}: {e}"))?
            .map(|a| a.ip())
            .collect();
        found.sort();
        found.dedup();
        if found.len() > 1 && !rules.all_addresses {
            return Err(format!(
                "{target} resolves to {} addresses ({}): give one address, or pass \
                 --all-addresses to probe them all",
                found.len(),
                found
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        found
    };
    for a in &addrs {
        refuse_special(*a)?;
    }
    if addrs.is_empty() {
        return Err(format!("{target} resolves to no address"));
    }
    Ok(addrs)
}

fn refuse_special(a: IpAddr) -> Result<(), String> {
    let bad = match a {
        IpAddr::V4(v4) => {
            v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4 == Ipv4Addr::BROADCAST
        }
        IpAddr::V6(v6) => v6.is_multicast() || v6.is_unspecified(),
    };
    if bad {
        Err(format!(
            "{a} is a multicast, broadcast or unspecified address: only one device's own address \
             can be probed"
        ))
    } else {
        Ok(())
    }
}

fn cidr_hosts(net: &str, prefix: &str) -> Result<Vec<IpAddr>, String> {
    let prefix: u32 = prefix
        .parse()
        .map_err(|_| format!("bad prefix length {prefix:?}"))?;
    match net.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            if prefix > 32 {
                return Err(format!("bad IPv4 prefix length /{prefix}"));
            }
            let count = 1u64 << (32 - prefix);
            if count > MAX_CIDR_HOSTS as u64 {
                return Err(format!(
                    "/{prefix} is {count} addresses; at most {MAX_CIDR_HOSTS} (a /24) are probed"
                ));
            }
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix)
            };
            let base = u32::from(v4) & mask;
            let mut out: Vec<IpAddr> = (0..count as u32)
                .map(|i| IpAddr::V4(Ipv4Addr::from(base + i)))
                .collect();
            // Network and broadcast addresses of ranges larger than a /31 are not hosts.
            if count > 2 {
                out.remove(0);
                out.pop();
            }
            Ok(out)
        }
        Ok(IpAddr::V6(v6)) => {
            if !(120..=128).contains(&prefix) {
                return Err(format!(
                    "/{prefix}: IPv6 ranges larger than a /120 ({MAX_CIDR_HOSTS} addresses) are refused"
                ));
            }
            let count = 1u128 << (128 - prefix);
            let mask = u128::MAX << (128 - prefix);
            let base = u128::from(v6) & mask;
            Ok((0..count)
                .map(|i| IpAddr::V6(Ipv6Addr::from(base + i)))
                .collect())
        }
        Err(_) => Err(format!("bad network address {net:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_is_itself() {
        let r = resolve("127.0.0.7", ScopeRules::default()).unwrap();
        assert_eq!(r, vec!["127.0.0.7".parse::<IpAddr>().unwrap()]);
        assert_eq!(
            resolve("[::1]", ScopeRules::default()).unwrap(),
            vec!["::1".parse::<IpAddr>().unwrap()]
        );
    }

    #[test]
    fn ranges_need_the_opt_in_and_are_bounded() {
        let e = resolve("127.0.0.0/30", ScopeRules::default()).unwrap_err();
        assert!(e.contains("--cidr"), "{e}");
        let cidr = ScopeRules {
            cidr: true,
            ..Default::default()
        };
        let r = resolve("127.0.0.5/30", cidr).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].to_string(), "127.0.0.5");
        assert_eq!(r[1].to_string(), "127.0.0.6");
        assert!(resolve("10.0.0.0/16", cidr)
            .unwrap_err()
            .contains("at most 256"));
        assert!(resolve("::/64", cidr).is_err());
    }

    #[test]
    fn special_addresses_are_refused() {
        for t in ["224.0.0.1", "255.255.255.255", "0.0.0.0", "ff02::1", "::"] {
            assert!(resolve(t, ScopeRules::default()).is_err(), "{t}");
        }
    }

    #[test]
    fn names_resolve_and_garbage_does_not() {
        assert!(resolve(
            "localhost",
            ScopeRules {
                all_addresses: true,
                ..Default::default()
            }
        )
        .unwrap()
        .iter()
        .all(|a| a.is_loopback()));
        assert!(resolve("", ScopeRules::default()).is_err());
    }
}
