//! `magnetar password ...`.

use clap::Subcommand;

use crate::output::{CliError, CmdResult};

/// `magnetar password` subcommands.
#[derive(Debug, Subcommand)]
pub enum PasswordCommand {}

/// Runs a password subcommand.
pub fn run(cmd: PasswordCommand, _json: bool) -> CmdResult {
    let _ = cmd;
    Err(CliError::usage(
        "the password component is not in this build yet",
    ))
}
