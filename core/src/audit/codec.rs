//! Turning events into encrypted rows and rows back into authenticated events.
//!
//! Each field is stored as the encryption of `presence ‖ value` (presence 0 for a
//! missing value, 1 otherwise): a missing field is encrypted too, so blanking a field is
//! as detectable as editing it, and `Some("")` stays distinct from `None`.
//!
//! The eight sealed fields of an event are stored in one column (see [`pack`]): one
//! value to bind and copy per event instead of eight, which is most of what SQLite does
//! per appended row. Each field keeps its own nonce, tag and associated data, so a field
//! moved inside the blob is detected exactly like a field moved between columns.
//!
//! Fields are sealed for their log (the log id is in their AAD, see [`super::cipher`]),
//! and the column then starts with [`BOUND`]. Columns without it were written before
//! (v1 places, no log id): they are accepted only below the seq at which this log began
//! binding its fields ([`Keyring::legacy_before`], stored with a MAC), so a row sealed
//! for another log under the same master key is refused by `query` as well as by
//! `verify`.

use std::collections::HashMap;
use std::sync::Arc;

use crate::store::sql::{Db, Row, args};

use super::chain::EventDigest;
use super::cipher::{FieldCipher, NONCE_LEN, OVERHEAD};
use super::event::{AuditEvent, FIELDS, NewEvent, ProblemKind, format_event_id, new_event_id};
use super::shared::Shared;
use crate::error::{Error, Result};

/// The master keys a log instance can use: the current one (new events, re-encryption
/// target) and any previous ones the host supplied. Cheap to clone (`Arc`s): long reads
/// work on a snapshot instead of holding the lock, so a rotation never waits for them.
#[derive(Debug, Clone)]
pub(crate) struct Keyring {
    pub current: Arc<FieldCipher>,
    pub by_id: HashMap<u32, Arc<FieldCipher>>,
    /// Rows below this seq may hold v1 fields (written before fields were bound to the
    /// log); rows from it on must be bound.
    pub legacy_before: u64,
}

impl Keyring {
    pub fn get(&self, key_id: u32) -> Option<&Arc<FieldCipher>> {
        self.by_id.get(&key_id)
    }
}

/// An event encrypted and digested, waiting for its sequence number and chain value.
#[derive(Default)]
pub(crate) struct Prepared {
    pub event_id: [u8; 16],
    pub ts: i64,
    pub key_id: u32,
    pub user_idx: Option<i64>,
    pub action_idx: i64,
    /// The `fields` column: the eight sealed fields, packed (see [`pack`]).
    pub fields: Vec<u8>,
    pub digest: [u8; 32],
}

impl Prepared {
    /// The event id as a string.
    pub fn id_string(&self) -> String {
        format_event_id(&self.event_id)
    }
}

/// The first byte of a `fields` column whose fields are sealed for their log. No v1
/// column starts with it: it would be the length of an empty field, and a sealed field
/// is at least [`OVERHEAD`] bytes.
pub(crate) const BOUND: u8 = 0;

/// The `fields` column: [`BOUND`], then each sealed field (`nonce ‖ ciphertext ‖ tag`)
/// in [`FIELDS`] order, preceded by its length as an unsigned LEB128 varint. [`unpack`]
/// reverses it.
pub(crate) fn pack(sealed: &[Vec<u8>; 8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + sealed.iter().map(|f| f.len() + 2).sum::<usize>());
    out.push(BOUND);
    for field in sealed {
        push_len(field.len(), &mut out);
        out.extend_from_slice(field);
    }
    out
}

/// Appends `len` as an unsigned LEB128 varint.
fn push_len(mut len: usize, out: &mut Vec<u8>) {
    while len >= 0x80 {
        out.push((len as u8 & 0x7f) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
}

/// Splits a `fields` column into the eight sealed fields and whether they are sealed
/// for their log ([`BOUND`]); `None` when it is not exactly eight length-prefixed
/// fields (an edited or truncated blob).
pub(crate) fn unpack(blob: &[u8]) -> Option<([&[u8]; 8], bool)> {
    let (bound, mut blob) = match blob.split_first() {
        Some((&BOUND, rest)) => (true, rest),
        _ => (false, blob),
    };
    let mut fields: [&[u8]; 8] = [&[]; 8];
    for field in &mut fields {
        let mut len = 0usize;
        let mut shift = 0u32;
        loop {
            let (&byte, rest) = blob.split_first()?;
            blob = rest;
            // Ten bytes of varint would exceed any length a blob can have.
            if shift > 56 {
                return None;
            }
            len |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        if len > blob.len() {
            return None;
        }
        let (value, rest) = blob.split_at(len);
        *field = value;
        blob = rest;
    }
    blob.is_empty().then_some((fields, bound))
}

/// Encrypts `event` under the current key with fresh nonces and a fresh id.
pub(crate) fn prepare(shared: &Shared, event: &NewEvent) -> Result<Prepared> {
    let mut out = Prepared::default();
    prepare_into(shared, event, &mut out)?;
    Ok(out)
}

/// [`prepare`] into `out`, reusing its `fields` buffer (the batched writer recycles
/// them). Everything in `out` is overwritten.
pub(crate) fn prepare_into(shared: &Shared, event: &NewEvent, out: &mut Prepared) -> Result<()> {
    let mut details = String::new();
    let values = event.field_values(&mut details)?;
    // The id and all eight nonces from one draw (see `entropy`).
    let mut random = [0u8; 16 + 8 * NONCE_LEN];
    super::entropy::fill(&mut random)?;
    let mut id = [0u8; 16];
    id.copy_from_slice(&random[..16]);
    let event_id = new_event_id(id);
    let ts = shared.clock.unix_millis();
    let cipher = shared.keyring.read().current.clone();
    let mut digest = EventDigest::new(&event_id, ts);
    // Packed as `pack` does, but encrypted straight into the column's buffer.
    let sealed_len = |v: &Option<&str>| 1 + v.map_or(0, str::len) + OVERHEAD;
    let total: usize = 1 + values.iter().map(|v| sealed_len(v) + 3).sum::<usize>();
    let fields = &mut out.fields;
    fields.clear();
    fields.reserve(total);
    fields.push(BOUND);
    let longest = values.iter().map(|v| v.map_or(0, str::len)).max();
    let mut plaintext = Vec::with_capacity(1 + longest.unwrap_or(0));
    for (i, (name, value)) in FIELDS.iter().zip(&values).enumerate() {
        encode_field(*value, &mut plaintext);
        digest.field(&plaintext);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&random[16 + i * NONCE_LEN..16 + (i + 1) * NONCE_LEN]);
        push_len(sealed_len(value), fields);
        let start = fields.len();
        cipher.encrypt_into(&event_id, ts, name, &nonce, &plaintext, fields)?;
        debug_assert_eq!(fields.len() - start, sealed_len(value));
    }
    out.event_id = event_id;
    out.ts = ts;
    out.key_id = cipher.key_id();
    out.user_idx = values[1].map(|u| shared.users.compute(u));
    out.action_idx = shared.actions.compute(&event.action);
    out.digest = digest.finish();
    Ok(())
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
    /// The `fields` column (`None` when it is not a blob).
    pub fields: Option<Vec<u8>>,
}

impl RawRow {
    /// Reads the columns of [`super::schema::EVENT_COLUMNS`]. Types are read leniently
    /// (a NULL where a blob belongs becomes `None`) so an edited row is reported as a
    /// problem rather than a database error.
    pub fn from_row(row: &dyn Row) -> Result<RawRow> {
        Ok(RawRow {
            seq: row.i64(0)?.max(0) as u64,
            event_id: row.opt_bytes(1).ok().flatten().unwrap_or_default(),
            ts: row.opt_i64(2).ok().flatten().unwrap_or(i64::MIN),
            key_id: row.opt_i64(3).ok().flatten().unwrap_or(-1),
            fields: row.opt_bytes(5).ok().flatten(),
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

/// Whether `key_id` is a key of this log in use (as opposed to an edited key id: no
/// event stays under a retired key).
pub(crate) fn key_exists(conn: &dyn Db, key_id: u32) -> Result<bool> {
    conn.one(
        "SELECT EXISTS (SELECT 1 FROM audit_keys WHERE key_id = ?1 AND retired_ms IS NULL)",
        args![key_id],
        |r| r.bool(0),
    )
}

/// The detail for a row whose key id is not a key of this log.
pub(crate) fn unknown_key_detail(key_id: u32) -> String {
    format!("key id {key_id} is not a key in use by this log (edited key id)")
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

/// A stored row's authenticated parts, borrowed (from a [`RawRow`] or straight from a
/// buffer of rows, as `verify()` reads them).
pub(crate) struct RowRef<'a> {
    pub seq: u64,
    pub event_id: &'a [u8],
    pub ts: i64,
    pub key_id: i64,
    /// The `fields` column (`None` when it is not a blob).
    pub fields: Option<&'a [u8]>,
}

impl RawRow {
    /// This row's parts, borrowed.
    pub fn as_ref(&self) -> RowRef<'_> {
        RowRef {
            seq: self.seq,
            event_id: &self.event_id,
            ts: self.ts,
            key_id: self.key_id,
            fields: self.fields.as_deref(),
        }
    }
}

/// Authenticates and decrypts every field of `row`.
pub(crate) fn open_row(keyring: &Keyring, row: &RawRow) -> std::result::Result<Opened, RowError> {
    let mut plaintexts: [Vec<u8>; 8] = Default::default();
    let mut scratch = Vec::new();
    let (event_id, key_id) = open_fields(keyring, &row.as_ref(), &mut scratch, |i, p| {
        plaintexts[i] = p.to_vec();
    })?;
    Ok(Opened {
        event_id,
        key_id,
        plaintexts,
    })
}

/// Authenticates and decrypts every field of `row` in [`FIELDS`] order, passing each
/// plaintext (`presence ‖ value`) to `each` as soon as it is authenticated. Decrypts
/// into `scratch`, so a caller opening many rows allocates nothing per row. Returns the
/// event id and key id.
pub(crate) fn open_fields(
    keyring: &Keyring,
    row: &RowRef<'_>,
    scratch: &mut Vec<u8>,
    mut each: impl FnMut(usize, &[u8]),
) -> std::result::Result<([u8; 16], u32), RowError> {
    let malformed = |detail: String| RowError::Problem {
        kind: ProblemKind::MalformedRow,
        detail,
    };
    let event_id: [u8; 16] = row
        .event_id
        .try_into()
        .map_err(|_| malformed(format!("event id is {} bytes, not 16", row.event_id.len())))?;
    let key_id = u32::try_from(row.key_id)
        .map_err(|_| malformed(format!("key id {} is out of range", row.key_id)))?;
    let cipher = keyring.get(key_id).ok_or(RowError::MissingKey(key_id))?;
    let (fields, bound) = row
        .fields
        .and_then(unpack)
        .ok_or_else(|| malformed("the fields column is not eight length-prefixed fields".into()))?;
    if !bound && row.seq >= keyring.legacy_before {
        return Err(RowError::Problem {
            kind: ProblemKind::FieldTampered,
            detail: format!(
                "the fields are not sealed for this log, and every event since seq {} is (moved from another log?)",
                keyring.legacy_before
            ),
        });
    }
    for (i, (name, stored)) in FIELDS.iter().zip(fields).enumerate() {
        if !cipher.decrypt_into(bound, &event_id, row.ts, name, stored, scratch) {
            // Say where the ciphertext came from when it is another field of this
            // event (a swapped column); otherwise it was edited or comes from another
            // event or log.
            let origin = FIELDS.iter().find(|other| {
                **other != *name
                    && cipher.decrypt_into(bound, &event_id, row.ts, other, stored, scratch)
            });
            let detail = match origin {
                Some(other) => format!(
                    "field {name} failed authentication: it holds the ciphertext of field {other} (moved field)"
                ),
                None => format!(
                    "field {name} failed authentication (modified, or moved from another event or log; or the timestamp or key id was edited)"
                ),
            };
            return Err(RowError::Problem {
                kind: ProblemKind::FieldTampered,
                detail,
            });
        }
        each(i, scratch);
    }
    Ok((event_id, key_id))
}

/// Re-encrypts an opened row under `cipher` with fresh nonces; returns the packed
/// `fields` column.
pub(crate) fn reencrypt_fields(cipher: &FieldCipher, opened: &Opened, ts: i64) -> Result<Vec<u8>> {
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
    Ok(pack(&fields))
}

#[cfg(test)]
mod tests {
    use rusqlite::params;

    use super::*;
    use crate::audit::schema::{EVENT_COLUMNS, meta};
    use crate::audit::{AuditConfig, AuditKey, AuditLog, Filter, NewEvent, ProblemKind};
    use crate::pool::{Pool, PoolConfig};

    /// A log written before fields were bound to their log (v1 columns, no bound-from
    /// marker) stays readable and verifiable; events recorded afterwards are bound, and
    /// an unbound row among them is refused.
    #[test]
    fn logs_written_before_binding_stay_readable() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::open(dir.path().join("a.db"), PoolConfig::default()).unwrap();
        let key = AuditKey::generate().unwrap();
        let open = || AuditLog::open(&pool, key.clone(), AuditConfig::default()).unwrap();
        let log = open();
        for user in ["a", "b", "c"] {
            log.record(&NewEvent::new("login").user(user)).unwrap();
        }
        // Rewrite the rows as the previous version wrote them.
        let ring = log.shared.keyring.read().clone();
        let v1 = FieldCipher::new(&key.subkeys().encryption, 1);
        let unbound = |seq: i64| -> Vec<u8> {
            pool.read(|c| {
                let raw = c.query_row(
                    &format!("SELECT {EVENT_COLUMNS} FROM audit_events e WHERE seq = ?1"),
                    [seq],
                    |r| Ok(RawRow::from_row(r)),
                )??;
                let opened = open_row(&ring, &raw).map_err(|e| e.into_error(&raw))?;
                let fields = reencrypt_fields(&v1, &opened, raw.ts)?;
                assert_eq!(fields[0], BOUND);
                Ok(fields[1..].to_vec())
            })
            .unwrap()
        };
        let rewrite = |seq: i64, fields: Vec<u8>| {
            pool.write(|tx| {
                tx.execute(
                    "UPDATE audit_events SET fields = ?1 WHERE seq = ?2",
                    params![fields, seq],
                )?;
                Ok(())
            })
            .unwrap()
        };
        for seq in 1..=3 {
            rewrite(seq, unbound(seq));
        }
        pool.write(|tx| {
            tx.execute("DELETE FROM audit_meta WHERE name = ?1", [meta::BOUND_FROM])?;
            Ok(())
        })
        .unwrap();
        drop(log);
        let log = open();
        log.record(&NewEvent::new("logout").user("a")).unwrap();
        let users: Vec<_> = log
            .query(&Filter::default())
            .unwrap()
            .into_iter()
            .map(|e| e.user_id.unwrap())
            .collect();
        assert_eq!(users, ["a", "b", "c", "a"]);
        assert!(log.verify().unwrap().ok);
        // Event 4 was bound; an unbound copy of it is refused.
        rewrite(4, unbound(4));
        let p = log.verify().unwrap().first_problem.unwrap();
        assert_eq!(
            (p.kind, p.seq),
            (ProblemKind::FieldTampered, 4),
            "{}",
            p.detail
        );
        assert!(log.query(&Filter::user("b")).is_ok());
        assert!(log.query(&Filter::user("a")).is_err());
    }
}
