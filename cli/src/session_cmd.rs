//! `magnetar session score`: score a request against its session's previous context.

use std::io::Read;
use std::path::Path;

use clap::{Args, Subcommand};
use magnetar_core::session::{Decision, RequestContext, Scorer, ScoringPolicy};
use serde_json::json;

use crate::output::{CliError, CmdResult, Report};

/// `magnetar session` subcommands.
#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Score CURRENT against PREVIOUS and print the decision with its reasons.
    ///
    /// Each context is JSON: {"ip": "203.0.113.7", "user_agent": "...", "headers":
    /// {"accept-language": "en-US"}}, given inline, as a file path, or as `-` for stdin.
    /// Exit code 0 for allow and monitor, 1 for step_up and terminate (the request should
    /// not simply proceed).
    Score(ScoreArgs),
}

/// Arguments of `magnetar session score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The session's previous (baseline) context: inline JSON, a file, or `-` for stdin.
    previous: String,
    /// The current request's context: inline JSON, a file, or `-` for stdin.
    current: String,
    /// A JSON file with a scoring policy ({"weights": {...}, "thresholds": {...},
    /// "ipv4_subnet_prefix": 24, "ipv6_subnet_prefix": 48}); defaults apply otherwise.
    #[arg(long, value_name = "FILE")]
    policy: Option<String>,
}

/// Runs a session subcommand.
pub fn run(cmd: SessionCommand, _json: bool) -> CmdResult {
    match cmd {
        SessionCommand::Score(args) => score(&args),
    }
}

fn score(args: &ScoreArgs) -> CmdResult {
    if args.previous == "-" && args.current == "-" {
        return Err(CliError::usage(
            "only one of PREVIOUS and CURRENT can be read from stdin (`-`)",
        ));
    }
    let previous = context("PREVIOUS", &args.previous)?;
    let current = context("CURRENT", &args.current)?;
    let scorer = match &args.policy {
        Some(file) => {
            let text = read_text(file)?;
            let policy: ScoringPolicy = serde_json::from_str(&text).map_err(|e| {
                CliError::usage(format!("scoring policy in {file} is not valid: {e}"))
            })?;
            Scorer::new(policy)?
        }
        None => Scorer::default(),
    };
    let assessment = scorer.score(&previous, &current);

    let mut human = format!(
        "score {:.2} -> {}\n",
        assessment.score,
        assessment.decision.as_str()
    );
    if assessment.reasons.is_empty() {
        human.push_str("no change between the two contexts\n");
    }
    for reason in &assessment.reasons {
        human.push_str(&format!(
            "  +{:.2} {}: {}\n",
            reason.weight,
            reason.signal.as_str(),
            reason.detail
        ));
    }
    let negative = matches!(assessment.decision, Decision::StepUp | Decision::Terminate);
    Ok(Report::new(json!(assessment), human).negative_if(negative))
}

/// Parses one context argument: inline JSON, `-` (stdin) or a file path.
fn context(name: &str, arg: &str) -> Result<RequestContext, CliError> {
    let text = if arg.trim_start().starts_with('{') {
        arg.to_owned()
    } else {
        read_text(arg)?
    };
    RequestContext::from_json(&text)
        .map_err(|e| CliError::usage(format!("{name} is not a valid request context: {e}")))
}

/// Reads a whole file, or stdin for `-`.
fn read_text(arg: &str) -> Result<String, CliError> {
    if arg == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::io("cannot read stdin", e))?;
        return Ok(text);
    }
    std::fs::read_to_string(Path::new(arg))
        .map_err(|e| CliError::io(format!("cannot read {arg}"), e))
}
