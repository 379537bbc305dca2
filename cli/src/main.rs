//! The `magnetar` command: a tour of Magnetar's five components and the operator's tools
//! (audit log, offline breach index, passwords, session scoring).
//!
//! The command holds no rules of its own: every decision is made by `magnetar-core`;
//! this crate parses arguments, reads secrets safely and presents results (human text or
//! `--json`) with stable exit codes (see [`output`]).

mod audit_cmd;
mod breach_cmd;
mod checkpoint_cmd;
mod output;
mod password_cmd;
mod secrets;
mod session_cmd;
mod tour;

use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use magnetar_core::pool::{Pool, PoolConfig};

use output::{CliError, CmdResult, EXIT_CODES_HELP};

/// Magnetar: embedded security core (pool, audit log, passwords, breach check, session
/// risk). Start with `magnetar tour`.
#[derive(Debug, Parser)]
#[command(name = "magnetar", version, after_long_help = EXIT_CODES_HELP, after_help = EXIT_CODES_HELP)]
struct Cli {
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Walk through all five components on a scratch database and explain what happens.
    Tour(tour::TourArgs),
    /// Read, verify, export and maintain an encrypted audit log.
    #[command(subcommand, after_help = audit_cmd::KEY_HELP)]
    Audit(audit_cmd::AuditCommand),
    /// Build an offline breach index and check passwords against it.
    #[command(subcommand, after_help = EXIT_CODES_HELP)]
    Breach(breach_cmd::BreachCommand),
    /// Hash, verify and identify password hashes; upgrade a table of legacy hashes.
    #[command(subcommand, after_help = EXIT_CODES_HELP)]
    Password(password_cmd::PasswordCommand),
    /// Score a request against its session's previous context.
    #[command(subcommand, after_help = EXIT_CODES_HELP)]
    Session(session_cmd::SessionCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let result: CmdResult = match cli.command {
        Command::Tour(args) => tour::run(&args, json),
        Command::Audit(cmd) => audit_cmd::run(cmd, json),
        Command::Breach(cmd) => breach_cmd::run(cmd, json),
        Command::Password(cmd) => password_cmd::run(cmd, json),
        Command::Session(cmd) => session_cmd::run(cmd, json),
    };
    match result {
        Ok(report) => report.emit(json),
        Err(err) => err.emit(json),
    }
}

/// Opens a pool on a database that must already exist: the operator's tools never
/// create a database by mistyping a path.
pub(crate) fn open_existing_db(path: &Path) -> Result<Pool, CliError> {
    if !path.is_file() {
        return Err(CliError::usage(format!(
            "database {} does not exist",
            path.display()
        )));
    }
    Ok(Pool::open(path, PoolConfig::default())?)
}

/// Parses a batch size: a whole number of at least 1 (checked before anything is changed).
pub(crate) fn batch_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "{text:?} is not a batch size (a whole number of at least 1)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn batch_sizes_are_at_least_one() {
        assert_eq!(batch_size("500"), Ok(500));
        assert!(batch_size("0").is_err());
        assert!(batch_size("-3").is_err());
        assert!(batch_size("many").is_err());
    }
}
