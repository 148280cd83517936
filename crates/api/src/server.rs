//! Hosting the router on a local socket (`sentiment-analyzer serve`). In AWS the Lambda
//! runtime does this part; here it must also survive hostile clients:
//! - a header-read timeout that also closes idle keep-alive connections;
//! - a cap on open connections, above which a small overflow pool still answers `/health`
//!   (and refuses everything else with 503) so a flood of idle sockets cannot hide a healthy
//!   server from its checks;
//! - accept errors (out of file descriptors) back off instead of spinning;
//! - the errors HTTP parsing produces before the router runs (400, 414, 431) carry the same
//!   JSON body as every other error.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::error::error_json;
use crate::request_id;

/// Connection-level settings; the defaults are documented in the README.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// A client must finish sending a request's headers within this time, and an idle
    /// keep-alive connection is closed after it.
    pub header_read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Extra connections that may only ask for `/health`, served with a short timeout.
    pub overflow_connections: usize,
    /// How long a shutdown waits for requests in progress.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 4096,
            overflow_connections: 64,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl ServerConfig {
    /// Fits the connection caps under a file-descriptor limit, keeping a quarter of it for
    /// the store, logs and outgoing connections.
    pub fn within_fd_limit(mut self, fd_limit: u64) -> Self {
        let usable = usize::try_from(fd_limit.saturating_mul(3) / 4).unwrap_or(usize::MAX);
        self.overflow_connections = self.overflow_connections.min(usable / 8).max(1);
        self.max_connections =
            self.max_connections.min(usable.saturating_sub(self.overflow_connections)).max(1);
        self
    }
}

/// Largest request head (request line and headers) read into memory per connection.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests in progress
/// finish (for at most `shutdown_grace`).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let connections = Arc::new(Semaphore::new(config.max_connections));
    let overflow = Arc::new(Semaphore::new(config.overflow_connections));
    let graceful = GracefulShutdown::new();
    let mut last_accept_warning: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors (or a transient network error): wait a little so
                // connections can close, instead of retrying in a tight loop.
                if last_accept_warning.is_none_or(|at| at.elapsed() > Duration::from_secs(5)) {
                    tracing::warn!(%error, "cannot accept connections");
                    last_accept_warning = Some(Instant::now());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        if let Ok(permit) = Arc::clone(&connections).try_acquire_owned() {
            let service = hyper_service(app.clone(), peer);
            let connection =
                http1(&config, true).serve_connection(TokioIo::new(JsonErrors::new(stream)), service);
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                let _ = connection.await;
                drop(permit);
            });
        } else if let Ok(permit) = Arc::clone(&overflow).try_acquire_owned() {
            let service = overflow_service(app.clone(), peer);
            let mut overflow_config = config.clone();
            overflow_config.header_read_timeout = config.header_read_timeout.min(Duration::from_secs(2));
            let connection = http1(&overflow_config, false)
                .serve_connection(TokioIo::new(JsonErrors::new(stream)), service);
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(5), connection).await;
                drop(permit);
            });
        } else {
            // Every slot, overflow included, is taken: close at once rather than queue.
            drop(stream);
        }
    }
    drop(listener);
    if tokio::time::timeout(config.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections were still busy after the shutdown grace period");
    }
    Ok(())
}

fn http1(config: &ServerConfig, keep_alive: bool) -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .keep_alive(keep_alive)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(100);
    builder
}

fn with_peer(mut request: Request<Incoming>, peer: SocketAddr) -> Request<Body> {
    request.extensions_mut().insert(ConnectInfo(peer));
    request.map(Body::new)
}

fn hyper_service(
    app: Router,
    peer: SocketAddr,
) -> impl hyper::service::Service<Request<Incoming>, Response = Response<Body>, Error = Infallible, Future: Send>
+ Clone {
    hyper::service::service_fn(move |request: Request<Incoming>| {
        let app = app.clone();
        async move { app.oneshot(with_peer(request, peer)).await }
    })
}

/// Over the connection cap: `/health` is still answered, everything else is refused.
fn overflow_service(
    app: Router,
    peer: SocketAddr,
) -> impl hyper::service::Service<Request<Incoming>, Response = Response<Body>, Error = Infallible, Future: Send>
+ Clone {
    hyper::service::service_fn(move |request: Request<Incoming>| {
        let app = app.clone();
        async move {
            if request.uri().path() == "/health" {
                return app.oneshot(with_peer(request, peer)).await;
            }
            let id = request_id::generate();
            let body = request_id::scope(id.clone(), async {
                error_json("overloaded", "the server is at its connection limit; retry shortly".into())
            })
            .await;
            Ok(Response::builder()
                .status(StatusCode::SERVICE_UNAVAILABLE)
                .header("content-type", "application/json")
                .header("retry-after", "1")
                .header("connection", "close")
                .header(request_id::HEADER, id)
                .body(Body::from(body))
                .unwrap_or_default())
        }
    })
}

/// Wraps a connection so that the bodiless error responses hyper writes by itself when a
/// request cannot be parsed (400, 414 URI too long, 431 headers too large) go out with the
/// service's JSON error body instead. Everything else passes through untouched.
pub(crate) struct JsonErrors<S> {
    inner: S,
    /// A rewritten response still to be written, and how much of it is written.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> JsonErrors<S> {
    pub(crate) fn new(inner: S) -> Self {
        Self { inner, pending: None }
    }
}

/// If `head` is hyper's own response to an unparseable request, the JSON version of it.
fn rewrite(head: &[u8]) -> Option<Vec<u8>> {
    let (code, reason, error_code, message) = match head.get(..12)? {
        b"HTTP/1.1 400" => (400, "Bad Request", "bad_request", "the request could not be parsed as HTTP"),
        b"HTTP/1.1 414" => (414, "URI Too Long", "uri_too_long", "the request URI is too long"),
        b"HTTP/1.1 431" => {
            (431, "Request Header Fields Too Large", "headers_too_large", "the request headers are too large")
        }
        _ => return None,
    };
    if !head.ends_with(b"\r\n\r\n") {
        return None;
    }
    let lower = head.to_ascii_lowercase();
    if !lower.windows(19).any(|w| w == b"content-length: 0\r\n") {
        return None;
    }
    let id = request_id::generate();
    let body = format!(r#"{{"error":{{"code":"{error_code}","message":"{message}","request_id":"{id}"}}}}"#);
    Some(
        format!(
            "HTTP/1.1 {code} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\n\
             {}: {id}\r\n\r\n{body}",
            body.len(),
            request_id::HEADER
        )
        .into_bytes(),
    )
}

impl<S: AsyncWrite + Unpin> JsonErrors<S> {
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            if *written == bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonErrors<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonErrors<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(self.drain(cx))?;
        if let Some(replacement) = rewrite(buf) {
            self.pending = Some((replacement, 0));
            // Accepted: it goes out (rewritten) on this or the next flush.
            if let Poll::Ready(Err(e)) = self.drain(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    // Not vectored: hyper then hands each response head over in one contiguous write, which
    // is what `rewrite` inspects.
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_bodiless_parse_errors_are_rewritten() {
        let hyper_431 =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let out = String::from_utf8(rewrite(hyper_431).unwrap()).unwrap();
        assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
        assert!(out.contains("content-type: application/json"));
        let body: serde_json::Value = serde_json::from_str(out.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["error"]["code"], "headers_too_large");
        assert!(body["error"]["request_id"].is_string());
        // The router's own responses are never touched, whatever their status.
        assert!(
            rewrite(
                b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 80\r\n\r\n"
            )
            .is_none()
        );
        assert!(rewrite(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(rewrite(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}").is_none());
    }
}
