//! AWS X-Ray subsegments, sent to the X-Ray daemon over UDP.
//!
//! With active tracing on, Lambda records a segment for each invocation and runs an X-Ray
//! daemon beside the function (`AWS_XRAY_DAEMON_ADDRESS`). The runtime puts the invocation's
//! trace header in `_X_AMZN_TRACE_ID` (`Root=1-…;Parent=…;Sampled=1`). A subsegment is one
//! UDP datagram to the daemon: a header line `{"format": "json", "version": 1}` and a JSON
//! document whose `trace_id` and `parent_id` hang it under the function's segment. This crate
//! writes those datagrams for the calls worth seeing on the service map: DynamoDB operations
//! (`store-dynamodb`) and vendor HTTP calls (`sources`).
//!
//! Why the daemon protocol and not OpenTelemetry: in Lambda the daemon is already there and
//! free; OpenTelemetry's X-Ray path needs the ADOT collector layer (more init time, more
//! memory, another moving part) for the same segments. A datagram costs one `sendto` and never
//! waits, so tracing adds nothing to a request's latency and cannot fail it: send errors are
//! dropped, as the X-Ray SDKs drop them.
//!
//! Nothing is sent unless a daemon is [installed](install) (the Lambda binaries call
//! [`install_from_env`]) and the current invocation is sampled. Segments carry names,
//! operations, table names, URLs without their query, statuses and timings: never headers,
//! bodies or credentials.
//!
//! Timestamps are wall-clock seconds: a trace lines up with the Lambda segment the service
//! records, which the service's injected clock knows nothing of.

mod header;
mod segment;

use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::{OnceLock, RwLock};

pub use header::TraceHeader;
pub use segment::{Namespace, Subsegment};

/// The environment variable the Lambda runtime sets per invocation.
pub const TRACE_HEADER_ENV: &str = "_X_AMZN_TRACE_ID";
/// The environment variable naming the daemon (`host:port`, or `udp:host:port tcp:host:port`).
pub const DAEMON_ADDRESS_ENV: &str = "AWS_XRAY_DAEMON_ADDRESS";

/// Where subsegments go.
#[derive(Debug)]
pub struct Daemon {
    socket: UdpSocket,
}

impl Daemon {
    /// A daemon at `address` (`host:port`, or the `udp:host:port tcp:host:port` form).
    pub fn new(address: &str) -> std::io::Result<Self> {
        let target = parse_address(address).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("not a daemon address: {address}"))
        })?;
        let local: SocketAddr =
            if target.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
        let socket = UdpSocket::bind(local)?;
        socket.connect(target)?;
        socket.set_nonblocking(true)?;
        Ok(Self { socket })
    }

    fn send(&self, datagram: &[u8]) {
        // Fire and forget: a lost subsegment must never cost the request anything.
        let _ = self.socket.send(datagram);
    }
}

fn parse_address(address: &str) -> Option<SocketAddr> {
    let parts: Vec<&str> = address.split_whitespace().collect();
    let udp = match parts.iter().find_map(|part| part.strip_prefix("udp:")) {
        Some(udp) => udp,
        None if parts.len() == 1 && !parts[0].starts_with("tcp:") => parts[0],
        None => return None,
    };
    udp.to_socket_addrs().ok()?.next()
}

static DAEMON: OnceLock<Daemon> = OnceLock::new();

/// Sends this process's subsegments to `daemon`. The first installation wins.
pub fn install(daemon: Daemon) {
    let _ = DAEMON.set(daemon);
}

/// Installs the daemon named by `AWS_XRAY_DAEMON_ADDRESS`, if it is set; returns whether
/// tracing is on. A malformed address is reported, never fatal: tracing is not worth failing
/// start-up for.
pub fn install_from_env() -> Result<bool, String> {
    let Ok(address) = std::env::var(DAEMON_ADDRESS_ENV) else { return Ok(false) };
    let daemon = Daemon::new(&address).map_err(|e| format!("{DAEMON_ADDRESS_ENV}: {e}"))?;
    install(daemon);
    Ok(true)
}

static CURRENT: RwLock<Option<TraceHeader>> = RwLock::new(None);

/// Sets the trace header of the work in progress, for hosts that know it without
/// `_X_AMZN_TRACE_ID` (lambda_runtime's concurrent mode does not export it; tests cannot set
/// environment variables safely). While set, it wins over the environment; `None` clears it.
pub fn set_current(header: Option<TraceHeader>) {
    if let Ok(mut current) = CURRENT.write() {
        *current = header;
    }
}

/// The current invocation's trace header, when it is sampled: the one [set](set_current), else
/// the one the Lambda runtime exported for this invocation.
pub fn current() -> Option<TraceHeader> {
    let set = CURRENT.read().ok().and_then(|current| current.clone());
    let header = set.or_else(|| TraceHeader::parse(&std::env::var(TRACE_HEADER_ENV).ok()?))?;
    header.sampled.then_some(header)
}

/// Starts a subsegment of the current invocation, or `None` when nothing would be sent (no
/// daemon, no trace header, not sampled), so untraced code pays one branch.
pub fn start(name: &str, namespace: Namespace) -> Option<Subsegment> {
    DAEMON.get()?;
    Subsegment::start(&current()?, name, namespace)
}

pub(crate) fn emit(datagram: &[u8]) {
    if let Some(daemon) = DAEMON.get() {
        daemon.send(datagram);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemon_addresses_in_both_forms() {
        assert_eq!(parse_address("127.0.0.1:2000"), Some(([127, 0, 0, 1], 2000).into()));
        assert_eq!(
            parse_address("tcp:127.0.0.1:2000 udp:127.0.0.2:2001"),
            Some(([127, 0, 0, 2], 2001).into())
        );
        assert_eq!(parse_address("udp:169.254.79.129:2000"), Some(([169, 254, 79, 129], 2000).into()));
        assert_eq!(parse_address("not an address"), None);
        assert_eq!(parse_address("tcp:127.0.0.1:2000"), None);
    }
}
