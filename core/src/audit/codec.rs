//! Turning events into encrypted rows and rows back into authenticated events.
//!
//! Each field is stored as the encryption of `presence ‖ value` (presence 0 for a
//! missing value, 1 otherwise): a missing field is encrypted too, so blanking a field is
//! as detectable as editing it, and `Some("")` stays distinct from `None`.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::Row;

use super::Shared;
use super::chain::EventDigest;
use super::cipher::{FieldCipher, NONCE_LEN, OVERHEAD};
use super::event::{AuditEvent, FIELDS, NewEvent, ProblemKind, format_event_id, new_event_id};
use crate::error::{Error, Result};

/// The master keys a log instance can use: the current one (new events, re-encryption
/// target) and any previous ones the host supplied. Cheap to clone (`Arc`s): long reads
/// work on a snapshot instead of holding the lock, so a rotation never waits for them.
#[derive(Debug, Clone)]
pub(crate) struct Keyring {
    pub current: Arc<FieldCipher>,
    pub by_id: HashMap<u32, Arc<FieldCipher>>,
}

impl Keyring {
    pub fn get(&self, key_id: u32) -> Option<&Arc<FieldCipher>> {
        self.by_id.get(&key_id)
    }
}

/// An event encrypted and digested, waiting for its sequence number and chain value.
pub(crate) struct Prepared {
    pub event_id: [u8; 16],
    pub ts: i64,
    pub key_id: u32,
    pub user_idx: Option<i64>,
    pub action_idx: i64,
    pub fields: [Vec<u8>; 8],
    pub digest: [u8; 32],
}

impl Prepared {
    /// The event id as a string.
    pub fn id_string(&self) -> String {
        format_event_id(&self.event_id)
    }
}

/// Encrypts `event` under the current key with fresh nonces and a fresh id.
pub(crate) fn prepare(shared: &Shared, event: &NewEvent) -> Result<Prepared> {
    let values = event.field_values()?;
    // One OS call for the id and all eight nonces.
    let random = crate::random::bytes::<{ 16 + 8 * NONCE_LEN }>()?;
    let mut id = [0u8; 16];
    id.copy_from_slice(&random[..16]);
    let event_id = new_event_id(id);
    let ts = shared.clock.unix_millis();
    let cipher = shared.keyring.read().current.clone();
    let mut digest = EventDigest::new(&event_id, ts);
    let mut plaintext = Vec::with_capacity(256);
    let mut fields: [Vec<u8>; 8] = Default::default();
    for (i, (name, value)) in FIELDS.iter().zip(&values).enumerate() {
        encode_field(value.as_deref(), &mut plaintext);
        digest.field(&plaintext);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&random[16 + i * NONCE_LEN..16 + (i + 1) * NONCE_LEN]);
        let out = &mut fields[i];
        out.reserve_exact(plaintext.len() + OVERHEAD);
        cipher.encrypt_into(&event_id, ts, name, &nonce, &plaintext, out)?;
    }
    Ok(Prepared {
        event_id,
        ts,
        key_id: cipher.key_id(),
        user_idx: values[1].as_deref().map(|u| shared.users.compute(u)),
        action_idx: shared.actions.compute(&event.action),
        fields,
        digest: digest.finish(),
    })
}

/// `presence ‖ value` into `out` (cleared first).
fn encode_field(value: Option<&str>, out: &mut Vec<u8>) {
    out.clear();
    match value {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            out.extend_from_slice(v.as_bytes());
        }
    }
}

/// An event row as stored.
pub(crate) struct RawRow {
    pub seq: u64,
    pub event_id: Vec<u8>,
    pub ts: i64,
    pub key_id: i64,
    pub fields: [Option<Vec<u8>>; 8],
    pub chain: Option<Vec<u8>>,
}

impl RawRow {
    /// Reads the columns of [`super::schema::EVENT_COLUMNS`]. Types are read leniently
    /// (a NULL where a blob belongs becomes `None`) so an edited row is reported as a
    /// problem rather than a database error.
    pub fn from_row(row: &Row<'_>) -> rusqlite::Result<RawRow> {
        let mut fields: [Option<Vec<u8>>; 8] = Default::default();
        for (i, f) in fields.iter_mut().enumerate() {
            *f = row.get::<_, Option<Vec<u8>>>(4 + i).unwrap_or(None);
        }
        Ok(RawRow {
            seq: row.get::<_, i64>(0)?.max(0) as u64,
            event_id: row
                .get::<_, Option<Vec<u8>>>(1)
                .unwrap_or(None)
                .unwrap_or_default(),
            ts: row
                .get::<_, Option<i64>>(2)
                .unwrap_or(None)
                .unwrap_or(i64::MIN),
            key_id: row.get::<_, Option<i64>>(3).unwrap_or(None).unwrap_or(-1),
            fields,
            chain: row.get::<_, Option<Vec<u8>>>(12).unwrap_or(None),
        })
    }

    /// The event id as a string, if it has the right length.
    pub fn id_string(&self) -> Option<String> {
        <[u8; 16]>::try_from(self.event_id.as_slice())
            .ok()
            .map(|id| format_event_id(&id))
    }
}

/// Why a row could not be opened.
#[derive(Debug)]
pub(crate) enum RowError {
    /// The row is tampered with or malformed.
    Problem { kind: ProblemKind, detail: String },
    /// The row is fine but needs a key the host did not supply.
    MissingKey(u32),
}

impl RowError {
    /// The error `query`/`export` report for this row.
    pub fn into_error(self, row: &RawRow) -> Error {
        match self {
            RowError::MissingKey(id) => missing_key(id),
            RowError::Problem { detail, .. } => Error::Tampered(format!(
                "audit event seq {} ({}): {detail}",
                row.seq,
                row.id_string().unwrap_or_else(|| "unreadable id".into())
            )),
        }
    }
}

/// Whether `key_id` is a key of this log (as opposed to an edited key id).
pub(crate) fn key_exists(conn: &rusqlite::Connection, key_id: u32) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM audit_keys WHERE key_id = ?1)",
        [key_id],
        |r| r.get(0),
    )?)
}

/// The detail for a row whose key id is not a key of this log.
pub(crate) fn unknown_key_detail(key_id: u32) -> String {
    format!("key id {key_id} is not a key of this log (edited key id)")
}

/// The error for events under a key the host did not supply.
pub(crate) fn missing_key(key_id: u32) -> Error {
    Error::InvalidKey(format!(
        "events are encrypted under key id {key_id}, which was not supplied: pass that key in AuditConfig::previous_keys (until reencrypt() completes)"
    ))
}

/// Decrypted, authenticated plaintexts (`presence ‖ value`) of one row.
pub(crate) struct Opened {
    pub event_id: [u8; 16],
    pub key_id: u32,
    pub plaintexts: [Vec<u8>; 8],
}

impl Opened {
    /// The event's content digest, as chained.
    pub fn digest(&self, ts: i64) -> [u8; 32] {
        let mut d = EventDigest::new(&self.event_id, ts);
        for p in &self.plaintexts {
            d.field(p);
        }
        d.finish()
    }

    /// The field at `i` as text (`None` when absent).
    fn text(&self, i: usize) -> std::result::Result<Option<String>, RowError> {
        let p = &self.plaintexts[i];
        match p.split_first() {
            Some((0, [])) => Ok(None),
            Some((1, rest)) => {
                String::from_utf8(rest.to_vec())
                    .map(Some)
                    .map_err(|_| RowError::Problem {
                        kind: ProblemKind::MalformedRow,
                        detail: format!("field {} is not UTF-8", FIELDS[i]),
                    })
            }
            _ => Err(RowError::Problem {
                kind: ProblemKind::MalformedRow,
                detail: format!("field {} has a bad presence marker", FIELDS[i]),
            }),
        }
    }

    /// The decrypted event.
    pub fn into_event(self, row: &RawRow) -> std::result::Result<AuditEvent, RowError> {
        let mut texts: Vec<Option<String>> = Vec::with_capacity(8);
        for i in 0..8 {
            texts.push(self.text(i)?);
        }
        let details = match texts[7].take() {
            None => None,
            Some(json) => Some(serde_json::from_str(&json).map_err(|_| RowError::Problem {
                kind: ProblemKind::MalformedRow,
                detail: "field details is not JSON".into(),
            })?),
        };
        let mut it = texts.into_iter();
        let mut next = || it.next().flatten();
        let action = next().ok_or_else(|| RowError::Problem {
            kind: ProblemKind::MalformedRow,
            detail: "field action is missing".into(),
        })?;
        Ok(AuditEvent {
            seq: row.seq,
            event_id: format_event_id(&self.event_id),
            timestamp_ms: row.ts,
            key_id: self.key_id,
            action,
            user_id: next(),
            resource_type: next(),
            resource_id: next(),
            status: next(),
            ip: next(),
            user_agent: next(),
            details,
        })
    }
}

/// Authenticates and decrypts every field of `row`.
pub(crate) fn open_row(keyring: &Keyring, row: &RawRow) -> std::result::Result<Opened, RowError> {
    let malformed = |detail: String| RowError::Problem {
        kind: ProblemKind::MalformedRow,
        detail,
    };
    let event_id: [u8; 16] = row
        .event_id
        .as_slice()
        .try_into()
        .map_err(|_| malformed(format!("event id is {} bytes, not 16", row.event_id.len())))?;
    let key_id = u32::try_from(row.key_id)
        .map_err(|_| malformed(format!("key id {} is out of range", row.key_id)))?;
    let cipher = keyring.get(key_id).ok_or(RowError::MissingKey(key_id))?;
    let mut plaintexts: [Vec<u8>; 8] = Default::default();
    for (i, name) in FIELDS.iter().enumerate() {
        let stored = row.fields[i]
            .as_deref()
            .ok_or_else(|| malformed(format!("field {name} is missing")))?;
        match cipher.decrypt(&event_id, row.ts, name, stored) {
            Some(p) => plaintexts[i] = p,
            None => {
                // Say where the ciphertext came from when it is another field of this
                // event (a swapped column); otherwise it was edited or comes from another
                // event.
                let origin = FIELDS.iter().find(|other| {
                    **other != *name && cipher.decrypt(&event_id, row.ts, other, stored).is_some()
                });
                let detail = match origin {
                    Some(other) => format!(
                        "field {name} failed authentication: it holds the ciphertext of field {other} (moved field)"
                    ),
                    None => format!(
                        "field {name} failed authentication (modified, or moved from another event; or the timestamp or key id was edited)"
                    ),
                };
                return Err(RowError::Problem {
                    kind: ProblemKind::FieldTampered,
                    detail,
                });
            }
        }
    }
    Ok(Opened {
        event_id,
        key_id,
        plaintexts,
    })
}

/// Re-encrypts an opened row under `cipher` with fresh nonces.
pub(crate) fn reencrypt_fields(
    cipher: &FieldCipher,
    opened: &Opened,
    ts: i64,
) -> Result<[Vec<u8>; 8]> {
    let random = crate::random::bytes::<{ 8 * NONCE_LEN }>()?;
    let mut fields: [Vec<u8>; 8] = Default::default();
    for (i, name) in FIELDS.iter().enumerate() {
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&random[i * NONCE_LEN..(i + 1) * NONCE_LEN]);
        cipher.encrypt_into(
            &opened.event_id,
            ts,
            name,
            &nonce,
            &opened.plaintexts[i],
            &mut fields[i],
        )?;
    }
    Ok(fields)
}
