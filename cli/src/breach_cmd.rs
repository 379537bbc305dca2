//! `magnetar breach ...`: build an offline breach index and check passwords.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use magnetar_core::breach::index::EXACT_COUNT_LIMIT;
use magnetar_core::breach::{
    BreachChecker, BreachConfig, BreachStatus, BuildPhase, BuildProgress, IndexBuilder, Source,
};
use serde_json::json;

use crate::output::{CliError, CmdResult, Report, thousands};
use crate::secrets::read_secret;

/// `magnetar breach` subcommands.
#[derive(Debug, Subcommand)]
pub enum BreachCommand {
    /// Build an offline index from a Pwned Passwords corpus (`HASH:COUNT` lines, plain
    /// or gzip), with a progress bar and a summary.
    BuildIndex(BuildArgs),
    /// Check one password: against an offline index (--index), the range API, or both.
    ///
    /// The password is read from a prompt without echo, or from one line of stdin when
    /// stdin is not a terminal; never from the command line. Only the first 5 hex digits
    /// of its SHA-1 ever leave the machine. Exit code 0 not found, 1 breached, 2 when no
    /// answer could be obtained (network down, bad index).
    Check(CheckArgs),
}

/// Arguments of `magnetar breach build-index`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The corpus file (`HASH:COUNT` lines, SHA-1 or NTLM, plain text or gzip).
    corpus: PathBuf,
    /// Where to write the index.
    #[arg(short, long, value_name = "INDEX")]
    output: PathBuf,
    /// Keep only the N most frequent hashes (a smaller index for devices).
    #[arg(long, value_name = "N")]
    top: Option<u64>,
    /// Directory for temporary sorted runs (default: next to the output).
    #[arg(long, value_name = "DIR")]
    temp_dir: Option<PathBuf>,
}

/// Arguments of `magnetar breach check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// An offline index built with `magnetar breach build-index`; without --online, no
    /// network is used at all.
    #[arg(long, value_name = "INDEX")]
    index: Option<PathBuf>,
    /// Also ask the range API when the index does not know the password (the default
    /// when no --index is given).
    #[arg(long)]
    online: bool,
    /// Base URL of the range API (the public API or a self-hosted mirror).
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
}

/// Runs a breach subcommand.
pub fn run(cmd: BreachCommand, json: bool) -> CmdResult {
    match cmd {
        BreachCommand::BuildIndex(args) => build_index(&args, json),
        BreachCommand::Check(args) => check(&args),
    }
}

fn build_index(args: &BuildArgs, json: bool) -> CmdResult {
    if !args.corpus.is_file() {
        return Err(CliError::usage(format!(
            "corpus file {} does not exist",
            args.corpus.display()
        )));
    }
    let bar = progress_bar(json);
    let mut builder = IndexBuilder::new().progress(progress_callback(bar.clone()));
    if let Some(n) = args.top {
        builder = builder.top_n(n);
    }
    if let Some(dir) = &args.temp_dir {
        builder = builder.temp_dir(dir);
    }
    let started = Instant::now();
    let result = builder.build(&args.corpus, &args.output);
    bar.finish_and_clear();
    let stats = result?;
    let elapsed = started.elapsed();

    let human = format!(
        "Built {}: {} corpus rows read, {} distinct hashes kept{}, {} entries, {} bytes, in {:.1} s.",
        args.output.display(),
        thousands(stats.rows),
        thousands(stats.distinct_hashes),
        args.top
            .map(|n| format!(" (top {})", thousands(n)))
            .unwrap_or_default(),
        thousands(stats.entries),
        thousands(stats.file_bytes),
        elapsed.as_secs_f64(),
    );
    let doc = json!({
        "ok": true,
        "index": args.output.display().to_string(),
        "rows": stats.rows,
        "distinct_hashes": stats.distinct_hashes,
        "entries": stats.entries,
        "spilled_runs": stats.spilled_runs,
        "file_bytes": stats.file_bytes,
        "top": args.top,
        "elapsed_ms": elapsed.as_millis() as u64,
    });
    Ok(Report::new(doc, human))
}

/// A spinner on stderr (hidden with `--json` and when stderr is not a terminal).
fn progress_bar(json: bool) -> ProgressBar {
    let target = if json {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(None, target);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar.set_message("reading corpus");
    bar
}

/// Turns the builder's progress reports into bar updates.
fn progress_callback(bar: ProgressBar) -> impl FnMut(BuildProgress) + Send + 'static {
    // The phase last seen, so the bar switches to the merge style once.
    let mut seen = None;
    move |p: BuildProgress| {
        match p.phase {
            BuildPhase::Reading => {
                bar.set_message(format!("reading corpus: {} rows", thousands(p.done)));
            }
            BuildPhase::Merging => {
                if seen != Some(BuildPhase::Merging) {
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{spinner} merging {bar:30} {pos}/{len} records [{elapsed}]",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                }
                if let Some(total) = p.total {
                    bar.set_length(total);
                }
                bar.set_position(p.done);
            }
        }
        seen = Some(p.phase);
    }
}

fn check(args: &CheckArgs) -> CmdResult {
    let mut config = BreachConfig {
        online: args.online || args.index.is_none(),
        offline_index: args.index.clone(),
        ..BreachConfig::default()
    };
    if let Some(url) = &args.api_url {
        config.base_url = url.clone();
    }
    if let Some(index) = &args.index
        && !index.is_file()
    {
        return Err(CliError::usage(format!(
            "breach index {} does not exist (build one with `magnetar breach build-index`)",
            index.display()
        )));
    }
    let checker = BreachChecker::new(config)?;
    let password = read_secret("Password to check: ")?;
    let result = checker.check(&password);
    let source = match result.source {
        Source::Offline => "offline",
        Source::Cache => "cache",
        Source::Online => "online",
    };
    match result.status {
        BreachStatus::Breached { count } => Ok(Report::new(
            json!({ "ok": true, "status": "breached", "count": count, "source": source }),
            format!(
                "BREACHED: this password appears {}{} times in known breaches ({source} answer). Do not use it.",
                // Offline counts above the index's exact range are rounded.
                if result.source == Source::Offline && count >= EXACT_COUNT_LIMIT {
                    "about "
                } else {
                    ""
                },
                thousands(count)
            ),
        )
        .negative_if(true)),
        BreachStatus::NotFound => Ok(Report::new(
            json!({ "ok": true, "status": "not_found", "count": 0, "source": source }),
            if args.index.is_some() && !args.online {
                "Not found in the offline index.".to_string()
            } else {
                format!("Not found in known breaches ({source} answer).")
            },
        )),
        BreachStatus::Unknown { reason } => Err(CliError {
            kind: "unknown",
            message: format!("could not check the password: {reason}"),
            code: 2,
        }),
    }
}
