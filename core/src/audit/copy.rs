//! Moving a log between stores (an SQLite file and a PostgreSQL schema, either way),
//! verified on both sides.
//!
//! The rows are copied as they are: ciphertexts, chain values, keys (wrapped), the purge
//! anchor, the Merkle tree and the checkpoints. Nothing is decrypted and sealed again,
//! so the copy is the same log (same log id, same chain, same key) and every checkpoint
//! issued before stays provable from it. The lookup table is not copied: the first open
//! of the copy rebuilds it from the events.

use super::event::Head;
use super::schema::{lookup_is_view, meta};
use super::store::WRITE_LOCK;
use super::{AuditConfig, AuditKey, AuditLog, WriteMode, migrate};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::sql::{Arg, Db, Row};

/// What [`AuditLog::copy`] copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Events in the copy (all verified there).
    pub events: u64,
    /// The copy's head: the same as the source's at the end of the copy.
    pub head: Head,
}

/// A column's kind, for reading it from one backend and binding it on the other.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    NullableInt,
    Bytes,
    Text,
}

/// A table copied: its name, its columns and what orders its rows.
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    order: &'static str,
}

/// The tables copied, with their columns (the lookup table is rebuilt instead).
/// Checkpoints are inserted without their id, in order: the destination numbers them
/// (a PostgreSQL identity column would not advance past copied ids).
const TABLES: &[Table] = &[
    Table {
        name: "audit_meta",
        columns: &[("name", Kind::Text), ("value", Kind::Bytes)],
        order: "name",
    },
    Table {
        name: "audit_keys",
        columns: &[
            ("key_id", Kind::Int),
            ("check_value", Kind::Bytes),
            ("wrapped_secret", Kind::Bytes),
            ("created_ms", Kind::Int),
            ("retired_ms", Kind::NullableInt),
            ("first_seq", Kind::Int),
            ("reencrypted", Kind::Int),
        ],
        order: "key_id",
    },
    Table {
        name: "audit_events",
        columns: &[
            ("seq", Kind::Int),
            ("ts", Kind::Int),
            ("key_id", Kind::Int),
            ("user_idx", Kind::NullableInt),
            ("action_idx", Kind::Int),
            ("event_id", Kind::Bytes),
            ("chain", Kind::Bytes),
            ("fields", Kind::Bytes),
        ],
        order: "seq",
    },
    Table {
        name: "audit_leaves",
        columns: &[("seq", Kind::Int), ("leaf", Kind::Bytes)],
        order: "seq",
    },
    Table {
        name: "audit_tree",
        columns: &[("id", Kind::Int), ("hash", Kind::Bytes)],
        order: "id",
    },
    Table {
        name: "audit_checkpoints",
        columns: &[
            ("size", Kind::Int),
            ("note", Kind::Text),
            ("created_ms", Kind::Int),
        ],
        order: "id",
    },
];

/// Rows buffered before each bulk insert.
const BATCH: usize = 2048;

enum Value {
    Int(Option<i64>),
    Bytes(Vec<u8>),
    Text(String),
}

impl Value {
    fn read(row: &dyn Row, i: usize, kind: Kind) -> Result<Value> {
        Ok(match kind {
            Kind::Int => Value::Int(Some(row.i64(i)?)),
            Kind::NullableInt => Value::Int(row.opt_i64(i)?),
            Kind::Bytes => Value::Bytes(row.bytes(i)?),
            Kind::Text => Value::Text(row.text(i)?),
        })
    }

    fn arg(&self) -> Arg<'_> {
        match self {
            Value::Int(v) => Arg::from(*v),
            Value::Bytes(v) => Arg::Bytes(v),
            Value::Text(v) => Arg::Text(v),
        }
    }
}

impl AuditLog {
    /// Copies the audit log in `from` into `to` (an SQLite [`Pool`](crate::pool::Pool)
    /// or a [`PgStore`](crate::store::PgStore), either way), which must not hold an
    /// audit log yet, and returns what was copied.
    ///
    /// The source is opened with `key` (and `config.previous_keys`) and verified first:
    /// a problem refuses the copy with `Tampered` and writes nothing. The rows are then
    /// copied in one transaction on `to`, from one snapshot of `from`, and the copy is
    /// opened and verified against the source's head; if that fails, what was written is
    /// removed again. Writers may keep appending to the source meanwhile: the copy holds
    /// the events up to its snapshot.
    ///
    /// Fails with `InvalidInput` when `from` holds no audit log or `to` already does.
    pub fn copy(
        from: impl Into<Store>,
        to: impl Into<Store>,
        key: AuditKey,
        config: AuditConfig,
    ) -> Result<CopyReport> {
        let (from, to) = (from.into(), to.into());
        if !AuditLog::exists(&from)? {
            return Err(Error::InvalidInput(format!(
                "{} holds no audit log to copy",
                from.describe()
            )));
        }
        if AuditLog::exists(&to)? {
            return Err(Error::InvalidInput(format!(
                "{} already holds an audit log; copy into a store without one",
                to.describe()
            )));
        }
        let source_config = AuditConfig {
            mode: WriteMode::Synchronous,
            ..config.clone()
        };
        let source = AuditLog::open(&from, key.clone(), source_config)?;
        let report = source.verify()?;
        if let Some(p) = report.first_problem {
            return Err(Error::Tampered(format!(
                "the source audit log fails verification at event seq {} ({}): {}; nothing was copied",
                p.seq,
                p.kind.name(),
                p.detail
            )));
        }
        let head = source.head()?;
        drop(source);
        migrate(&to)?;
        from.read(|src| to.write(WRITE_LOCK, |dst| copy_tables(src, dst)))?;
        let verified = AuditLog::open(&to, key, config).and_then(|copy| {
            let report = copy.verify_against(&head)?;
            match report.first_problem {
                None => Ok(CopyReport {
                    events: report.checked,
                    head: copy.head()?,
                }),
                Some(p) => Err(Error::Tampered(format!(
                    "the copied audit log fails verification at event seq {} ({}): {}; the copy was removed",
                    p.seq,
                    p.kind.name(),
                    p.detail
                ))),
            }
        });
        if verified.is_err() {
            to.write(WRITE_LOCK, clear)?;
        }
        verified
    }
}

/// Copies every table of [`TABLES`] from `src` into `dst`, in bulk.
fn copy_tables(src: &dyn Db, dst: &dyn Db) -> Result<()> {
    for Table {
        name: table,
        columns,
        order,
    } in TABLES
    {
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let mut sql = format!("SELECT {} FROM {table}", names.join(", "));
        if *table == "audit_meta" {
            // Rebuilt by the copy's first open, with the lookup table.
            sql.push_str(&format!(" WHERE name <> '{}'", meta::LOOKUP_END));
        }
        sql.push_str(&format!(" ORDER BY {order}"));
        let mut buffer: Vec<Vec<Value>> = Vec::with_capacity(BATCH);
        let flush = |buffer: &mut Vec<Vec<Value>>| -> Result<()> {
            let rows: Vec<Vec<Arg<'_>>> = buffer
                .iter()
                .map(|row| row.iter().map(Value::arg).collect())
                .collect();
            let stored = dst.insert_many(table, &names, &rows)?;
            if stored != rows.len() {
                return Err(Error::Tampered(format!(
                    "copying {table}: {stored} of {} rows were stored",
                    rows.len()
                )));
            }
            buffer.clear();
            Ok(())
        };
        src.each(&sql, &[], &mut |row| {
            let values = columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| Value::read(row, i, *kind))
                .collect::<Result<Vec<_>>>()
                .map_err(|e| Error::Tampered(format!("copying {table}: {e}")))?;
            buffer.push(values);
            if buffer.len() == BATCH {
                flush(&mut buffer)?;
            }
            Ok(true)
        })?;
        flush(&mut buffer)?;
    }
    Ok(())
}

/// Removes a copy that failed verification (every audit table emptied; the tables stay).
fn clear(dst: &dyn Db) -> Result<()> {
    for table in [
        "audit_checkpoints",
        "audit_tree",
        "audit_leaves",
        "audit_lookup",
        "audit_events",
        "audit_keys",
        "audit_meta",
    ] {
        if table == "audit_lookup" && lookup_is_view(dst) {
            continue;
        }
        dst.exec(&format!("DELETE FROM {table}"), &[])?;
    }
    Ok(())
}
