//! `magnetar.CheckpointSigner`, `magnetar.verify_checkpoint` and
//! `magnetar.verify_sealed_export`: the audit log as a transparency log (core's
//! `audit::checkpoints`). The `AuditLog` methods that sign and prove are in
//! [`crate::audit`] and call the helpers here.

use std::path::PathBuf;

use magnetar_core::audit::{self, AuditLog};
use magnetar_core::tlog::{self, NoteSigner, NoteVerifier};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::audit::{PyVerifyReport, report_to_py};
use crate::errors::IntoPyResult;

/// An Ed25519 key that signs audit checkpoints (C2SP signed notes). Its `name` is the
/// checkpoints' origin line; hand `verifier_key` to auditors. The private key never
/// appears in `repr()` or in errors; `private_key()` returns it for storing.
#[pyclass(module = "magnetar", name = "CheckpointSigner", frozen)]
pub struct PyCheckpointSigner {
    inner: NoteSigner,
}

#[pymethods]
impl PyCheckpointSigner {
    /// A new random signer named `name` (for example `"example.com/audit"`).
    #[staticmethod]
    fn generate(name: &str) -> PyResult<Self> {
        Ok(PyCheckpointSigner {
            inner: NoteSigner::generate(name).py_err()?,
        })
    }

    /// The signer named `name` with the 32-byte Ed25519 private key (seed) `key`.
    #[staticmethod]
    fn from_bytes(name: &str, key: &[u8]) -> PyResult<Self> {
        Ok(PyCheckpointSigner {
            inner: NoteSigner::from_seed(name, key).py_err()?,
        })
    }

    /// The signer from its private key text (`PRIVATE+KEY+name+keyid+base64`, as
    /// `private_key()` and `magnetar audit new-signer` write it).
    #[staticmethod]
    fn from_private_key(text: &str) -> PyResult<Self> {
        let text = zeroize::Zeroizing::new(text.trim().to_owned());
        Ok(PyCheckpointSigner {
            inner: NoteSigner::parse(&text).py_err()?,
        })
    }

    /// The key's name: the origin of the checkpoints it signs.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The verifier key, `name+keyid+base64(0x01 || public key)`.
    #[getter]
    fn verifier_key(&self) -> String {
        self.inner.verifier().to_string()
    }

    /// The private key text, to store securely.
    fn private_key(&self) -> String {
        self.inner.to_private_text().to_string()
    }

    fn __repr__(&self) -> String {
        format!("CheckpointSigner({:?})", self.inner.name())
    }
}

/// A verifier key from its text; malformed is `ValueError` (`InvalidKey`).
fn verifier(text: &str) -> PyResult<NoteVerifier> {
    NoteVerifier::parse(text.trim()).py_err()
}

/// Whether `note` is a checkpoint with a valid signature by `verifier_key`. `False`
/// when the signature or the note does not verify; `ValueError` when the key is
/// malformed.
#[pyfunction]
pub fn verify_checkpoint(py: Python<'_>, note: &str, verifier_key: &str) -> PyResult<bool> {
    let verifier = verifier(verifier_key)?;
    py.detach(|| tlog::verified(audit::open_checkpoint(note, &verifier)))
        .py_err()
}

/// Checks the sealed export at `path` against the signed checkpoint `note` from public
/// data only. The report is falsy when it does not verify; `TamperedError` when the
/// checkpoint's signature does not verify.
#[pyfunction]
pub fn verify_sealed_export(
    py: Python<'_>,
    path: PathBuf,
    note: &str,
    verifier_key: &str,
) -> PyResult<PyVerifyReport> {
    let verifier = verifier(verifier_key)?;
    let report = py
        .detach(|| audit::verify_sealed_export_file(&path, note, &verifier))
        .py_err()?;
    report_to_py(py, report)
}

/// `AuditLog.checkpoint`: signs with `signer` and every witness.
pub(crate) fn checkpoint(
    py: Python<'_>,
    log: &AuditLog,
    signer: &PyCheckpointSigner,
    witnesses: &[PyRef<'_, PyCheckpointSigner>],
) -> PyResult<String> {
    let mut signers = vec![&signer.inner];
    signers.extend(witnesses.iter().map(|w| &w.inner));
    py.detach(|| log.checkpoint(&signers)).py_err()
}

/// Hashes as a list of `bytes`.
pub(crate) fn hashes<'py>(py: Python<'py>, hashes: &[[u8; 32]]) -> Vec<Bound<'py, PyBytes>> {
    hashes.iter().map(|h| PyBytes::new(py, h)).collect()
}

/// `AuditLog.verify_checkpoint`.
pub(crate) fn verify_log(
    py: Python<'_>,
    log: &AuditLog,
    note: &str,
    verifier_key: &str,
) -> PyResult<PyVerifyReport> {
    let verifier = verifier(verifier_key)?;
    let report = py
        .detach(|| log.verify_checkpoint(note, &verifier))
        .py_err()?;
    report_to_py(py, report)
}
