//! Who a request really comes from. Behind the reverse proxy the docs recommend, every request's
//! TCP peer is the proxy, so limits keyed on it would lock out a whole PCN at once; the client's
//! own address is then in `Forwarded` or `X-Forwarded-For`. Those headers are only believed from
//! a proxy the operator has named (`trusted_proxies`): from anyone else they could be written to
//! dodge a limit or to blame another address.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

/// The client's address: the peer, unless the peer is a trusted proxy; then the nearest address
/// in the forwarding chain that is not itself a trusted proxy.
pub(crate) fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let chain = forwarded_chain(headers);
    let mut client = peer;
    // Right to left: each trusted hop vouches for the one before it.
    for hop in chain.iter().rev() {
        match hop {
            Some(ip) if is_trusted(&client) => client = *ip,
            _ => break,
        }
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// The addresses a request passed through, leftmost the client, from `Forwarded` (RFC 7239)
/// when present, else `X-Forwarded-For`. A hop that is not an address (`unknown`, an obfuscated
/// name) is `None`, and ends the trust.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(',').map(|s| s.trim().to_owned()))
            .filter(|s| !s.is_empty())
            .collect()
    };
    let forwarded = values("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| node_address(v.trim().trim_matches('"')))
            })
            .collect();
    }
    values("x-forwarded-for")
        .iter()
        .map(|v| node_address(v))
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn node_address(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.rsplit_once(':')?.0.parse().ok()
}

/// Reads the `trusted_proxies` setting: addresses or CIDR ranges.
pub fn parse_trusted(entries: &[String]) -> Result<Vec<IpNet>, String> {
    entries
        .iter()
        .map(|e| {
            let e = e.trim();
            e.parse::<IpNet>()
                .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("'{e}' in trusted_proxies is not an address or a CIDR range (such as 10.0.0.0/8)"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarding_headers_are_believed_only_from_a_trusted_proxy() {
        let trusted = parse_trusted(&["10.0.0.0/8".into(), "192.0.2.7".into()]).unwrap();
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            client_address(ip("10.1.2.3"), &h, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("192.0.2.7"), &h, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("198.51.100.4"), &h, &trusted),
            ip("198.51.100.4"),
            "anyone else's header is ignored"
        );
        assert_eq!(client_address(ip("10.1.2.3"), &h, &[]), ip("10.1.2.3"));
    }

    #[test]
    fn the_client_is_the_nearest_hop_that_is_not_a_trusted_proxy() {
        let trusted = parse_trusted(&["10.0.0.0/8".into()]).unwrap();
        // A client wrote its own X-Forwarded-For; the proxies appended what they saw.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.0.0.2")]);
        assert_eq!(
            client_address(ip("10.0.0.1"), &h, &trusted),
            ip("203.0.113.9")
        );
        let h = headers(&[("x-forwarded-for", "unknown, 10.0.0.2")]);
        assert_eq!(client_address(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.2"));
        let h = headers(&[(
            "forwarded",
            "for=1.2.3.4, for=\"[2001:db8::17]:4711\";proto=https, for=10.0.0.2:80",
        )]);
        assert_eq!(
            client_address(ip("10.0.0.1"), &h, &trusted),
            ip("2001:db8::17")
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), &HeaderMap::new(), &trusted),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn a_mistyped_proxy_setting_is_named() {
        let e = parse_trusted(&["10.0.0.0/33".into()]).unwrap_err();
        assert!(e.contains("'10.0.0.0/33'"), "{e}");
    }
}
