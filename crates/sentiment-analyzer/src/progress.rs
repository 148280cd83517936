//! A progress bar for long commands (`train`): redrawn in place on a terminal, one plain line
//! per step when standard error is a file or a pipe, so logs stay readable.

use std::io::{IsTerminal, Write};
use std::time::Instant;

const WIDTH: usize = 30;

pub struct Bar {
    what: &'static str,
    terminal: bool,
    started: Instant,
    drawn: bool,
}

impl Bar {
    pub fn new(what: &'static str) -> Self {
        Self { what, terminal: std::io::stderr().is_terminal(), started: Instant::now(), drawn: false }
    }

    /// `done` of `total` steps are finished.
    pub fn set(&mut self, done: usize, total: usize) {
        let elapsed = self.started.elapsed().as_secs_f64();
        let line = format!("{} {done}/{total} ({elapsed:.1} s)", self.what);
        let mut err = std::io::stderr().lock();
        // Progress is best effort: a closed stderr must not stop the work.
        let _ = if self.terminal {
            let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH).min(WIDTH);
            self.drawn = true;
            write!(err, "\r      [{}{}] {line}", "#".repeat(filled), " ".repeat(WIDTH - filled))
        } else {
            writeln!(err, "      {line}")
        };
        let _ = err.flush();
    }

    /// Ends the bar's line on a terminal.
    pub fn finish(self) {
        if self.drawn {
            eprintln!();
        }
    }
}
