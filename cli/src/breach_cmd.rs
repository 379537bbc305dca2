//! `magnetar breach ...`.

use clap::Subcommand;

use crate::output::{CliError, CmdResult};

/// `magnetar breach` subcommands.
#[derive(Debug, Subcommand)]
pub enum BreachCommand {}

/// Runs a breach subcommand.
pub fn run(cmd: BreachCommand, _json: bool) -> CmdResult {
    let _ = cmd;
    Err(CliError::usage("the breach component is not in this build yet"))
}
