//! `magnetar audit ...`: verify, query, export and maintain an encrypted audit log.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use magnetar_core::Error;
use magnetar_core::audit::{
    AuditConfig, AuditEvent, AuditKey, AuditLog, Filter, Head, Order, Problem, RotationOptions,
    RotationReport, escape_json_controls,
};
use magnetar_core::pool::{Pool, PoolConfig};
use magnetar_core::store::{PgConfig, Store};
use serde_json::json;

use crate::checkpoint_cmd;
use crate::open_existing_db;
use crate::output::{CliError, CmdResult, Report, escape_text, plural, thousands};
use crate::secrets::read_secret;

/// How the audit key is supplied, shown in `magnetar audit --help`.
pub const KEY_HELP: &str = "\
Key: MAGNETAR_AUDIT_KEY holds the 32-byte master key (64 hex digits or base64). When it is
unset, the log's passphrase is read from a prompt without echo (or one line of stdin when
stdin is not a terminal). A wrong key is an error (exit 2); tampering found is exit 1.";

/// The environment variable holding the master key.
pub const KEY_ENV: &str = "MAGNETAR_AUDIT_KEY";

/// The environment variable holding the new master key for `rotate-key`.
pub const NEW_KEY_ENV: &str = "MAGNETAR_AUDIT_NEW_KEY";

/// The database every audit command works on.
#[derive(Debug, Args)]
pub struct DbArg {
    /// The SQLite database holding the audit log (it must exist), or a PostgreSQL URL
    /// (postgresql://user:password@host/database?sslmode=verify-full).
    #[arg(long, value_name = "PATH|URL")]
    pub db: String,
    /// With a PostgreSQL --db: the schema holding the log.
    #[arg(long, value_name = "NAME", default_value = "magnetar")]
    pub pg_schema: String,
}

/// Whether a --db, --from or --to names a PostgreSQL server rather than a file.
fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgresql://") || location.starts_with("postgres://")
}

/// The store at `location`: a PostgreSQL URL (schema `pg_schema`), or an SQLite file
/// (which must exist unless `create`).
fn open_store(location: &str, pg_schema: &str, create: bool) -> Result<Store, CliError> {
    if is_postgres_url(location) {
        let config = PgConfig {
            schema: pg_schema.to_owned(),
            ..PgConfig::default()
        };
        return Ok(Store::postgres(location, config)?);
    }
    let path = Path::new(location);
    Ok(Store::sqlite(if create {
        Pool::open(path, PoolConfig::default())?
    } else {
        open_existing_db(path)?
    }))
}

/// Which events to return (all conditions combined).
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only events of this user id (exact match, through the blind index).
    #[arg(long, value_name = "USER_ID")]
    user: Option<String>,
    /// Only events with this action (exact match, through the blind index).
    #[arg(long)]
    action: Option<String>,
    /// Only events at or after this time: RFC 3339 (2026-01-31T12:00:00Z), a date
    /// (2026-01-31, UTC), or an age (7d, 12h) meaning that long ago.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only events before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// At most N events.
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    /// Skip the first N matching events.
    #[arg(long, value_name = "N", default_value_t = 0)]
    offset: u64,
    /// Newest events first.
    #[arg(long)]
    newest_first: bool,
}

impl FilterArgs {
    fn filter(&self) -> Result<Filter, CliError> {
        Ok(Filter {
            user_id: self.user.clone(),
            action: self.action.clone(),
            since_ms: self.since.as_deref().map(parse_time).transpose()?,
            until_ms: self.until.as_deref().map(parse_time).transpose()?,
            limit: self.limit,
            offset: self.offset,
            order: if self.newest_first {
                Order::Descending
            } else {
                Order::Ascending
            },
        })
    }
}

/// `magnetar audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the whole chain: decrypt and authenticate every event. Exit 1 if tampered.
    Verify {
        #[command(flatten)]
        db: DbArg,
        /// Also check that the log still reaches a head recorded earlier with
        /// `magnetar audit head` (detects a truncated tail), given as SEQ:CHAIN_HEX.
        #[arg(long, value_name = "SEQ:CHAIN_HEX", conflicts_with = "checkpoint")]
        head: Option<String>,
        /// Instead, check the log against a checkpoint it signed earlier (a file holding
        /// the note): catches events rewritten since, even by the key holder, and names
        /// the first one.
        #[arg(long, value_name = "NOTE_FILE", requires = "verifier_key")]
        checkpoint: Option<PathBuf>,
        /// The checkpoint's verifier key, `name+keyid+base64key`.
        #[arg(long = "verifier-key", value_name = "VKEY", requires = "checkpoint")]
        verifier_key: Option<String>,
    },
    /// Print events matching a filter (decrypted).
    Query {
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Write events as JSON Lines (one decrypted event per line), to a file or stdout.
    Export {
        #[command(flatten)]
        db: DbArg,
        /// Write to FILE instead of stdout. The file is created readable by its owner
        /// only (it holds decrypted events) and must not exist, unless --force.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long, requires = "output")]
        force: bool,
        /// Write the sealed export instead: one line per event with only its sequence
        /// number and Merkle leaf (`{"seq":N,"leaf":"<base64>"}`), nothing that
        /// reveals plaintext; check it with `verify-export`. Needs -o.
        #[arg(long, requires = "output", conflicts_with_all = ["user", "action", "since", "until", "limit", "newest_first"])]
        sealed: bool,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Print the chain head (last sequence number and chain value). Record it outside the
    /// database and pass it to `verify --head` later to detect a truncated log.
    Head {
        #[command(flatten)]
        db: DbArg,
    },
    /// Switch the log to a new key and re-encrypt every event under it.
    ///
    /// The new key comes from MAGNETAR_AUDIT_NEW_KEY, or else a new passphrase is read
    /// (prompt without echo, twice; or the next line of stdin). The old key stops
    /// opening the log once every event is re-encrypted, unless --keep-old-key. If a run
    /// was interrupted, run the same command with the same two keys again: it finds the
    /// new key already current and finishes re-encrypting.
    RotateKey {
        #[command(flatten)]
        db: DbArg,
        /// Events re-encrypted per transaction.
        #[arg(long, value_name = "N", default_value_t = 500, value_parser = crate::batch_size)]
        batch: usize,
        /// Keep the old key registered (it can still be passed as a previous key).
        #[arg(long)]
        keep_old_key: bool,
    },
    /// Generate a checkpoint signer key (Ed25519, in the signed-note key format) and
    /// print its verifier key.
    NewSigner(checkpoint_cmd::NewSignerArgs),
    /// Sign a checkpoint of every event (C2SP tlog-checkpoint in a signed note) and print
    /// it. It is stored with the log; hand it to auditors with the verifier key.
    Checkpoint(checkpoint_cmd::CheckpointArgs),
    /// Print an RFC 9162 inclusion proof (--seq, --size) or consistency proof
    /// (--old-size, --size), one base64 hash per line.
    Prove(checkpoint_cmd::ProveArgs),
    /// Check a sealed export against a signed checkpoint from public data only (no key):
    /// exit 0 when it verifies, 1 when it does not, 2 on usage or I/O errors.
    VerifyExport(checkpoint_cmd::VerifyExportArgs),
    /// Copy the audit log into another database: an SQLite file into PostgreSQL, or
    /// back. The rows are copied as they are (the same log under the same key; every
    /// checkpoint it issued stays provable). The source is verified first and the copy
    /// after, against the source's head; a copy that fails is removed. The destination
    /// must hold no audit log; an SQLite file is created if missing.
    Copy {
        /// The database holding the log: an SQLite file or a PostgreSQL URL.
        #[arg(long, value_name = "PATH|URL")]
        from: String,
        /// The database to copy it into: an SQLite file or a PostgreSQL URL.
        #[arg(long, value_name = "PATH|URL")]
        to: String,
        /// The PostgreSQL schema of whichever side is PostgreSQL.
        #[arg(long, value_name = "NAME", default_value = "magnetar")]
        pg_schema: String,
    },
    /// Delete events recorded before a time (retention); the rest stays verifiable.
    Purge {
        #[command(flatten)]
        db: DbArg,
        /// Delete events before this time: RFC 3339, a date (UTC), or an age (90d).
        #[arg(long, value_name = "TIME")]
        before: String,
    },
}

/// Runs an audit subcommand.
pub fn run(cmd: AuditCommand, json: bool) -> CmdResult {
    match cmd {
        AuditCommand::Verify {
            db,
            checkpoint: Some(note),
            verifier_key: Some(vkey),
            ..
        } => verify_checkpoint(&db, &note, &vkey),
        AuditCommand::Verify { db, head, .. } => verify(&db, head.as_deref()),
        AuditCommand::Query { db, filter } => query(&db, &filter),
        AuditCommand::Export {
            db,
            output,
            force,
            sealed,
            filter,
        } => match (sealed, output) {
            (true, Some(file)) => export_sealed(&db, &file, force),
            (_, output) => export(&db, output.as_deref(), force, &filter),
        },
        AuditCommand::Head { db } => head(&db),
        AuditCommand::RotateKey {
            db,
            batch,
            keep_old_key,
        } => rotate_key(&db, batch, keep_old_key, json),
        AuditCommand::Purge { db, before } => purge(&db, &before),
        AuditCommand::Copy {
            from,
            to,
            pg_schema,
        } => copy(&from, &to, &pg_schema),
        AuditCommand::NewSigner(args) => checkpoint_cmd::new_signer(args),
        AuditCommand::Checkpoint(args) => checkpoint_cmd::checkpoint(args),
        AuditCommand::Prove(args) => checkpoint_cmd::prove(args),
        AuditCommand::VerifyExport(args) => checkpoint_cmd::verify_export(args),
    }
}

/// Opens the existing audit log in `path` with the key from the environment or a
/// passphrase.
pub(crate) fn open_log(db: &DbArg) -> Result<AuditLog, CliError> {
    let store = open_audit_db(db)?;
    let key = read_key(&store)?;
    Ok(AuditLog::open(&store, key, AuditConfig::default())?)
}

/// The store of an existing database that holds an audit log.
fn open_audit_db(db: &DbArg) -> Result<Store, CliError> {
    let store = open_store(&db.db, &db.pg_schema, false)?;
    if !AuditLog::exists(&store)? {
        return Err(CliError::usage(format!(
            "{} holds no audit log",
            store.describe()
        )));
    }
    Ok(store)
}

/// The log's key: `MAGNETAR_AUDIT_KEY`, else a passphrase from the prompt.
fn read_key(pool: &Store) -> Result<AuditKey, CliError> {
    if std::env::var_os(KEY_ENV).is_some() {
        return Ok(AuditKey::from_env(KEY_ENV)?);
    }
    let passphrase = read_secret("Audit log passphrase: ")?;
    Ok(AuditLog::key_for_passphrase(pool, &passphrase)?)
}

/// The new key for `rotate-key`: `MAGNETAR_AUDIT_NEW_KEY`, else a new passphrase (asked
/// twice on a terminal).
fn read_new_key(pool: &Store) -> Result<AuditKey, CliError> {
    if std::env::var_os(NEW_KEY_ENV).is_some() {
        return Ok(AuditKey::from_env(NEW_KEY_ENV)?);
    }
    let first = read_secret("New passphrase: ")?;
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        let again = read_secret("New passphrase again: ")?;
        if *first != *again {
            return Err(CliError::usage(
                "the two passphrases differ; nothing changed",
            ));
        }
    }
    Ok(AuditLog::key_for_passphrase(pool, &first)?)
}

fn verify(db: &DbArg, head: Option<&str>) -> CmdResult {
    let log = open_log(db)?;
    let report = match head {
        Some(text) => log.verify_against(&parse_head(text)?)?,
        None => log.verify()?,
    };
    let human = match &report.first_problem {
        None => format!(
            "OK: {} {} decrypted, authenticated and chained; no tampering found{}.",
            thousands(report.checked),
            plural(report.checked, "event"),
            if head.is_some() {
                ", and the log still reaches the recorded head"
            } else {
                ""
            }
        ),
        Some(p) => format!(
            "TAMPERED: {} {} verified before the first problem, {}",
            thousands(report.checked),
            plural(report.checked, "event"),
            problem_line(p)
        ),
    };
    Ok(Report::new(json!(report), human).negative_if(!report.ok))
}

/// Where and what a verification problem is, for humans.
pub(crate) fn problem_line(p: &Problem) -> String {
    format!(
        "at seq {}{}: {}",
        p.seq,
        p.event_id
            .as_deref()
            .map(|id| format!(" (event {id})"))
            .unwrap_or_default(),
        escape_text(&p.detail)
    )
}

fn verify_checkpoint(db: &DbArg, note: &Path, vkey: &str) -> CmdResult {
    let verifier = checkpoint_cmd::parse_verifier(vkey)?;
    let note = checkpoint_cmd::read_small(note, "checkpoint")?;
    let log = open_log(db)?;
    let report = log.verify_checkpoint(&note, &verifier)?;
    let human = match &report.first_problem {
        None => format!(
            "OK: the log holds exactly the events the checkpoint covers; {} {} verified.",
            thousands(report.checked),
            plural(report.checked, "event"),
        ),
        Some(p) => format!("TAMPERED: {}", problem_line(p)),
    };
    Ok(Report::new(json!(report), human).negative_if(!report.ok))
}

fn export_sealed(db: &DbArg, file: &Path, force: bool) -> CmdResult {
    let log = open_log(db)?;
    let n = log.export_sealed_to_path(file, force)?;
    Ok(Report::new(
        json!({ "ok": true, "exported": n, "path": file.display().to_string() }),
        format!(
            "Exported the leaves of {} {} to {}.",
            thousands(n),
            plural(n, "event"),
            file.display()
        ),
    ))
}

fn parse_head(text: &str) -> Result<Head, CliError> {
    let (seq, chain) = text.split_once(':').ok_or_else(|| {
        CliError::usage(format!(
            "--head must be SEQ:CHAIN_HEX as printed by `magnetar audit head`, got {text:?}"
        ))
    })?;
    let seq = seq
        .parse()
        .map_err(|_| CliError::usage(format!("--head sequence number {seq:?} is not a number")))?;
    Ok(Head {
        seq,
        chain_hex: chain.to_owned(),
    })
}

fn query(db: &DbArg, filter: &FilterArgs) -> CmdResult {
    let log = open_log(db)?;
    let events = log.query(&filter.filter()?)?;
    let mut human = String::new();
    for e in &events {
        human.push_str(&event_line(e));
        human.push('\n');
    }
    let n = events.len() as u64;
    human.push_str(&format!("{} {}", thousands(n), plural(n, "event")));
    Ok(Report::new(
        json!({ "ok": true, "count": events.len(), "events": events }),
        human,
    ))
}

/// One event on one line for humans. Every decrypted value is escaped ([`escape_text`]):
/// it can neither break the line nor send control sequences to the terminal.
pub fn event_line(e: &AuditEvent) -> String {
    let mut line = format!(
        "#{:<4} {}  {}",
        e.seq,
        format_ms(e.timestamp_ms),
        escape_text(&e.action)
    );
    for (name, value) in [("user", &e.user_id), ("status", &e.status), ("ip", &e.ip)] {
        if let Some(v) = value {
            line.push_str(&format!("  {name}={}", escape_text(v)));
        }
    }
    if let (Some(t), Some(id)) = (&e.resource_type, &e.resource_id) {
        line.push_str(&format!(
            "  resource={}/{}",
            escape_text(t),
            escape_text(id)
        ));
    }
    if let Some(d) = &e.details {
        line.push_str(&format!("  {}", escape_json_controls(&d.to_string())));
    }
    line
}

fn export(db: &DbArg, output: Option<&Path>, force: bool, filter: &FilterArgs) -> CmdResult {
    let log = open_log(db)?;
    let filter = filter.filter()?;
    match output {
        Some(file) => {
            let n = if force {
                log.export_jsonl_to_path_replacing(file, &filter)?
            } else {
                log.export_jsonl_to_path(file, &filter)?
            };
            Ok(Report::new(
                json!({ "ok": true, "exported": n, "path": file.display().to_string() }),
                format!(
                    "Exported {} {} to {}.",
                    thousands(n),
                    plural(n, "event"),
                    file.display()
                ),
            ))
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let written = log
                .export_jsonl(&mut out, &filter)
                .and_then(|_| out.flush().map_err(|e| Error::io("writing to stdout", e)));
            match written {
                // `magnetar audit export | head` closed the pipe: nothing went wrong.
                Err(Error::Io { source, .. }) if is_broken_pipe(&source) => {}
                other => other?,
            }
            Ok(Report::streamed())
        }
    }
}

/// Whether a write failed because the reader closed the pipe (directly, or inside the
/// JSON serializer's error).
fn is_broken_pipe(err: &std::io::Error) -> bool {
    err.kind() == ErrorKind::BrokenPipe
        || err
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<serde_json::Error>())
            .and_then(serde_json::Error::io_error_kind)
            == Some(ErrorKind::BrokenPipe)
}

fn head(db: &DbArg) -> CmdResult {
    let log = open_log(db)?;
    let head = log.head()?;
    Ok(Report::new(
        json!({ "ok": true, "seq": head.seq, "chain_hex": head.chain_hex }),
        format!("{}:{}", head.seq, head.chain_hex),
    ))
}

fn rotate_key(db: &DbArg, batch: usize, keep_old_key: bool, json: bool) -> CmdResult {
    let pool = open_audit_db(db)?;
    let old_key = read_key(&pool)?;
    let new_key = read_new_key(&pool)?;

    let bar = if json {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template("re-encrypting {bar:30} {pos}/{len} events [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let options = RotationOptions {
        batch_size: batch,
        retire_old_key: !keep_old_key,
        ..RotationOptions::default()
    };
    let report = AuditLog::rotate_and_reencrypt(
        &pool,
        old_key,
        new_key,
        AuditConfig::default(),
        options,
        |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    );
    bar.finish_and_clear();
    let RotationReport {
        old_key_id: old_id,
        new_key_id: new_id,
        reencrypted,
        resumed,
        ..
    } = report?;
    Ok(Report::new(
        json!({
            "ok": true,
            "old_key_id": old_id,
            "new_key_id": new_id,
            "reencrypted": reencrypted,
            "old_key_retired": !keep_old_key,
            "resumed": resumed,
        }),
        format!(
            "{} from key id {old_id} to key id {new_id}; {} {} re-encrypted.{}",
            if resumed {
                "Finished the interrupted rotation"
            } else {
                "Rotated"
            },
            thousands(reencrypted),
            plural(reencrypted, "event"),
            if keep_old_key {
                " The old key is still registered (--keep-old-key)."
            } else {
                " The old key no longer opens this log."
            }
        ),
    ))
}

fn copy(from: &str, to: &str, pg_schema: &str) -> CmdResult {
    let source = open_audit_db(&DbArg {
        db: from.to_owned(),
        pg_schema: pg_schema.to_owned(),
    })?;
    let key = read_key(&source)?;
    // A new SQLite file the copy did not fill is removed again (with its -wal and -shm).
    let created = (!is_postgres_url(to) && !Path::new(to).exists()).then(|| PathBuf::from(to));
    let destination = open_store(to, pg_schema, true)?;
    let report = match AuditLog::copy(&source, &destination, key, AuditConfig::default()) {
        Ok(report) => report,
        Err(err) => {
            drop(destination);
            if let Some(path) = created {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            return Err(err.into());
        }
    };
    Ok(Report::new(
        json!({
            "ok": true,
            "copied": report.events,
            "seq": report.head.seq,
            "chain_hex": report.head.chain_hex,
            "to": destination.describe(),
        }),
        format!(
            "Copied {} {} to {}, verified there up to head {}:{}.",
            thousands(report.events),
            plural(report.events, "event"),
            destination.describe(),
            report.head.seq,
            report.head.chain_hex
        ),
    ))
}

fn purge(db: &DbArg, before: &str) -> CmdResult {
    let cutoff = parse_time(before)?;
    let log = open_log(db)?;
    let deleted = log.purge_before(cutoff)?;
    log.close()?;
    Ok(Report::new(
        json!({ "ok": true, "deleted": deleted, "before_ms": cutoff }),
        format!(
            "Deleted {} {} recorded before {}; the remaining chain stays verifiable.",
            thousands(deleted),
            plural(deleted, "event"),
            format_ms(cutoff)
        ),
    ))
}

/// Parses a time argument into unix milliseconds: RFC 3339, a date (midnight UTC), or an
/// age such as `90d` (that long before now).
fn parse_time(text: &str) -> Result<i64, CliError> {
    let text = text.trim();
    let time = if let Ok(age) = humantime::parse_duration(text) {
        SystemTime::now().checked_sub(age)
    } else if text.len() == 10 {
        humantime::parse_rfc3339(&format!("{text}T00:00:00Z")).ok()
    } else {
        humantime::parse_rfc3339_weak(text).ok()
    };
    let since_epoch = time
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .ok_or_else(|| {
            CliError::usage(format!(
                "cannot read {text:?} as a time: use RFC 3339 (2026-01-31T12:00:00Z), a date \
                 (2026-01-31) or an age (90d, 12h)"
            ))
        })?;
    i64::try_from(since_epoch.as_millis())
        .map_err(|_| CliError::usage(format!("time {text:?} is out of range")))
}

/// Formats unix milliseconds as RFC 3339 UTC.
pub fn format_ms(ms: i64) -> String {
    match u64::try_from(ms) {
        Ok(ms) => {
            humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
        }
        Err(_) => format!("{ms} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_dates_rfc3339_and_ages() {
        assert_eq!(parse_time("1970-01-02").unwrap(), 86_400_000);
        assert_eq!(parse_time("1970-01-01T00:00:01Z").unwrap(), 1000);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let day_ago = parse_time("1d").unwrap();
        assert!((now - day_ago - 86_400_000).abs() < 60_000);
        assert!(parse_time("yesterday-ish").is_err());
    }

    #[test]
    fn timestamps_format_as_rfc3339() {
        assert_eq!(format_ms(1000), "1970-01-01T00:00:01.000Z");
    }

    #[test]
    fn head_argument_needs_seq_and_chain() {
        let h = parse_head("12:abcd").unwrap();
        assert_eq!((h.seq, h.chain_hex.as_str()), (12, "abcd"));
        assert!(parse_head("abcd").is_err());
        assert!(parse_head("x:abcd").is_err());
    }
}
