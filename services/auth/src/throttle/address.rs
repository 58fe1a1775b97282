//! Per-address limits, in memory: who the client is, and how often it may knock.

use std::{
    net::{IpAddr, Ipv6Addr, SocketAddr},
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, request::Parts},
};
use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

use super::AddressQuota;
use crate::state::AppState;

/// The client's address as far as it can be known: the connection's peer, or with trusted
/// proxies configured, the entry they appended to `X-Forwarded-For`. `None` when the server
/// passed no connection info (a router served without it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClientAddress(pub(crate) Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        Ok(Self(client_address(peer, &parts.headers, state.throttle.trusted_proxy_hops())))
    }
}

/// With `hops` proxies in front, each appending the address it received from to
/// `X-Forwarded-For`, the client is the entry `hops - 1` places from the right (the peer being
/// the last proxy). Entries further left are whatever the client chose to send.
fn client_address(peer: Option<IpAddr>, headers: &HeaderMap, hops: usize) -> Option<IpAddr> {
    let peer = peer?;
    if hops == 0 {
        return Some(peer);
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    // Fewer entries than proxies: the chain is shorter than configured; the leftmost entry
    // is the best there is.
    let entry = forwarded.len().checked_sub(hops).map_or(forwarded.first(), |i| forwarded.get(i));
    match entry.map(|e| e.parse::<IpAddr>()) {
        Some(Ok(address)) => Some(address),
        // No header, or an entry that is not an address: the peer is all that is known.
        _ => Some(peer),
    }
}

/// The unit one limit applies to: an IPv4 address, or an IPv6 /64, since one subscriber
/// usually holds a whole /64 and could otherwise take a new address per request.
fn limit_key(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
    }
}

/// How many checks pass between sweeps of addresses that are back to a full burst.
const SWEEP_EVERY: u32 = 1024;

/// A GCRA limiter per address (`governor`).
pub(crate) struct AddressLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    checks: AtomicU32,
}

impl AddressLimiter {
    pub(crate) fn new(quota: AddressQuota) -> Self {
        let quota = Quota::per_minute(quota.per_minute).allow_burst(quota.burst);
        Self { limiter: RateLimiter::keyed(quota), clock: DefaultClock::default(), checks: AtomicU32::new(0) }
    }

    /// Takes one request from `address`'s allowance; `Err` says how long until it may retry.
    pub(crate) fn check(&self, address: IpAddr) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            // Forget addresses whose allowance is full again, so memory follows live clients.
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter
            .check_key(&limit_key(address))
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use axum::http::HeaderValue;

    use super::*;

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        let spoofed = headers(&["203.0.113.7"]);
        assert_eq!(client_address(Some(ip("198.51.100.1")), &spoofed, 0), Some(ip("198.51.100.1")));
    }

    #[test]
    fn with_trusted_proxies_the_entry_they_appended_is_the_client() {
        // The client sent a forged entry; the one proxy appended the real address.
        let forwarded = headers(&["203.0.113.7, 192.0.2.44"]);
        assert_eq!(client_address(Some(ip("10.0.0.2")), &forwarded, 1), Some(ip("192.0.2.44")));
        // Two proxies, the header split over two lines.
        let forwarded = headers(&["203.0.113.7, 192.0.2.44", "10.0.0.9"]);
        assert_eq!(client_address(Some(ip("10.0.0.2")), &forwarded, 2), Some(ip("192.0.2.44")));
    }

    #[test]
    fn a_missing_or_unreadable_header_falls_back_to_the_peer() {
        let peer = Some(ip("10.0.0.2"));
        assert_eq!(client_address(peer, &HeaderMap::new(), 1), peer);
        assert_eq!(client_address(peer, &headers(&["unknown"]), 1), peer);
        assert_eq!(client_address(None, &headers(&["192.0.2.44"]), 1), None);
    }

    #[test]
    fn an_ipv6_client_is_limited_by_its_slash_64_and_a_mapped_ipv4_as_ipv4() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("2001:db8:1:2:bbbb::9")), limit_key(ip("2001:db8:1:2:aaaa::1")));
        assert_ne!(limit_key(ip("2001:db8:1:3::1")), limit_key(ip("2001:db8:1:2::1")));
        assert_eq!(limit_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }

    #[test]
    fn an_address_gets_its_burst_then_waits_and_others_are_unaffected() {
        let limiter = AddressLimiter::new(AddressQuota {
            per_minute: NonZeroU32::new(1).unwrap(),
            burst: NonZeroU32::new(3).unwrap(),
        });
        for _ in 0..3 {
            assert!(limiter.check(ip("192.0.2.1")).is_ok());
        }
        let wait = limiter.check(ip("192.0.2.1")).unwrap_err();
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60), "{wait:?}");
        assert!(limiter.check(ip("192.0.2.2")).is_ok());
    }
}
