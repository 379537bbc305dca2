//! Queries: blind-index lookups, time ranges, paging, then decryption and exact
//! filtering (blind-index false positives are dropped after decrypting).

use super::AuditLog;
use super::codec::{Keyring, RawRow, RowError, key_exists, open_row, unknown_key_detail};
use super::event::{AuditEvent, Filter, Order, ProblemKind};
use super::schema::{EPOCH_BITS, EVENT_COLUMNS};
use super::shared::Shared;
use super::store::lookup_end;
use crate::error::Result;
use crate::store::sql::{Arg, Db, Row, args};

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
    mut f: impl FnMut(AuditEvent) -> Result<()>,
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
    shared.store.read(|conn| {
        shared.guard(conn)?;
        let mut emitter = Emitter {
            conn,
            filter,
            keyring: shared.keyring.read().clone(),
            skipped: 0,
            emitted: 0,
            f: &mut f,
        };
        if conditions.is_empty() {
            let sql = format!("SELECT {EVENT_COLUMNS} FROM audit_events e ORDER BY e.seq{order}");
            emitter.part(&sql, &[])?;
            return Ok(emitter.emitted);
        }
        // Without a trustworthy end, nothing is looked up: every event is scanned.
        let end = lookup_end(conn, &shared.chain)?.unwrap_or(0);
        let (tail_where, mut tail_args) = conditions.sql("e");
        tail_args.insert(0, Arg::Int(end as i64));
        let tail = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events e WHERE e.seq > +?{tail_where} ORDER BY e.seq{order}"
        );
        let (indexed, args) = conditions.indexed_sql(order, end);
        let descending = filter.order == Order::Descending;
        if descending && emitter.part(&tail, &tail_args)? {
            return Ok(emitter.emitted);
        }
        if conditions.user_idx.is_none() {
            if emitter.part(&indexed, &args)? {
                return Ok(emitter.emitted);
            }
        } else {
            // One part per epoch that has rows, found by a seek each rather than by
            // counting from the first seq to the end: the table is not authenticated,
            // and a forged seq far away must not turn into billions of empty parts.
            let mut epochs = Epochs::new(conn, end, descending);
            while let Some(epoch) = epochs.next()? {
                let mut a = args.clone();
                a.insert(0, Arg::Int(epoch));
                if emitter.part(&indexed, &a)? {
                    return Ok(emitter.emitted);
                }
            }
        }
        if !descending {
            emitter.part(&tail, &tail_args)?;
        }
        Ok(emitter.emitted)
    })
}

/// The epochs of the user index that hold rows of `audit_lookup` up to `end`, in query
/// order, each found with one seek on the table's primary key.
struct Epochs<'a> {
    conn: &'a dyn Db,
    end: i64,
    descending: bool,
    /// The first seq the next seek may find (ascending), or the last (descending).
    from: Option<i64>,
}

impl<'a> Epochs<'a> {
    fn new(conn: &'a dyn Db, end: u64, descending: bool) -> Self {
        let end = end as i64;
        Epochs {
            conn,
            end,
            descending,
            from: Some(if descending { end } else { 1 }),
        }
    }

    fn next(&mut self) -> Result<Option<i64>> {
        let Some(from) = self.from else {
            return Ok(None);
        };
        // Cached like every statement of a query: parsing costs as much as running it.
        let sql = if self.descending {
            "SELECT max(seq) FROM audit_lookup WHERE seq >= 1 AND seq <= ?1"
        } else {
            "SELECT min(seq) FROM audit_lookup WHERE seq >= ?1 AND seq <= ?2"
        };
        let found = if self.descending {
            self.conn.one(sql, args![from], |r| r.opt_i64(0))?
        } else {
            self.conn
                .one(sql, args![from, self.end], |r| r.opt_i64(0))?
        };
        let Some(seq) = found else {
            self.from = None;
            return Ok(None);
        };
        let epoch = seq >> EPOCH_BITS;
        self.from = if self.descending {
            (epoch > 0).then(|| (epoch << EPOCH_BITS) - 1)
        } else {
            (epoch + 1).checked_mul(1 << EPOCH_BITS)
        };
        Ok(Some(epoch))
    }
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

    /// The query over `audit_lookup` up to `end` (rows past it are not trusted, see
    /// [`lookup_end`]; the events there are scanned) and its arguments; with a user
    /// condition, the epoch goes first in the arguments (one execution per epoch).
    fn indexed_sql(&self, order: &str, end: u64) -> (String, Vec<Arg<'static>>) {
        let (where_, mut args) = self.sql("l");
        args.push(Arg::Int(end as i64));
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_lookup l JOIN audit_events e ON e.seq = l.seq \
             WHERE {}TRUE{where_} AND l.seq <= +? ORDER BY l.seq{order}",
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
    fn sql(&self, t: &str) -> (String, Vec<Arg<'static>>) {
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
                args.push(Arg::Int(v));
            }
        }
        (sql, args)
    }
}

/// Decrypts matching rows, drops blind-index false positives, applies offset and limit
/// across parts, and passes events on.
struct Emitter<'a, F> {
    conn: &'a dyn Db,
    filter: &'a Filter,
    keyring: Keyring,
    skipped: u64,
    emitted: u64,
    f: F,
}

impl<F: FnMut(AuditEvent) -> Result<()>> Emitter<'_, F> {
    /// Runs one part; `true` once the limit is reached.
    fn part(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<bool> {
        let conn = self.conn;
        let mut limit_reached = false;
        conn.each(sql, args, &mut |row| {
            limit_reached = self.row(row)?;
            Ok(!limit_reached)
        })?;
        Ok(limit_reached)
    }

    /// Handles one row of a part; `true` once the limit is reached.
    fn row(&mut self, row: &dyn Row) -> Result<bool> {
        let filter = self.filter;
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
        // Every condition again on the authenticated event: the SQL conditions
        // ran on unauthenticated columns (blind indexes, which also have false
        // positives, and the lookup table's copy of the timestamp).
        if !matches(filter, &event) {
            return Ok(false);
        }
        if self.skipped < filter.offset {
            self.skipped += 1;
            return Ok(false);
        }
        (self.f)(event)?;
        self.emitted += 1;
        Ok(filter.limit.is_some_and(|l| self.emitted >= l))
    }
}

/// Whether an authenticated event satisfies every condition of `filter`.
fn matches(filter: &Filter, event: &AuditEvent) -> bool {
    (filter.user_id.is_none() || event.user_id == filter.user_id)
        && filter.action.as_ref().is_none_or(|a| *a == event.action)
        && filter.since_ms.is_none_or(|t| event.timestamp_ms >= t)
        && filter.until_ms.is_none_or(|t| event.timestamp_ms < t)
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
                let (sql, args) = conditions.indexed_sql(order, 20000);
                let mut recompiled = Vec::new();
                for round in 0..6i64 {
                    let mut a = args.clone();
                    if conditions.user_idx.is_some() {
                        a.insert(0, Arg::Int(round % 5));
                        a[1] = Arg::Int(7 + round);
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
