//! `magnetar audit new-signer|checkpoint|prove|verify-export`: the audit log as a
//! transparency log. Signing and proving need the audit key (the tree is extended over
//! new events by decrypting them); `verify-export` needs only public data.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use clap::Args;
use magnetar_core::ErrorKind;
use magnetar_core::audit::{VerifyReport, verify_sealed_export_file};
use magnetar_core::tlog::{NoteSigner, NoteVerifier};
use serde_json::json;

use crate::audit_cmd::{DbArg, open_log, problem_line};
use crate::output::{CliError, CmdResult, Report, plural, thousands};

/// Largest signer key or checkpoint file read (a signed note is at most 1 MiB).
const MAX_NOTE_FILE: u64 = 1 << 20;

#[derive(Debug, Args)]
pub struct NewSignerArgs {
    /// The key's name: the checkpoints' origin line, for example
    /// `example.com/audit/app1`. No spaces or plus signs.
    #[arg(long)]
    name: String,
    /// Write the private signer key here (created 0600; must not exist).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    #[command(flatten)]
    db: DbArg,
    /// A signer key file made by `magnetar audit new-signer`. Repeat to add signatures
    /// (a witness): the first key's name is the checkpoint's origin.
    #[arg(long = "signer-key", value_name = "FILE", required = true)]
    signer_keys: Vec<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("proof").required(true).args(["seq", "old_size"])))]
pub struct ProveArgs {
    #[command(flatten)]
    db: DbArg,
    /// Inclusion proof of this event (sequence number; it is leaf SEQ - 1).
    #[arg(long, requires = "size")]
    seq: Option<u64>,
    /// Consistency proof from the tree of this many events ...
    #[arg(long = "old-size", value_name = "N", requires = "size")]
    old_size: Option<u64>,
    /// ... to the tree of this many events (the checkpoint's size).
    #[arg(long, value_name = "N")]
    size: Option<u64>,
}

#[derive(Debug, Args)]
pub struct VerifyExportArgs {
    /// A sealed export made by `magnetar audit export --sealed`.
    file: PathBuf,
    /// The signed checkpoint (a file holding the note `magnetar audit checkpoint` printed).
    #[arg(long, value_name = "NOTE_FILE")]
    checkpoint: PathBuf,
    /// The verifier key's text, `name+keyid+base64key`.
    #[arg(long = "verifier-key", value_name = "VKEY")]
    verifier_key: String,
}

/// Reads a small text file (a key or a note), naming it in errors.
pub(crate) fn read_small(path: &Path, what: &str) -> Result<String, CliError> {
    let ctx = || format!("reading the {what} {}", path.display());
    let file = std::fs::File::open(path).map_err(|e| CliError::io(ctx(), e))?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::Read::take(file, MAX_NOTE_FILE + 1), &mut text)
        .map_err(|e| CliError::io(ctx(), e))?;
    if text.len() as u64 > MAX_NOTE_FILE {
        return Err(CliError::usage(format!(
            "the {what} {} is larger than 1 MiB",
            path.display()
        )));
    }
    Ok(text)
}

/// A verifier key given on the command line; malformed is a usage error.
pub(crate) fn parse_verifier(text: &str) -> Result<NoteVerifier, CliError> {
    NoteVerifier::parse(text.trim()).map_err(|e| CliError::usage(format!("--verifier-key: {}", e)))
}

pub fn new_signer(args: NewSignerArgs) -> CmdResult {
    let signer =
        NoteSigner::generate(&args.name).map_err(|e| CliError::usage(format!("--name: {}", e)))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let ctx = || format!("creating the signer key {}", args.output.display());
    let mut file = options
        .open(&args.output)
        .map_err(|e| CliError::io(ctx(), e))?;
    std::io::Write::write_all(
        &mut file,
        format!("{}\n", *signer.to_private_text()).as_bytes(),
    )
    .and_then(|()| file.sync_all())
    .map_err(|e| CliError::io(ctx(), e))?;
    let verifier = signer.verifier().to_string();
    Ok(Report::new(
        json!({ "ok": true, "path": args.output.display().to_string(), "verifier_key": verifier }),
        format!(
            "Wrote the signer key to {} (keep it secret). Verifier key, for auditors:\n{verifier}",
            args.output.display()
        ),
    ))
}

pub fn checkpoint(args: CheckpointArgs) -> CmdResult {
    let signers = args
        .signer_keys
        .iter()
        .map(|path| {
            let text = zeroize::Zeroizing::new(read_small(path, "signer key")?);
            NoteSigner::parse(text.trim())
                .map_err(|e| CliError::usage(format!("signer key {}: {}", path.display(), e)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let log = open_log(&args.db)?;
    let refs: Vec<&NoteSigner> = signers.iter().collect();
    let note = log.checkpoint(&refs)?;
    Ok(Report::new(json!({ "ok": true, "checkpoint": note }), note))
}

pub fn prove(args: ProveArgs) -> CmdResult {
    let log = open_log(&args.db)?;
    let size = args.size.unwrap_or_default();
    let b64 = |hashes: &[[u8; 32]]| hashes.iter().map(|h| B64.encode(h)).collect::<Vec<_>>();
    let (json, proof) = match (args.seq, args.old_size) {
        (Some(seq), _) => {
            let proof = b64(&log.inclusion_proof(seq, size)?);
            let leaf = B64.encode(log.leaf(seq)?);
            (
                json!({ "ok": true, "seq": seq, "leaf_index": seq - 1, "tree_size": size,
                        "leaf": leaf, "proof": proof }),
                proof,
            )
        }
        (None, Some(old)) => {
            let proof = b64(&log.consistency_proof(old, size)?);
            (
                json!({ "ok": true, "old_size": old, "tree_size": size, "proof": proof }),
                proof,
            )
        }
        (None, None) => return Err(CliError::usage("give --seq or --old-size")),
    };
    Ok(Report::new(json, proof.join("\n")))
}

pub fn verify_export(args: VerifyExportArgs) -> CmdResult {
    let verifier = parse_verifier(&args.verifier_key)?;
    let note = read_small(&args.checkpoint, "checkpoint")?;
    let report = match verify_sealed_export_file(&args.file, &note, &verifier) {
        Ok(report) => report,
        // The checkpoint's signature or form: it does not verify (exit 1).
        Err(e) if e.kind() == ErrorKind::Tampered => {
            return Ok(Report::new(
                json!({ "ok": false, "error": { "kind": "tampered", "message": e.to_string() } }),
                format!("NOT VERIFIED: the checkpoint: {}", e),
            )
            .negative_if(true));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(export_report(&report))
}

fn export_report(report: &VerifyReport) -> Report {
    let human = match &report.first_problem {
        None => format!(
            "OK: {} {} read; the checkpoint's signature and root verify.",
            thousands(report.checked),
            plural(report.checked, "leaf line"),
        ),
        Some(p) => format!("NOT VERIFIED: {}", problem_line(p)),
    };
    Report::new(json!(report), human).negative_if(!report.ok)
}
