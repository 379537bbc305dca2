//! Key wrapping: the per-log secret sealed under each master key's wrapping subkey
//! (AES-256-GCM, AAD binding the log id and key id), and finding which stored key a
//! master key is.

use super::cipher::{FieldCipher, NONCE_LEN};
use super::key::{LogSecret, MasterSubkeys};
use crate::error::{Error, Result};
use crate::store::sql::{Db, args};

const WRAP_AAD_DOMAIN: &[u8] = b"magnetar-audit-log-secret-v1";

fn wrap_aad(log_id: &[u8], key_id: u32) -> Vec<u8> {
    [WRAP_AAD_DOMAIN, log_id, &key_id.to_be_bytes()].concat()
}

/// Wraps the log secret under a master key's wrapping subkey.
pub(super) fn wrap_secret(
    secret: &LogSecret,
    sub: &MasterSubkeys,
    log_id: &[u8],
    key_id: u32,
) -> Result<Vec<u8>> {
    let nonce = crate::random::bytes::<NONCE_LEN>()?;
    let sealed = FieldCipher::new(&sub.wrapping, key_id).seal_raw(
        &nonce,
        &wrap_aad(log_id, key_id),
        secret.as_bytes(),
    )?;
    Ok([nonce.as_slice(), &sealed].concat())
}

/// Unwraps the log secret; `Tampered` when it fails authentication (the key-check value
/// matched, so the key is right and the stored wrap was edited).
pub(super) fn unwrap_secret(
    wrapped: &[u8],
    sub: &MasterSubkeys,
    log_id: &[u8],
    key_id: u32,
) -> Result<LogSecret> {
    let tampered = || {
        Error::Tampered(format!(
            "the audit log secret wrapped under key id {key_id} failed authentication"
        ))
    };
    if wrapped.len() < NONCE_LEN {
        return Err(tampered());
    }
    let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| tampered())?;
    let plain = zeroize::Zeroizing::new(
        FieldCipher::new(&sub.wrapping, key_id)
            .open_raw(&nonce, &wrap_aad(log_id, key_id), sealed)
            .ok_or_else(tampered)?,
    );
    LogSecret::from_slice(&plain).ok_or_else(tampered)
}

/// Finds the key id whose check value matches, with its wrapped secret. A retired key
/// fails with `WrongKey` saying so.
pub(super) fn find_key(conn: &dyn Db, sub: &MasterSubkeys) -> Result<Option<(u32, Vec<u8>)>> {
    let found = conn.opt(
        "SELECT key_id, wrapped_secret, retired_ms FROM audit_keys WHERE check_value = ?1",
        args![sub.check_value.as_slice()],
        |r| {
            let id = u32::try_from(r.i64(0)?)
                .map_err(|_| Error::Tampered("a stored audit key id is out of range".into()))?;
            Ok((id, r.bytes(1)?, r.opt_i64(2)?))
        },
    )?;
    match found {
        Some((id, _, Some(_))) => Err(Error::WrongKey(format!(
            "this audit key is key id {id}, which was retired: it no longer opens the log"
        ))),
        Some((id, wrapped, None)) => Ok(Some((id, wrapped))),
        None => Ok(None),
    }
}

pub(super) fn wrong_key() -> Error {
    Error::WrongKey(
        "the audit key does not match this log's key-check value (the log was created with another key or passphrase)"
            .into(),
    )
}
