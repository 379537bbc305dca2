//! Queries: blind-index lookups, time ranges, paging, then decryption and exact
//! filtering (blind-index false positives are dropped after decrypting).

use rusqlite::types::Value;

use rusqlite::Connection;

use super::codec::{Keyring, RawRow, RowError, key_exists, open_row, unknown_key_detail};
use super::event::{AuditEvent, Filter, Order, ProblemKind};
use super::schema::{EPOCH_BITS, EVENT_COLUMNS};
use super::store::lookup_end;
use super::{AuditLog, Shared};
use crate::error::Result;

impl AuditLog {
    /// The events matching `filter`, decrypted. Any matching-index row that fails
    /// authentication makes the whole query fail with `Tampered` naming the event and
    /// field: tampered data is never returned.
    pub fn query(&self, filter: &Filter) -> Result<Vec<AuditEvent>> {
        let mut out = Vec::new();
        for_each(&self.shared, filter, |e| {
            out.push(e);
            Ok(())
        })?;
        Ok(out)
    }
}

/// Calls `f` with each event matching `filter`, in order, inside one read snapshot.
/// Returns the number of events passed to `f`.
///
/// Filtered queries run in parts (see the schema): the indexed events through
/// `audit_lookup` (for a user, one part per epoch of the user index), and the few
/// events not yet copied there by scanning `audit_events` after them. Descending order
/// reads the unindexed tail first, then epochs newest first; ascending the reverse.
pub(crate) fn for_each(
    shared: &Shared,
    filter: &Filter,
    f: impl FnMut(AuditEvent) -> Result<()>,
) -> Result<u64> {
    if filter.limit == Some(0) {
        return Ok(0);
    }
    let conditions = Conditions {
        user_idx: filter.user_id.as_deref().map(|u| shared.users.compute(u)),
        action_idx: filter.action.as_deref().map(|a| shared.actions.compute(a)),
        since_ms: filter.since_ms,
        until_ms: filter.until_ms,
    };
    let order = match filter.order {
        Order::Ascending => " ASC",
        Order::Descending => " DESC",
    };
    shared.pool.read(|conn| {
        shared.guard(conn)?;
        let mut emitter = Emitter {
            conn,
            filter,
            keyring: shared.keyring.read().clone(),
            skipped: 0,
            emitted: 0,
            f,
        };
        if conditions.is_empty() {
            let sql = format!("SELECT {EVENT_COLUMNS} FROM audit_events e ORDER BY e.seq{order}");
            emitter.part(&sql, &[])?;
            return Ok(emitter.emitted);
        }
        let end = lookup_end(conn)?;
        let (tail_where, mut tail_args) = conditions.sql("e");
        tail_args.insert(0, Value::Integer(end as i64));
        let tail = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events e WHERE e.seq > +?{tail_where} ORDER BY e.seq{order}"
        );
        let (indexed, args) = conditions.indexed_sql(order);
        let epochs: Vec<Option<i64>> = match conditions.user_idx {
            None => vec![None],
            Some(_) => {
                // Cached like every statement of a query: parsing costs as much as
                // running it.
                let first: Option<i64> = conn
                    .prepare_cached("SELECT min(seq) FROM audit_lookup")?
                    .query_row([], |r| r.get(0))?;
                match first {
                    None => Vec::new(),
                    Some(first) => ((first.max(0) >> EPOCH_BITS)..=(end as i64 >> EPOCH_BITS))
                        .map(Some)
                        .collect(),
                }
            }
        };
        let mut parts: Vec<(&str, Vec<Value>)> = epochs
            .into_iter()
            .map(|epoch| {
                let mut a = args.clone();
                if let Some(e) = epoch {
                    a.insert(0, Value::Integer(e));
                }
                (indexed.as_str(), a)
            })
            .collect();
        parts.push((tail.as_str(), tail_args));
        if filter.order == Order::Descending {
            parts.reverse();
        }
        for (sql, args) in &parts {
            if emitter.part(sql, args)? {
                break;
            }
        }
        Ok(emitter.emitted)
    })
}

/// The indexed conditions of a filter.
struct Conditions {
    user_idx: Option<i64>,
    action_idx: Option<i64>,
    since_ms: Option<i64>,
    until_ms: Option<i64>,
}

impl Conditions {
    fn is_empty(&self) -> bool {
        self.user_idx.is_none()
            && self.action_idx.is_none()
            && self.since_ms.is_none()
            && self.until_ms.is_none()
    }

    /// The query over `audit_lookup` and its arguments; with a user condition, the epoch
    /// goes first in the arguments (one execution per epoch).
    fn indexed_sql(&self, order: &str) -> (String, Vec<Value>) {
        let (where_, args) = self.sql("l");
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_lookup l JOIN audit_events e ON e.seq = l.seq \
             WHERE {}1{where_} ORDER BY l.seq{order}",
            // The user index is keyed by epoch first: one part per epoch.
            if self.user_idx.is_some() {
                format!("(l.seq >> {EPOCH_BITS}) = +? AND ")
            } else {
                String::new()
            },
        );
        (sql, args)
    }

    /// ` AND ...` on table alias `t`, with its arguments.
    ///
    /// Parameters are written `+?`: SQLite proves that `user_idx = ?` satisfies the user
    /// index's `WHERE user_idx IS NOT NULL` by looking at the bound value, and then
    /// recompiles the statement whenever a new value is bound (~20 µs, once per epoch of
    /// a user query). `+?` is the same value to the planner but not a bare parameter.
    fn sql(&self, t: &str) -> (String, Vec<Value>) {
        let mut sql = String::new();
        let mut args = Vec::new();
        for (cond, value) in [
            ("user_idx = +?", self.user_idx),
            ("action_idx = +?", self.action_idx),
            ("ts >= +?", self.since_ms),
            ("ts < +?", self.until_ms),
        ] {
            if let Some(v) = value {
                sql.push_str(&format!(" AND {t}.{cond}"));
                args.push(Value::Integer(v));
            }
        }
        (sql, args)
    }
}

/// Decrypts matching rows, drops blind-index false positives, applies offset and limit
/// across parts, and passes events on.
struct Emitter<'a, F> {
    conn: &'a Connection,
    filter: &'a Filter,
    keyring: Keyring,
    skipped: u64,
    emitted: u64,
    f: F,
}

impl<F: FnMut(AuditEvent) -> Result<()>> Emitter<'_, F> {
    /// Runs one part; `true` once the limit is reached.
    fn part(&mut self, sql: &str, args: &[Value]) -> Result<bool> {
        let filter = self.filter;
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        while let Some(row) = rows.next()? {
            let raw = RawRow::from_row(row)?;
            let event = match open_row(&self.keyring, &raw).and_then(|o| o.into_event(&raw)) {
                Ok(e) => e,
                Err(RowError::MissingKey(k)) if !key_exists(self.conn, k)? => {
                    return Err(RowError::Problem {
                        kind: ProblemKind::MalformedRow,
                        detail: unknown_key_detail(k),
                    }
                    .into_error(&raw));
                }
                Err(e) => return Err(e.into_error(&raw)),
            };
            // Blind-index false positives.
            if filter.user_id.is_some() && event.user_id != filter.user_id {
                continue;
            }
            if filter.action.as_ref().is_some_and(|a| *a != event.action) {
                continue;
            }
            if self.skipped < filter.offset {
                self.skipped += 1;
                continue;
            }
            (self.f)(event)?;
            self.emitted += 1;
            if filter.limit.is_some_and(|l| self.emitted >= l) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, StatementStatus};

    use super::*;
    use crate::audit::schema;

    /// Binding the next epoch or another user must not recompile the statement.
    #[test]
    fn indexed_queries_are_not_recompiled_per_binding() {
        let conn = Connection::open_in_memory().unwrap();
        schema::migrations().apply(&conn).unwrap();
        conn.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
             INSERT INTO audit_lookup SELECT i, i, i % 100, i % 3 FROM n;
             INSERT INTO audit_events
                 SELECT seq, ts, 1, user_idx, action_idx, x'00', x'00', x'00' FROM audit_lookup;",
        )
        .unwrap();
        for conditions in [
            Conditions {
                user_idx: Some(7),
                action_idx: None,
                since_ms: None,
                until_ms: None,
            },
            Conditions {
                user_idx: Some(7),
                action_idx: Some(1),
                since_ms: Some(5),
                until_ms: Some(19000),
            },
            Conditions {
                user_idx: None,
                action_idx: Some(2),
                since_ms: None,
                until_ms: None,
            },
        ] {
            for order in [" ASC", " DESC"] {
                let (sql, args) = conditions.indexed_sql(order);
                let mut recompiled = Vec::new();
                for round in 0..6i64 {
                    let mut a = args.clone();
                    if conditions.user_idx.is_some() {
                        a.insert(0, Value::Integer(round % 5));
                        a[1] = Value::Integer(7 + round);
                    }
                    // As the query does: the statement cache clears bindings on return.
                    let mut stmt = conn.prepare_cached(&sql).unwrap();
                    let before = stmt.get_status(StatementStatus::RePrepare);
                    let mut rows = stmt.query(rusqlite::params_from_iter(&a)).unwrap();
                    while rows.next().unwrap().is_some() {}
                    drop(rows);
                    recompiled.push(stmt.get_status(StatementStatus::RePrepare) - before);
                }
                assert_eq!(recompiled, [0; 6], "{sql}");
            }
        }
    }
}
