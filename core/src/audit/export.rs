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
    pub fn export_jsonl(&self, out: &mut dyn Write, filter: &Filter) -> Result<u64> {
        let n = for_each(&self.shared, filter, |event| {
            serde_json::to_writer(&mut *out, &event)
                .map_err(|e| Error::io("writing the audit export", std::io::Error::other(e)))?;
            out.write_all(b"\n")
                .map_err(|e| Error::io("writing the audit export", e))
        })?;
        out.flush()
            .map_err(|e| Error::io("writing the audit export", e))?;
        Ok(n)
    }

    /// [`AuditLog::export_jsonl`] into a new file at `path` (an existing file is
    /// replaced). The file is written in full and synced before this returns; on error a
    /// partial file may remain and should be discarded.
    pub fn export_jsonl_to_path(&self, path: &Path, filter: &Filter) -> Result<u64> {
        let ctx = || format!("writing the audit export to {}", path.display());
        let file = std::fs::File::create(path).map_err(|e| Error::io(ctx(), e))?;
        let mut buf = std::io::BufWriter::new(file);
        let n = self.export_jsonl(&mut buf, filter)?;
        let file = buf
            .into_inner()
            .map_err(|e| Error::io(ctx(), e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(ctx(), e))?;
        Ok(n)
    }
}
