//! Running the real binary: one-shot commands, and a server whose log is followed line by
//! line so tests wait for what it says rather than for a fixed time.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_sentiment-analyzer");
/// Upper bound for anything a test waits on; a healthy run takes well under a second.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A command with no inherited API keys or settings, so the developer's shell cannot leak in.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for var in ["TIINGO_API_KEY", "FINNHUB_API_KEY", "TIINGO_BASE_URL", "FINNHUB_BASE_URL", "RUST_LOG"] {
        cmd.env_remove(var);
    }
    for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("AWS_")) {
        cmd.env_remove(var);
    }
    for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("SENTIMENT_")) {
        cmd.env_remove(var);
    }
    cmd
}

pub fn run(mut cmd: impl std::borrow::BorrowMut<Command>) -> Output {
    cmd.borrow_mut().stdin(Stdio::null()).output().expect("run sentiment-analyzer")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn ingest_once(data_dir: &Path) -> serde_json::Value {
    let out =
        run(command(&["ingest", "--once", "--data-dir", data_dir.to_str().unwrap(), "--source", "sample"]));
    assert!(out.status.success(), "ingest failed: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("summary is JSON")
}

pub struct Server {
    child: Option<Child>,
    lines: Receiver<String>,
    pub log: Vec<String>,
    pub base: String,
}

impl Server {
    /// `serve` on `data_dir` with the linear model: these servers test the service, not the
    /// model (`tests/model.rs` runs the encoder through the binary), and the encoder's first
    /// ingestion of the sample, explanations included, takes about a minute in a debug build.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Self {
        let mut args = vec!["serve", "--addr", "127.0.0.1:0", "--data-dir", data_dir.to_str().unwrap()];
        args.extend_from_slice(extra);
        let mut cmd = command(&args);
        cmd.env("SENTIMENT_MODEL", "linear");
        Self::spawn(cmd)
    }

    /// Starts a prepared `serve` command and waits until it listens.
    pub fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn server");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Self { child: Some(child), lines, log: Vec::new(), base: String::new() };
        let ready = server.wait_for_line("listening on http://");
        let url = ready.split("listening on ").nth(1).expect("url").trim().to_owned();
        server.base = url;
        server
    }

    /// Waits until the server logs a line containing `needle`, and returns it.
    pub fn wait_for_line(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no line with {needle:?} in time; log:\n{}", self.log.join("\n"))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("server exited before logging {needle:?}; log:\n{}", self.log.join("\n"))
                }
            }
        }
    }

    pub fn get(&self, path: &str) -> (u16, serde_json::Value) {
        reqwest::blocking_get(&format!("{}{path}", self.base))
    }

    pub fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id();
        let status = Command::new("kill").args([signal, &pid.to_string()]).status().expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to exit and returns its exit code (None if killed by a signal).
    pub fn wait(mut self) -> (Option<i32>, Vec<String>) {
        let mut child = self.child.take().expect("running");
        let pid = child.id();
        let (tx, exited) = channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        match exited.recv_timeout(PATIENCE) {
            Ok(status) => {
                // The log pipe closes when the process is gone; drain it.
                while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
                    self.log.push(line);
                }
                (status.expect("wait").code(), std::mem::take(&mut self.log))
            }
            Err(_) => {
                let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
                panic!("server did not exit in time; log:\n{}", self.log.join("\n"));
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

mod reqwest {
    /// A blocking GET on a throwaway runtime; status and JSON body (Null if not JSON).
    pub fn blocking_get(url: &str) -> (u16, serde_json::Value) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let response = ::reqwest::get(url).await.expect("GET");
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or(serde_json::Value::Null))
        })
    }
}
