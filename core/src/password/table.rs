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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct HashTable {
    /// The table name.
    pub table: String,
    /// A unique key to walk the table in order: `rowid` (the default for tables with
    /// rowids) or a column that is NOT NULL and has a unique index of its own (checked:
    /// any other key would let rows be skipped).
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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
/// Fails with `InvalidInput` when the table or a column does not exist, the key column
/// may hold NULL or has no unique index of its own (paging by key would skip rows), or
/// `batch_size` is 0; database errors stop the run (batches already committed stay committed).
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
    // Page in the key's own collation (see key_collation).
    let ordered = format!(
        "{key} COLLATE {}",
        quote(&key_collation(pool, target)?, "collation")?
    );

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
    let first = format!("SELECT {key}, {hash} FROM {table} ORDER BY {ordered} LIMIT ?1");
    let next = format!(
        "SELECT {key}, {hash} FROM {table} WHERE {ordered} > ?2 ORDER BY {ordered} LIMIT ?1"
    );
    let update = format!("UPDATE {table} SET {hash} = ?1 WHERE {ordered} = ?2 AND {hash} = ?3");
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
            // A compare-and-set matches at most one row under a unique key; saturate
            // rather than underflow should that ever not hold.
            state.changed_meanwhile += (wrapped.len() as u64).saturating_sub(changed);
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

/// The collation to page over the key column with, after checking that the key is
/// unique and never NULL. Paging asks for `key > last key seen`, so a NULL key (never
/// greater than anything) or a key shared by rows on both sides of a batch boundary
/// would make rows be skipped silently; such a key column is refused with
/// `InvalidInput`.
///
/// Accepted: the rowid of a rowid table (by one of its names, or through an `INTEGER
/// PRIMARY KEY` alias), and a column that is NOT NULL (or part of a WITHOUT ROWID
/// table's primary key) and carries a unique, non-partial index on that column alone.
/// The index's collation is returned: two keys it holds distinct are then ordered and
/// compared as distinct (a NOCASE column under a BINARY unique index holds `a` and `A`,
/// which its own collation would call equal).
fn key_collation(pool: &Pool, target: &HashTable) -> Result<String> {
    const BINARY: &str = "BINARY";
    let table = quote(&target.table, "table")?;
    let name = target.key_column.as_str();
    pool.read(|c| {
        let has_rowid = c.prepare(&format!("SELECT rowid FROM {table}")).is_ok();
        // (type, notnull, pk) of the key column, and how many columns the primary key has.
        let mut info = c.prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)")?;
        let columns = info
            .query_map([&target.table], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let Some((_, decl_type, not_null, pk)) =
            columns.iter().find(|(n, ..)| n.eq_ignore_ascii_case(name))
        else {
            // check_columns accepted it: one of the rowid's names.
            return if has_rowid {
                Ok(BINARY.to_owned())
            } else {
                Err(Error::InvalidInput(format!(
                    "table {:?} is WITHOUT ROWID: name a unique NOT NULL key column",
                    target.table
                )))
            };
        };
        // (origin, the key columns' names and collations) of each unique full index.
        let mut list = c.prepare(
            "SELECT name, origin FROM pragma_index_list(?1) WHERE \"unique\" AND NOT partial",
        )?;
        let indexes = list
            .query_map([&target.table], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut xinfo =
            c.prepare("SELECT name, coll FROM pragma_index_xinfo(?1) WHERE key")?;
        let mut unique_on_key = None;
        for (index, _) in &indexes {
            let keys = xinfo
                .query_map([index], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, String>(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            if let [(Some(col), coll)] = &keys[..]
                && col.eq_ignore_ascii_case(name)
            {
                unique_on_key = Some(coll.clone());
                break;
            }
        }
        let pk_columns = columns.iter().filter(|(.., pk)| *pk > 0).count();
        // An INTEGER PRIMARY KEY is the rowid itself (it has no index of its own; a
        // non-alias primary key has one, with origin "pk").
        let rowid_alias = has_rowid
            && *pk == 1
            && pk_columns == 1
            && decl_type.eq_ignore_ascii_case("INTEGER")
            && !indexes.iter().any(|(_, origin)| origin == "pk");
        if rowid_alias {
            return Ok(BINARY.to_owned());
        }
        let Some(collation) = unique_on_key else {
            return Err(Error::InvalidInput(format!(
                "key column {:?} of table {:?} has no unique index of its own: rows sharing a key would be skipped; name a unique column or rowid",
                target.key_column, target.table
            )));
        };
        // A WITHOUT ROWID table's primary key is NOT NULL whatever its declaration.
        let without_rowid_pk = *pk > 0 && !has_rowid;
        if !*not_null && !without_rowid_pk {
            return Err(Error::InvalidInput(format!(
                "key column {:?} of table {:?} may hold NULL: rows with a NULL key would be skipped; declare it NOT NULL or use rowid",
                target.key_column, target.table
            )));
        }
        Ok(collation)
    })
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

    /// A table `t (k <key_decl>, pw TEXT)` holding `keys`, each row with MD5_CRYPT.
    fn keyed(dir: &tempfile::TempDir, schema: &str, keys: &[Option<&str>]) -> Pool {
        let pool = Pool::open(dir.path().join("keyed.db"), PoolConfig::default()).unwrap();
        pool.write(|tx| {
            tx.execute_batch(schema)?;
            for k in keys {
                tx.execute(
                    "INSERT INTO t (k, pw) VALUES (?1, ?2)",
                    rusqlite::params![k, MD5_CRYPT],
                )?;
            }
            Ok(())
        })
        .unwrap();
        pool
    }

    fn by_k() -> HashTable {
        HashTable {
            key_column: "k".into(),
            ..HashTable::new("t", "pw")
        }
    }

    fn legacy_left(pool: &Pool) -> i64 {
        pool.read(|c| {
            Ok(
                c.query_row("SELECT count(*) FROM t WHERE pw = ?1", [MD5_CRYPT], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap()
    }

    #[test]
    fn a_key_that_is_not_unique_is_refused_not_paged_past() {
        // Paging by `k > 'b'` after a batch ending in the first 'b' would skip the
        // other 'b' rows.
        let dir = tempfile::tempdir().unwrap();
        let pool = keyed(
            &dir,
            "CREATE TABLE t (k TEXT NOT NULL, pw TEXT)",
            &[Some("a"), Some("b"), Some("b"), Some("b"), Some("c")],
        );
        let err = upgrade_table(&hasher(), &pool, &by_k(), 2, |_| {}).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("no unique index"), "{err}");
        assert_eq!(legacy_left(&pool), 5, "refused before any write");
        // rowid still walks every row.
        let done = upgrade_table(&hasher(), &pool, &HashTable::new("t", "pw"), 2, |_| {}).unwrap();
        assert_eq!(done.wrapped, 5);
        // A unique index over (k, n) does not make k unique.
        let dir = tempfile::tempdir().unwrap();
        let pool = keyed(
            &dir,
            "CREATE TABLE t (k TEXT NOT NULL, pw TEXT, n INTEGER);
             CREATE UNIQUE INDEX t_kn ON t (k, n)",
            &[Some("a"), Some("a")],
        );
        let err = upgrade_table(&hasher(), &pool, &by_k(), 1, |_| {}).unwrap_err();
        assert!(err.to_string().contains("no unique index"), "{err}");
    }

    #[test]
    fn a_key_that_may_be_null_is_refused() {
        // `k > NULL` is never true: a batch ending on a NULL key would end the walk.
        let dir = tempfile::tempdir().unwrap();
        let pool = keyed(
            &dir,
            "CREATE TABLE t (k TEXT UNIQUE, pw TEXT)",
            &[None, None, None, Some("a"), Some("b")],
        );
        let err = upgrade_table(&hasher(), &pool, &by_k(), 2, |_| {}).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("may hold NULL"), "{err}");
        assert_eq!(legacy_left(&pool), 5);
        // A partial unique index proves nothing about the other rows.
        let dir = tempfile::tempdir().unwrap();
        let pool = keyed(
            &dir,
            "CREATE TABLE t (k TEXT NOT NULL, pw TEXT);
             CREATE UNIQUE INDEX t_k ON t (k) WHERE k > 'm'",
            &[Some("a"), Some("a"), Some("z")],
        );
        let err = upgrade_table(&hasher(), &pool, &by_k(), 1, |_| {}).unwrap_err();
        assert!(err.to_string().contains("no unique index"), "{err}");
    }

    #[test]
    fn unique_not_null_keys_are_walked_completely() {
        for schema in [
            "CREATE TABLE t (k TEXT NOT NULL UNIQUE, pw TEXT)",
            "CREATE TABLE t (k TEXT PRIMARY KEY, pw TEXT) WITHOUT ROWID",
            "CREATE TABLE t (k INTEGER PRIMARY KEY, pw TEXT)",
            // The column's NOCASE would call 'a' and 'A' equal; the BINARY unique index
            // holds them apart, and paging follows the index.
            "CREATE TABLE t (k TEXT NOT NULL COLLATE NOCASE, pw TEXT);
             CREATE UNIQUE INDEX t_k ON t (k COLLATE BINARY)",
        ] {
            let dir = tempfile::tempdir().unwrap();
            let keys: &[Option<&str>] = if schema.contains("INTEGER") {
                &[Some("1"), Some("2"), Some("3"), Some("4")]
            } else {
                &[Some("A"), Some("a"), Some("B"), Some("b")]
            };
            let pool = keyed(&dir, schema, keys);
            let done = upgrade_table(&hasher(), &pool, &by_k(), 1, |_| {}).unwrap();
            assert_eq!((done.scanned, done.wrapped), (4, 4), "{schema}");
            assert_eq!(legacy_left(&pool), 0, "{schema}");
        }
        // A WITHOUT ROWID table has no rowid to walk by.
        let dir = tempfile::tempdir().unwrap();
        let pool = keyed(
            &dir,
            "CREATE TABLE t (k TEXT PRIMARY KEY, pw TEXT) WITHOUT ROWID",
            &[Some("a")],
        );
        let err =
            upgrade_table(&hasher(), &pool, &HashTable::new("t", "pw"), 1, |_| {}).unwrap_err();
        assert!(err.to_string().contains("WITHOUT ROWID"), "{err}");
    }
}
