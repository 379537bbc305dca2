//! Export for auditors: one decrypted event per line as JSON (JSON Lines).

use std::io::Write;
use std::path::Path;

use super::AuditLog;
use super::event::Filter;
use super::query::for_each;
use crate::error::{Error, Result};

impl AuditLog {
    /// Writes the events matching `filter` to `out` as JSON Lines, one [`super::AuditEvent`]
    /// per line, and returns how many were written. Fails with `Tampered` on the first
    /// event that fails authentication (lines already written stay written).
    ///
    /// No control character from a decrypted field reaches `out` raw (a terminal would
    /// act on it): see [`escape_json_controls`].
    pub fn export_jsonl(&self, out: &mut dyn Write, filter: &Filter) -> Result<u64> {
        let n = for_each(&self.shared, filter, |event| {
            let line = serde_json::to_string(&event)
                .map_err(|e| Error::io("writing the audit export", std::io::Error::other(e)))?;
            out.write_all(escape_json_controls(&line).as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| Error::io("writing the audit export", e))
        })?;
        out.flush()
            .map_err(|e| Error::io("writing the audit export", e))?;
        Ok(n)
    }

    /// [`AuditLog::export_jsonl`] into a new file at `path`, which must not exist
    /// (`Io` with kind `AlreadyExists` otherwise: an export never replaces a file
    /// unless asked to, see [`AuditLog::export_jsonl_to_path_replacing`]). The file is
    /// created readable and writable by its owner only (mode 0600 on Unix): it holds
    /// decrypted events. It is written in full and synced before this returns; on
    /// error it is removed.
    pub fn export_jsonl_to_path(&self, path: &Path, filter: &Filter) -> Result<u64> {
        write_private(path, false, &mut |out| self.export_jsonl(out, filter))
    }

    /// [`AuditLog::export_jsonl_to_path`], replacing `path` if it exists. The export
    /// is written to a new owner-only file beside it and renamed over it once complete,
    /// so `path` holds either the old file or the whole export, and the new file never
    /// takes the old one's permissions.
    pub fn export_jsonl_to_path_replacing(&self, path: &Path, filter: &Filter) -> Result<u64> {
        write_private(path, true, &mut |out| self.export_jsonl(out, filter))
    }
}

/// Writes an export into `path` through `body`: a new file created readable and
/// writable by its owner only (mode 0600 on Unix), written in full and synced before
/// this returns, removed on error. Without `replace`, `path` must not exist (`Io` with
/// kind `AlreadyExists`). With it, the export goes to a new file beside `path` that is
/// renamed over it once complete, so `path` holds either the old file or the whole
/// export, and the new file never takes the old one's permissions.
pub(super) fn write_private(
    path: &Path,
    replace: bool,
    body: &mut dyn FnMut(&mut dyn Write) -> Result<u64>,
) -> Result<u64> {
    let target = if replace {
        let name = path.file_name().ok_or_else(|| {
            Error::InvalidInput(format!("{} does not name a file", path.display()))
        })?;
        let suffix = hex::encode(crate::random::bytes::<8>()?);
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{suffix}.tmp"));
        path.with_file_name(temp_name)
    } else {
        path.to_path_buf()
    };
    let file = create_private(&target)?;
    let written = write_synced(file, &target, body).and_then(|n| {
        if replace {
            std::fs::rename(&target, path).map_err(|e| {
                Error::io(
                    format!("replacing {} with the audit export", path.display()),
                    e,
                )
            })?;
        }
        Ok(n)
    });
    if written.is_err() {
        // Ours (created exclusively above): never leave half an export behind.
        let _ = std::fs::remove_file(&target);
    }
    written
}

fn write_synced(
    file: std::fs::File,
    path: &Path,
    body: &mut dyn FnMut(&mut dyn Write) -> Result<u64>,
) -> Result<u64> {
    let ctx = || format!("writing the audit export to {}", path.display());
    let mut buf = std::io::BufWriter::new(file);
    let n = body(&mut buf)?;
    let file = buf
        .into_inner()
        .map_err(|e| Error::io(ctx(), e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(ctx(), e))?;
    Ok(n)
}

/// Whether `c` must not be printed as is: a control character (C0, DEL, C1: ESC and
/// CSI start terminal escape sequences, CR and BS rewrite what was shown) or a
/// bidirectional formatting character (it reorders what follows on the line).
pub fn is_unsafe_to_print(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `json` (as serde_json writes it) with every character [`is_unsafe_to_print`] inside
/// its strings written as a `\uXXXX` escape. serde_json escapes C0 controls there
/// already, not DEL, C1 or bidirectional controls. Outside strings JSON has only its
/// whitespace (newline, CR, tab: kept, they are the document's own layout), so the
/// escaped characters are all in strings, where the escape means the same character:
/// the document is unchanged for a JSON reader.
pub fn escape_json_controls(json: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_in_string = |c: char| is_unsafe_to_print(c) && !matches!(c, '\n' | '\r' | '\t');
    if !json.chars().any(unsafe_in_string) {
        return json.into();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if unsafe_in_string(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// Creates `path`, which must not exist, readable and writable by its owner only.
fn create_private(path: &Path) -> Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| {
        let what = if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!(
                "{} already exists; an audit export does not replace a file unless asked to",
                path.display()
            )
        } else {
            format!("creating the audit export {}", path.display())
        };
        Error::io(what, e)
    })
}
