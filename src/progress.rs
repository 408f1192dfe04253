//! Progress of the long-running commands (build, smoke): the one sink the docker modules write
//! to. Results are not progress: the command layer renders those from the results document.
//!
//! On a terminal a [`Progress::live`] line is rewritten in place (dimmed, one line, clipped); in CI
//! or when standard output is not a terminal it is a plain indented line. Plain lines go to
//! standard output, [`Progress::warn`] lines to standard error. A closed pipe is ignored
//! (`trm-ci build | head` must not panic).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

/// Width of the live line on a terminal.
const LIVE_WIDTH: usize = 100;

pub struct Progress {
    tty: bool,
    /// Whether a live line is on screen (to be erased before the next output).
    live_shown: Mutex<bool>,
    /// Collects what would be printed instead of printing it (tests).
    capture: Option<Mutex<String>>,
}

impl Progress {
    /// Standard output: live lines when it is a terminal and not a CI job's log. A runner can
    /// give a step a pseudo-terminal (act does), but its log viewer shows every rewrite of a live
    /// line as escape codes; `CI` (set by GitHub Actions, act and most CI services),
    /// `GITHUB_ACTIONS` and `TERM=dumb` mean plain lines.
    pub fn stdout() -> Progress {
        let set = |v: &str| std::env::var(v).is_ok_and(|x| !x.is_empty() && x != "false" && x != "0");
        let plain = set("CI") || set("GITHUB_ACTIONS") || std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Progress { tty: std::io::stdout().is_terminal() && !plain, live_shown: Mutex::new(false), capture: None }
    }

    /// Collects the plain (non-terminal) output in memory; see [`Progress::captured`].
    pub fn capture() -> Progress {
        Progress { tty: false, live_shown: Mutex::new(false), capture: Some(Mutex::new(String::new())) }
    }

    /// What a [`Progress::capture`] sink collected (stdout and stderr lines together).
    pub fn captured(&self) -> String {
        self.capture.as_ref().and_then(|c| c.lock().ok().map(|s| s.clone())).unwrap_or_default()
    }

    /// Whether live lines are rewritten in place.
    pub fn is_terminal(&self) -> bool {
        self.tty
    }

    fn write(&self, text: &str, to_stderr: bool) {
        if let Some(c) = &self.capture {
            if let Ok(mut c) = c.lock() {
                c.push_str(text);
            }
            return;
        }
        if to_stderr {
            let _ = std::io::stderr().write_all(text.as_bytes());
        } else {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
    }

    /// Erases the live line, if one is shown.
    pub fn clear_live(&self) {
        let mut shown = self.live_shown.lock().unwrap_or_else(|e| e.into_inner());
        if *shown {
            self.write("\r\x1b[2K", false);
            *shown = false;
        }
    }

    /// One line (or several, `\n`-separated) on standard output.
    pub fn line(&self, text: &str) {
        self.clear_live();
        self.write(&format!("{text}\n"), false);
    }

    /// A line on standard error (an interruption, a problem cleaning up).
    pub fn warn(&self, text: &str) {
        self.clear_live();
        self.write(&format!("{text}\n"), true);
    }

    /// Transient detail (a build step's latest output line): rewritten in place on a terminal,
    /// a plain `  <text>` line otherwise. Blank text shows nothing.
    pub fn live(&self, text: &str) {
        let t = text.trim();
        if t.is_empty() {
            return;
        }
        if self.tty {
            let shown: String = t.chars().take(LIVE_WIDTH).collect();
            let mut live = self.live_shown.lock().unwrap_or_else(|e| e.into_inner());
            self.write(&format!("\r\x1b[2K  \x1b[2m{shown}\x1b[0m"), false);
            *live = true;
        } else {
            self.write(&format!("  {text}\n"), false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_without_a_terminal() {
        let p = Progress::capture();
        p.line("Step 1/2 : FROM x");
        p.live("  building  ");
        p.live("   ");
        p.warn("oops");
        assert_eq!(p.captured(), "Step 1/2 : FROM x\n    building  \noops\n");
        assert!(!p.captured().contains('\u{1b}'));
    }
}
