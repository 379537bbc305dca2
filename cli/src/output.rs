//! Output conventions shared by every command.
//!
//! - Human text goes to stdout; with `--json`, stdout carries exactly one JSON document
//!   (JSON Lines for `audit export`).
//! - Errors always print one clear line on stderr (`magnetar: <message>`); with `--json`
//!   stdout also gets `{"ok": false, "error": {"kind": ..., "message": ...}}` so a script
//!   reading stdout always has something to parse.
//! - Exit codes: 0 success, 1 a negative answer (tampered, breached, invalid, ...),
//!   2 usage or I/O errors (clap already exits with 2 on usage errors).

use std::fmt;
use std::io::Write;
use std::process::ExitCode;

use magnetar_core::audit::{escape_json_controls, is_unsafe_to_print};
use magnetar_core::{Error, ErrorKind};
use serde_json::{Value, json};

/// The exit codes, documented in `magnetar --help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success (verified, not breached, valid, ...)
  1  a negative answer: audit log tampered, password breached, password or hash invalid,
     session must step up or be terminated
  2  usage error, I/O error, wrong key, missing or corrupt file (message on stderr)

Every command accepts --json for machine-readable output on stdout.
Secrets (passwords, passphrases) are never taken from the command line: they are read
from a prompt without echo, or from one line of stdin when stdin is not a terminal.";

/// What a command concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The command succeeded with a positive (or neutral) answer: exit 0.
    Positive,
    /// The command ran and the answer is negative: exit 1.
    Negative,
}

/// A command's result: what to print and how to exit.
#[derive(Debug)]
pub struct Report {
    human: String,
    json: Option<Value>,
    verdict: Verdict,
}

impl Report {
    /// A report whose JSON form is `json` and whose human form is `human`.
    pub fn new(json: Value, human: impl Into<String>) -> Self {
        Report {
            human: human.into(),
            json: Some(json),
            verdict: Verdict::Positive,
        }
    }

    /// A report for a command that already wrote its output (streamed JSON Lines).
    pub fn streamed() -> Self {
        Report {
            human: String::new(),
            json: None,
            verdict: Verdict::Positive,
        }
    }

    /// Marks the answer as negative (exit 1) when `negative` is true.
    pub fn negative_if(mut self, negative: bool) -> Self {
        if negative {
            self.verdict = Verdict::Negative;
        }
        self
    }

    /// Prints the report in the chosen format and returns the exit code.
    pub fn emit(self, json: bool) -> ExitCode {
        let mut out = std::io::stdout().lock();
        let written = match (json, &self.json) {
            (true, Some(value)) => writeln!(out, "{}", pretty(value)),
            (true, None) => Ok(()),
            (false, _) if self.human.is_empty() => Ok(()),
            (false, _) => {
                if self.human.ends_with('\n') {
                    write!(out, "{}", self.human)
                } else {
                    writeln!(out, "{}", self.human)
                }
            }
        };
        if let Err(e) = written.and_then(|_| out.flush()) {
            // A closed pipe (`magnetar ... | head`) means the reader had enough: the
            // answer stands.
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("magnetar: cannot write to stdout: {e}");
                return ExitCode::from(2);
            }
        }
        match self.verdict {
            Verdict::Positive => ExitCode::SUCCESS,
            Verdict::Negative => ExitCode::from(1),
        }
    }
}

/// Pretty JSON; serialising a `serde_json::Value` cannot fail.
pub fn pretty(value: &Value) -> String {
    let json = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    // Values may come from decrypted audit fields: no control character is printed.
    escape_json_controls(&json).into_owned()
}

/// `text` with every character that is unsafe to print (control and bidirectional
/// formatting characters, see [`is_unsafe_to_print`]) written as `\u{XX}`, and
/// backslashes doubled so that such an escape cannot be forged. For values taken from
/// decrypted fields in human output: a newline in a user id must not start a fake line,
/// an ESC must not reach the terminal.
pub fn escape_text(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c == '\\' || is_unsafe_to_print(c)) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if is_unsafe_to_print(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.into()
}

/// A failure that ends the command with a message on stderr.
#[derive(Debug)]
pub struct CliError {
    /// Stable snake_case kind (core's `ErrorKind::name`, or `usage`/`io` for the CLI's own).
    pub kind: &'static str,
    /// The message, naming what was wrong; never contains a secret.
    pub message: String,
    /// 1 for a negative answer surfaced as an error (tampering), else 2.
    pub code: u8,
}

impl CliError {
    /// A usage error (bad argument combination, unreadable JSON argument...): exit 2.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            kind: "usage",
            message: message.into(),
            code: 2,
        }
    }

    /// An I/O error naming what was being done: exit 2.
    pub fn io(context: impl fmt::Display, err: std::io::Error) -> Self {
        CliError {
            kind: "io",
            message: format!("{context}: {err}"),
            code: 2,
        }
    }

    /// Prints the error (stderr, and stdout as JSON with `--json`); returns the exit code.
    pub fn emit(self, json: bool) -> ExitCode {
        eprintln!("magnetar: {}", self.message);
        if json {
            let doc = json!({
                "ok": false,
                "error": { "kind": self.kind, "message": self.message },
            });
            // Ignored: with stdout closed, the message on stderr is all that can be said.
            let _ = writeln!(std::io::stdout(), "{}", pretty(&doc));
        }
        ExitCode::from(self.code)
    }
}

impl From<Error> for CliError {
    fn from(err: Error) -> Self {
        let kind = err.kind();
        CliError {
            kind: kind.name(),
            message: err.to_string(),
            // Tampering found while reading is the negative answer of the audit tools.
            code: if kind == ErrorKind::Tampered { 1 } else { 2 },
        }
    }
}

/// Result of a command.
pub type CmdResult = Result<Report, CliError>;

/// Formats a count with thousands separators for human output (12345 -> "12,345").
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `word` or `words` for `n` of them (English regular plural).
pub fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decrypted_text_is_printed_without_control_characters() {
        assert_eq!(escape_text("alice"), "alice");
        assert_eq!(
            escape_text("a\nb\x1b[2J\u{9b}c\u{202e}d\\u{a}"),
            "a\\u{a}b\\u{1b}[2J\\u{9b}c\\u{202e}d\\\\u{a}"
        );
        let json = pretty(&json!({ "user": "x\u{7f}\u{1b}\u{85}" }));
        assert!(!json.chars().any(|c| c.is_control() && c != '\n'), "{json}");
        assert!(json.contains("\\u007f") && json.contains("\\u001b") && json.contains("\\u0085"));
        let back: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["user"], "x\u{7f}\u{1b}\u{85}");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "event"), "event");
        assert_eq!(plural(0, "event"), "events");
        assert_eq!(plural(2, "event"), "events");
    }

    #[test]
    fn tampering_is_a_negative_answer_other_errors_exit_2() {
        let tampered: CliError = Error::Tampered("row 3".into()).into();
        assert_eq!((tampered.kind, tampered.code), ("tampered", 1));
        let wrong: CliError = Error::WrongKey("canary".into()).into();
        assert_eq!((wrong.kind, wrong.code), ("wrong_key", 2));
    }
}
