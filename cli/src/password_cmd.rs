//! `magnetar password ...`: hash, verify, identify; upgrade a table of legacy hashes.

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use magnetar_core::ErrorKind;
use magnetar_core::password::{self, HashTable, PasswordHasher, Policy};
use serde_json::json;

use crate::output::{CliError, CmdResult, Report, thousands};
use crate::secrets::read_secret;

/// `magnetar password` subcommands.
#[derive(Debug, Subcommand)]
pub enum PasswordCommand {
    /// Hash a password with Argon2id (OWASP parameters unless overridden) and print the
    /// PHC string. The password is read from a prompt without echo or one line of stdin.
    Hash {
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Check a password against a stored hash of any supported format.
    ///
    /// Exit code 0 when the password matches, 1 when it does not, 2 when the hash is
    /// malformed or unsupported. When the hash is legacy or below the policy, prints the
    /// Argon2id hash to store instead (upgrade on login).
    Verify {
        /// The stored hash (PHC string, bcrypt, crypt, Django, Werkzeug, hex digest...).
        hash: String,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Tell which format a stored hash is in and whether it should be upgraded.
    ///
    /// Exit code 0 when recognised, 1 when not (malformed, unsupported or beyond limits).
    Identify {
        /// The stored hash.
        hash: String,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Wrap every legacy hash in a column of a SQLite table into Argon2id, in batches.
    ///
    /// No password is needed: each legacy hash becomes Argon2id(legacy hash), which
    /// `verify` accepts for the same password; the next login replaces it with a plain
    /// Argon2id hash. Each batch commits on its own, so an interrupted run can simply be
    /// started again. Unrecognised hashes are counted and left untouched.
    UpgradeTable(UpgradeTableArgs),
}

/// Policy knobs shared by the password commands.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Argon2id memory cost in KiB for new hashes (default 19456, OWASP).
    #[arg(long, value_name = "KIB")]
    memory_kib: Option<u32>,
    /// Argon2id time cost (iterations) for new hashes (default 2).
    #[arg(long, value_name = "N")]
    iterations: Option<u32>,
    /// Argon2id parallelism (lanes) for new hashes (default 1).
    #[arg(long, value_name = "N")]
    parallelism: Option<u32>,
    /// Accept bare hex digests of this kind (md5, sha1, sha256, sha512); repeatable.
    /// A bare 64-hex string could be anything, so none is accepted unless named.
    #[arg(long = "legacy-digest", value_name = "NAME")]
    legacy_digests: Vec<String>,
}

impl PolicyArgs {
    fn hasher(&self) -> Result<PasswordHasher, CliError> {
        let mut policy = Policy::owasp().with_legacy_digests(&self.legacy_digests)?;
        if let Some(m) = self.memory_kib {
            policy.memory_kib = m;
        }
        if let Some(t) = self.iterations {
            policy.iterations = t;
        }
        if let Some(p) = self.parallelism {
            policy.parallelism = p;
        }
        Ok(PasswordHasher::new(policy)?)
    }
}

/// Arguments of `magnetar password upgrade-table`.
#[derive(Debug, Args)]
pub struct UpgradeTableArgs {
    /// The SQLite database.
    #[arg(long, value_name = "PATH")]
    db: std::path::PathBuf,
    /// The table holding the hashes.
    #[arg(long)]
    table: String,
    /// The column with the stored hashes.
    #[arg(long, visible_alias = "column", value_name = "COLUMN")]
    hash_column: String,
    /// A unique key to walk the table in order (`rowid`, or a unique column for
    /// WITHOUT ROWID tables).
    #[arg(long, value_name = "COLUMN", default_value = "rowid")]
    key_column: String,
    /// Rows per batch; each batch commits on its own, so an interrupted run resumes
    /// where it stopped (already-upgraded rows are skipped).
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = crate::batch_size)]
    batch: usize,
    #[command(flatten)]
    policy: PolicyArgs,
}

/// Runs a password subcommand.
pub fn run(cmd: PasswordCommand, json: bool) -> CmdResult {
    match cmd {
        PasswordCommand::Hash { policy } => hash(&policy),
        PasswordCommand::Verify { hash, policy } => verify(&hash, &policy),
        PasswordCommand::Identify { hash, policy } => identify(&hash, &policy),
        PasswordCommand::UpgradeTable(args) => upgrade_table(&args, json),
    }
}

fn hash(policy: &PolicyArgs) -> CmdResult {
    let hasher = policy.hasher()?;
    let password = read_secret("Password to hash: ")?;
    let phc = hasher.hash(password.as_bytes())?;
    let p = hasher.policy();
    Ok(Report::new(
        json!({
            "ok": true,
            "hash": phc,
            "memory_kib": p.memory_kib,
            "iterations": p.iterations,
            "parallelism": p.parallelism,
        }),
        phc.clone(),
    ))
}

fn verify(stored: &str, policy: &PolicyArgs) -> CmdResult {
    let hasher = policy.hasher()?;
    let identified = hasher.identify(stored)?;
    let password = read_secret("Password: ")?;
    let outcome = hasher.verify_and_update(password.as_bytes(), stored)?;
    let scheme = identified.name();
    let human = match (&outcome.new_hash, outcome.valid) {
        (_, false) => format!("INVALID: the password does not match this {scheme} hash."),
        (None, true) => format!("valid ({scheme}, meets the policy)"),
        (Some(new), true) => {
            format!("valid ({scheme}); this hash should be upgraded. Store instead:\n{new}")
        }
    };
    Ok(Report::new(
        json!({
            "ok": true,
            "valid": outcome.valid,
            "scheme": scheme,
            "new_hash": outcome.new_hash,
        }),
        human,
    )
    .negative_if(!outcome.valid))
}

fn identify(stored: &str, policy: &PolicyArgs) -> CmdResult {
    let hasher = policy.hasher()?;
    match hasher.identify(stored) {
        Ok(identified) => {
            let needs_rehash = hasher.needs_rehash(stored)?;
            let scheme = identified.name();
            let legacy = identified.scheme.is_legacy();
            Ok(Report::new(
                json!({
                    "ok": true,
                    "recognised": true,
                    "scheme": scheme,
                    "legacy": legacy,
                    "needs_rehash": needs_rehash,
                }),
                format!(
                    "{scheme}{}{}",
                    if legacy { " (legacy format)" } else { "" },
                    if needs_rehash {
                        "; should be upgraded at the next login (or wrapped now with `magnetar password upgrade-table`)"
                    } else {
                        "; meets the policy"
                    }
                ),
            ))
        }
        Err(e) if e.kind() == ErrorKind::InvalidHash => Ok(Report::new(
            json!({ "ok": true, "recognised": false, "reason": e.to_string() }),
            format!("not a recognised hash: {e}"),
        )
        .negative_if(true)),
        Err(e) => Err(e.into()),
    }
}

fn upgrade_table(args: &UpgradeTableArgs, json: bool) -> CmdResult {
    let hasher = args.policy.hasher()?;
    let pool = crate::open_existing_db(&args.db)?;
    let target = HashTable {
        table: args.table.clone(),
        key_column: args.key_column.clone(),
        hash_column: args.hash_column.clone(),
    };
    let bar = if json {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} rows, {msg} [{elapsed}, ETA {eta}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let result = password::upgrade_table(&hasher, &pool, &target, args.batch, |p| {
        bar.set_length(p.total.max(p.scanned));
        bar.set_position(p.scanned);
        bar.set_message(format!("{} wrapped", thousands(p.wrapped)));
    });
    bar.finish_and_clear();
    let done = result?;
    pool.close(std::time::Duration::from_secs(5))?;
    let mut human = format!(
        "{} rows scanned: {} legacy hashes wrapped into Argon2id, {} already current, {} empty",
        thousands(done.scanned),
        thousands(done.wrapped),
        thousands(done.current),
        thousands(done.empty),
    );
    if done.changed_meanwhile > 0 {
        human.push_str(&format!(
            ", {} changed by a login meanwhile (left as they are)",
            thousands(done.changed_meanwhile)
        ));
    }
    if done.unrecognised > 0 {
        human.push_str(&format!(
            ", {} unrecognised and left untouched (keys: {}{})",
            thousands(done.unrecognised),
            done.unrecognised_keys.join(", "),
            if done.unrecognised > done.unrecognised_keys.len() as u64 {
                ", ..."
            } else {
                ""
            }
        ));
    }
    human.push('.');
    let mut doc = json!(done);
    doc["ok"] = json!(true);
    Ok(Report::new(doc, human))
}
