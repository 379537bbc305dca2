//! `magnetar session ...`.

use clap::Subcommand;

use crate::output::{CliError, CmdResult};

/// `magnetar session` subcommands.
#[derive(Debug, Subcommand)]
pub enum SessionCommand {}

/// Runs a session subcommand.
pub fn run(cmd: SessionCommand, _json: bool) -> CmdResult {
    let _ = cmd;
    Err(CliError::usage(
        "the session component is not in this build yet",
    ))
}
