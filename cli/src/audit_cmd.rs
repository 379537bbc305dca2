//! `magnetar audit ...`: verify, query, export and maintain an encrypted audit log.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::output::{CliError, CmdResult};

/// How the audit key is supplied, shown in `magnetar audit --help`.
pub const KEY_HELP: &str = "\
Key: MAGNETAR_AUDIT_KEY holds the 32-byte master key (64 hex digits or base64). When it is
unset, a passphrase is read from a prompt without echo (or one line of stdin when stdin is
not a terminal). A wrong key is an error (exit 2); tampering found is exit 1.";

/// The database every audit command works on.
#[derive(Debug, Args)]
pub struct DbArg {
    /// The SQLite database holding the audit log.
    #[arg(long, value_name = "PATH")]
    db: PathBuf,
}

/// `magnetar audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the whole chain: decrypt and authenticate every event (exit 1 if tampered).
    Verify {
        #[command(flatten)]
        db: DbArg,
    },
    /// Print events matching a filter.
    Query {
        #[command(flatten)]
        db: DbArg,
    },
    /// Write events as JSON Lines (one event per line).
    Export {
        #[command(flatten)]
        db: DbArg,
    },
    /// Print the chain head (sequence number and chain value) to record elsewhere.
    Head {
        #[command(flatten)]
        db: DbArg,
    },
    /// Switch to a new key and re-encrypt every event under it.
    RotateKey {
        #[command(flatten)]
        db: DbArg,
    },
    /// Delete events older than a date (retention); the chain stays verifiable.
    Purge {
        #[command(flatten)]
        db: DbArg,
    },
}

/// Runs an audit subcommand.
pub fn run(cmd: AuditCommand, _json: bool) -> CmdResult {
    let _ = cmd;
    Err(CliError::usage(
        "the audit component is not in this build yet",
    ))
}
