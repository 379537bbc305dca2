//! Upgrading a whole table of legacy hashes at once, without the passwords.
//!
//! Upgrade on login only reaches users who log in; the rest keep their weak hashes
//! forever. [`upgrade_table`] wraps every legacy hash in a column into Argon2id
//! ([`PasswordHasher::wrap_legacy`]), so a stolen table no longer yields fast hashes,
//! while each user's next login replaces the wrapped hash with a plain Argon2id one.
//!
//! The table is walked in key order, one batch at a time. Argon2 runs outside any
//! transaction (on all cores), then each batch is written in one short transaction with
//! a compare-and-set (`WHERE key = ? AND hash = <the value read>`), so a hash that a login
//! replaced in the meantime is left alone. Every batch commits on its own: an interrupted
//! run loses at most one batch of work, and running again skips the rows already done.

use rusqlite::types::Value;
use serde::Serialize;

use super::PasswordHasher;
use super::identify::{self, Parsed};
use crate::error::{Error, ErrorKind, Result};
use crate::pool::Pool;

/// Where the hashes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashTable {
    /// The table name.
    pub table: String,
    /// A unique key to walk the table in order: `rowid` (the default for tables with
    /// rowids) or a unique column.
    pub key_column: String,
    /// The column holding the stored hashes.
    pub hash_column: String,
}

impl HashTable {
    /// The hashes in `hash_column` of `table`, walked by `rowid`.
    pub fn new(table: impl Into<String>, hash_column: impl Into<String>) -> Self {
        HashTable {
            table: table.into(),
            key_column: "rowid".into(),
            hash_column: hash_column.into(),
        }
    }
}

/// How many keys of unrecognised rows [`TableUpgrade::unrecognised_keys`] keeps.
pub const MAX_UNRECOGNISED_KEYS: usize = 10;

/// Progress and outcome of [`upgrade_table`]. Counts are for this run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableUpgrade {
    /// Rows in the table when the run started.
    pub total: u64,
    /// Rows looked at so far.
    pub scanned: u64,
    /// Legacy hashes wrapped into Argon2id.
    pub wrapped: u64,
    /// Hashes that need nothing: Argon2 or already wrapped.
    pub current: u64,
    /// Hashes that are malformed, unsupported or beyond the policy's limits (left as
    /// they are; see `unrecognised_keys`).
    pub unrecognised: u64,
    /// Rows whose hash is NULL or empty.
    pub empty: u64,
    /// Legacy hashes that changed between being read and being written (a login
    /// upgraded them meanwhile); left as they are.
    pub changed_meanwhile: u64,
    /// Keys of the first unrecognised rows (at most [`MAX_UNRECOGNISED_KEYS`]), as text.
    pub unrecognised_keys: Vec<String>,
}

/// Wraps every legacy hash in `target` into Argon2id under `hasher`'s policy
/// ([`PasswordHasher::wrap_legacy`]: no password needed; the next login replaces the
/// wrapped hash with a plain Argon2id one), `batch_size` rows at a time, calling
/// `progress` after each batch.
///
/// Rows are walked in key order. Argon2 runs outside any transaction, on all cores; each
/// batch is then written in one short transaction with a compare-and-set on the hash read,
/// so a hash that a login replaced meanwhile is left alone. Every batch commits on its
/// own: an interrupted run loses at most one batch, and running again skips rows already
/// done. Argon2 and wrapped hashes, NULL or empty values and unrecognised hashes are
/// counted and left untouched.
///
/// Fails with `InvalidInput` when the table or a column does not exist or `batch_size` is
/// 0; database errors stop the run (batches already committed stay committed).
pub fn upgrade_table(
    hasher: &PasswordHasher,
    pool: &Pool,
    target: &HashTable,
    batch_size: usize,
    mut progress: impl FnMut(&TableUpgrade),
) -> Result<TableUpgrade> {
    if batch_size == 0 {
        return Err(Error::InvalidInput(
            "upgrade_table batch_size must be at least 1".into(),
        ));
    }
    let table = quote(&target.table, "table")?;
    let key = quote(&target.key_column, "key column")?;
    let hash = quote(&target.hash_column, "hash column")?;
    check_columns(pool, target)?;

    let mut state = TableUpgrade {
        total: pool
            .read(|c| {
                Ok(
                    c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
                        r.get::<_, i64>(0)
                    })?,
                )
            })?
            .max(0) as u64,
        ..TableUpgrade::default()
    };
    let first = format!("SELECT {key}, {hash} FROM {table} ORDER BY {key} LIMIT ?1");
    let next =
        format!("SELECT {key}, {hash} FROM {table} WHERE {key} > ?2 ORDER BY {key} LIMIT ?1");
    let update = format!("UPDATE {table} SET {hash} = ?1 WHERE {key} = ?2 AND {hash} = ?3");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    let mut cursor: Option<Value> = None;
    loop {
        let rows: Vec<(Value, Value)> = pool.read(|c| {
            let limit = batch_size as i64;
            let mut stmt = c.prepare(if cursor.is_some() { &next } else { &first })?;
            let map = |r: &rusqlite::Row<'_>| Ok((r.get::<_, Value>(0)?, r.get::<_, Value>(1)?));
            let rows = match &cursor {
                Some(after) => stmt.query_map(rusqlite::params![limit, after], map)?,
                None => stmt.query_map(rusqlite::params![limit], map)?,
            };
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        let Some((last_key, _)) = rows.last() else {
            break;
        };
        cursor = Some(last_key.clone());
        let fetched = rows.len();

        let mut legacy = Vec::new();
        for (key_value, stored) in rows {
            state.scanned += 1;
            let text = match stored {
                Value::Text(t) if !t.is_empty() => t,
                Value::Null => {
                    state.empty += 1;
                    continue;
                }
                Value::Text(_) => {
                    state.empty += 1;
                    continue;
                }
                _ => {
                    note_unrecognised(&mut state, &key_value);
                    continue;
                }
            };
            match identify::parse(&text, hasher.policy()) {
                Ok(Parsed::Legacy(_)) => legacy.push((key_value, text)),
                Ok(Parsed::Argon2 { .. } | Parsed::Wrapped(_)) => state.current += 1,
                Err(e) if e.kind() == ErrorKind::InvalidHash => {
                    note_unrecognised(&mut state, &key_value)
                }
                Err(e) => return Err(e),
            }
        }

        let wrapped = wrap_all(hasher, &legacy, threads)?;
        if !wrapped.is_empty() {
            let changed = pool.write(|tx| {
                let mut stmt = tx.prepare(&update)?;
                let mut changed = 0u64;
                for ((key_value, old), new) in legacy.iter().zip(&wrapped) {
                    changed += stmt.execute(rusqlite::params![new, key_value, old])? as u64;
                }
                Ok(changed)
            })?;
            state.wrapped += changed;
            state.changed_meanwhile += wrapped.len() as u64 - changed;
        }
        progress(&state);
        if fetched < batch_size {
            break;
        }
    }
    Ok(state)
}

fn note_unrecognised(state: &mut TableUpgrade, key: &Value) {
    state.unrecognised += 1;
    if state.unrecognised_keys.len() < MAX_UNRECOGNISED_KEYS {
        state.unrecognised_keys.push(match key {
            Value::Null => "NULL".into(),
            Value::Integer(i) => i.to_string(),
            Value::Real(f) => f.to_string(),
            Value::Text(t) => t.clone(),
            Value::Blob(b) => hex::encode(b),
        });
    }
}

/// Wraps each legacy hash, spreading the Argon2 work over `threads` threads.
fn wrap_all(
    hasher: &PasswordHasher,
    legacy: &[(Value, String)],
    threads: usize,
) -> Result<Vec<String>> {
    if legacy.is_empty() {
        return Ok(Vec::new());
    }
    let chunk = legacy.len().div_ceil(threads.max(1));
    std::thread::scope(|s| {
        let handles: Vec<_> = legacy
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(_, stored)| hasher.wrap_legacy(stored))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(legacy.len());
        for h in handles {
            let part = h
                .join()
                .map_err(|_| Error::Internal("a hashing thread panicked".into()))??;
            out.extend(part);
        }
        Ok(out)
    })
}

/// Quotes an SQL identifier (`"name"`, inner quotes doubled).
fn quote(name: &str, what: &str) -> Result<String> {
    if name.is_empty() || name.contains('\0') {
        return Err(Error::InvalidInput(format!(
            "the {what} name must be non-empty and contain no NUL character"
        )));
    }
    Ok(format!("\"{}\"", name.replace('"', "\"\"")))
}

/// Checks that the table and both columns exist, naming the one that does not.
fn check_columns(pool: &Pool, target: &HashTable) -> Result<()> {
    let columns: Vec<String> = pool.read(|c| {
        let mut stmt = c.prepare("SELECT name FROM pragma_table_info(?1)")?;
        let names = stmt
            .query_map([&target.table], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(names)
    })?;
    if columns.is_empty() {
        return Err(Error::InvalidInput(format!(
            "table {:?} does not exist",
            target.table
        )));
    }
    let has = |name: &str| columns.iter().any(|c| c.eq_ignore_ascii_case(name));
    let is_rowid = |name: &str| {
        ["rowid", "_rowid_", "oid"]
            .iter()
            .any(|r| r.eq_ignore_ascii_case(name))
    };
    if !has(&target.key_column) && !is_rowid(&target.key_column) {
        return Err(Error::InvalidInput(format!(
            "table {:?} has no column {:?} (key column)",
            target.table, target.key_column
        )));
    }
    if !has(&target.hash_column) {
        return Err(Error::InvalidInput(format!(
            "table {:?} has no column {:?} (hash column)",
            target.table, target.hash_column
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::Policy;
    use crate::pool::PoolConfig;

    /// md5-crypt of "Hello world!".
    const MD5_CRYPT: &str = "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1";
    /// hex SHA-256 of "hunter2".
    const HEX_SHA256: &str = "f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7";

    fn hasher() -> PasswordHasher {
        let mut policy = Policy::owasp().with_legacy_digests(&["sha256"]).unwrap();
        policy.memory_kib = 64;
        policy.iterations = 1;
        PasswordHasher::new(policy).unwrap()
    }

    fn users(dir: &tempfile::TempDir, h: &PasswordHasher) -> Pool {
        let pool = Pool::open(dir.path().join("users.db"), PoolConfig::default()).unwrap();
        let modern = h.hash("already strong").unwrap();
        pool.write(|tx| {
            tx.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, pw TEXT)")?;
            let rows: [Option<&str>; 7] = [
                Some(MD5_CRYPT),
                Some(HEX_SHA256),
                Some(&modern),
                None,
                Some(""),
                Some("not a hash at all"),
                Some(MD5_CRYPT),
            ];
            for pw in rows {
                tx.execute("INSERT INTO users (pw) VALUES (?1)", [pw])?;
            }
            Ok(())
        })
        .unwrap();
        pool
    }

    fn stored(pool: &Pool, id: i64) -> String {
        pool.read(|c| Ok(c.query_row("SELECT pw FROM users WHERE id = ?1", [id], |r| r.get(0))?))
            .unwrap()
    }

    #[test]
    fn wraps_legacy_rows_in_batches_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let h = hasher();
        let pool = users(&dir, &h);
        let mut reports = Vec::new();
        let target = HashTable::new("users", "pw");
        let done = upgrade_table(&h, &pool, &target, 2, |p| reports.push(p.scanned)).unwrap();
        assert_eq!(reports, vec![2, 4, 6, 7]);
        assert_eq!(
            (
                done.total,
                done.scanned,
                done.wrapped,
                done.current,
                done.unrecognised,
                done.empty
            ),
            (7, 7, 3, 1, 1, 2)
        );
        assert_eq!(done.unrecognised_keys, vec!["6".to_string()]);
        assert!(h.verify("Hello world!", &stored(&pool, 1)).unwrap());
        assert!(h.verify("hunter2", &stored(&pool, 2)).unwrap());
        assert_eq!(
            h.identify(&stored(&pool, 7)).unwrap().name(),
            "wrapped_md5_crypt"
        );

        let again = upgrade_table(&h, &pool, &target, 100, |_| {}).unwrap();
        assert_eq!(
            (again.wrapped, again.current, again.unrecognised),
            (0, 4, 1)
        );
    }

    #[test]
    fn a_named_key_column_works_and_missing_names_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let h = hasher();
        let pool = users(&dir, &h);
        let by_id = HashTable {
            key_column: "id".into(),
            ..HashTable::new("users", "pw")
        };
        assert_eq!(
            upgrade_table(&h, &pool, &by_id, 3, |_| {}).unwrap().wrapped,
            3
        );

        let err = upgrade_table(&h, &pool, &HashTable::new("nope", "pw"), 3, |_| {}).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("\"nope\" does not exist"), "{err}");
        let err =
            upgrade_table(&h, &pool, &HashTable::new("users", "hash"), 3, |_| {}).unwrap_err();
        assert!(err.to_string().contains("no column \"hash\""), "{err}");
        let evil = HashTable::new("users\"; DROP TABLE users; --", "pw");
        assert!(upgrade_table(&h, &pool, &evil, 3, |_| {}).is_err());
        let rows: i64 = pool
            .read(|c| Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(rows, 7, "the table survived the quoted name");
        let err = upgrade_table(&h, &pool, &HashTable::new("users", "pw"), 0, |_| {}).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}
