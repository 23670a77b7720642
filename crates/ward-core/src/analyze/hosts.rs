//! Network targets that reach into the machine's own cloud: the instance metadata
//! services (which hand out the machine's credentials) and link-local addresses.
//! Hosts are parsed, not matched as text, so the other spellings of an address
//! that servers accept still count: `http://2852039166/` and `http://0xa9fea9fe/`
//! are `169.254.169.254`, and so is `[::ffff:169.254.169.254]`.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::{Action, TargetKind};

/// Metadata services reached by name.
const METADATA_NAMES: [&str; 6] = [
    "metadata.google.internal",
    "metadata.goog",
    "metadata",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.azure.internal",
];

/// Metadata services reached by address (AWS/Azure/GCP/Oracle, AWS ECS task
/// credentials, Alibaba Cloud).
const METADATA_V4: [Ipv4Addr; 3] = [
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(169, 254, 170, 2),
    Ipv4Addr::new(100, 100, 100, 200),
];

/// AWS's IPv6 metadata endpoint.
const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);

/// Adds a `net.cloud-metadata` or `net.link-local` finding for each network target
/// whose host is one.
pub(crate) fn check_targets(action: &mut Action) {
    let mut found = Vec::new();
    for target in &action.targets {
        if target.kind != TargetKind::Network {
            continue;
        }
        let host = host_of(&target.path);
        if let Some(kind) = classify(&host) {
            found.push((kind, host));
        }
    }
    for (kind, host) in found {
        let detail = match kind {
            "net.cloud-metadata" => format!("{host} is a cloud metadata service"),
            _ => format!("{host} is a link-local address"),
        };
        action.add_finding(kind, Some(&host), detail);
    }
}

/// The host of a URL, `user@host:path`, `host:port` or bare host, lowercase,
/// without brackets.
fn host_of(address: &str) -> String {
    let rest = address.split_once("://").map_or(address, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or(bracketed)
    } else if authority.matches(':').count() == 1 {
        authority.split(':').next().unwrap_or(authority)
    } else {
        authority
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// What kind of host this is, if it is one to worry about.
fn classify(host: &str) -> Option<&'static str> {
    if METADATA_NAMES.contains(&host) {
        return Some("net.cloud-metadata");
    }
    if let Some(embedded) = wildcard_dns_address(host) {
        return classify(&embedded);
    }
    let v4 = parse_ipv4(host).or_else(|| {
        host.parse::<Ipv6Addr>()
            .ok()
            .and_then(|v6| v6.to_ipv4_mapped())
    });
    if let Some(v4) = v4 {
        if METADATA_V4.contains(&v4) {
            return Some("net.cloud-metadata");
        }
        return v4.is_link_local().then_some("net.link-local");
    }
    let v6 = host
        .split('%')
        .next()
        .unwrap_or(host)
        .parse::<Ipv6Addr>()
        .ok()?;
    if v6 == METADATA_V6 {
        return Some("net.cloud-metadata");
    }
    v6.is_unicast_link_local().then_some("net.link-local")
}

/// Wildcard DNS services answer with the address written in the name
/// (`169.254.169.254.nip.io`, `app-169-254-169-254.sslip.io`, `a9fea9fe.nip.io`).
const WILDCARD_DNS: [&str; 6] = [
    ".nip.io",
    ".sslip.io",
    ".xip.io",
    ".traefik.me",
    ".localtest.me",
    ".lvh.me",
];

/// The address a wildcard DNS name resolves to, when it is one.
fn wildcard_dns_address(host: &str) -> Option<String> {
    let prefix = WILDCARD_DNS
        .iter()
        .find_map(|domain| host.strip_suffix(domain))?;
    let labels: Vec<&str> = prefix.split('.').collect();
    if labels.len() >= 4 {
        let dotted = labels.get(labels.len() - 4..)?.join(".");
        if parse_ipv4(&dotted).is_some() {
            return Some(dotted);
        }
    }
    let last = labels.last()?;
    let dashed = last.rsplit('-').take(4).collect::<Vec<_>>();
    if dashed.len() == 4 {
        let address: Vec<&str> = dashed.into_iter().rev().collect();
        let address = address.join(".");
        if parse_ipv4(&address).is_some() {
            return Some(address);
        }
    }
    (last.len() == 8 && last.bytes().all(|b| b.is_ascii_hexdigit())).then(|| format!("0x{last}"))
}

/// An IPv4 address in any form `inet_aton` accepts, as HTTP clients do: dotted
/// with one to four parts, each decimal, octal (`0` prefix) or hex (`0x` prefix).
fn parse_ipv4(host: &str) -> Option<Ipv4Addr> {
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b'x')
    {
        return None;
    }
    let parts: Vec<u64> = host
        .split('.')
        .map(parse_number)
        .collect::<Option<Vec<_>>>()?;
    let (last, leading) = parts.split_last()?;
    if leading.len() > 3 || leading.iter().any(|part| *part > 255) {
        return None;
    }
    let width = 8 * (4 - leading.len());
    if *last >= 1u64 << width {
        return None;
    }
    let mut value = *last;
    for (index, part) in leading.iter().enumerate() {
        value |= part << (24 - 8 * index);
    }
    Some(Ipv4Addr::from(u32::try_from(value).ok()?))
}

fn parse_number(part: &str) -> Option<u64> {
    if let Some(hex) = part.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok();
    }
    if part.len() > 1 && part.starts_with('0') {
        return u64::from_str_radix(&part[1..], 8).ok();
    }
    part.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_taken_from_every_address_form() {
        assert_eq!(
            host_of("http://169.254.169.254/latest/meta-data/"),
            "169.254.169.254"
        );
        assert_eq!(
            host_of("http://user:pw@Metadata.Google.Internal.:80/x"),
            "metadata.google.internal"
        );
        assert_eq!(host_of("http://[fd00:ec2::254]/latest"), "fd00:ec2::254");
        assert_eq!(host_of("169.254.169.254:80"), "169.254.169.254");
        assert_eq!(host_of("git@github.com:org/repo.git"), "github.com");
    }

    #[test]
    fn metadata_addresses_are_recognised_in_every_spelling() {
        for host in [
            "169.254.169.254",
            "2852039166",
            "0xa9fea9fe",
            "0251.0376.0251.0376",
            "169.254.43518",
            "::ffff:169.254.169.254",
            "fd00:ec2::254",
            "metadata.google.internal",
            "100.100.100.200",
            "169.254.170.2",
            "169.254.169.254.nip.io",
            "app-169-254-169-254.sslip.io",
            "a9fea9fe.nip.io",
        ] {
            assert_eq!(classify(host), Some("net.cloud-metadata"), "{host}");
        }
    }

    #[test]
    fn link_local_is_told_apart_from_ordinary_hosts() {
        assert_eq!(classify("169.254.1.1"), Some("net.link-local"));
        assert_eq!(classify("fe80::1"), Some("net.link-local"));
        for host in [
            "github.com",
            "10.0.0.1",
            "127.0.0.1",
            "192.168.1.1",
            "8.8.8.8",
            "abc",
            "deadbeef.com",
            "1.2.3.4.5",
        ] {
            assert_eq!(classify(host), None, "{host}");
        }
    }
}
