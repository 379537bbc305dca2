//! Queries: blind-index lookups, time ranges, paging, then decryption and exact
//! filtering (blind-index false positives are dropped after decrypting).

use rusqlite::types::Value;

use super::codec::{RawRow, RowError, key_exists, open_row, unknown_key_detail};
use super::event::{AuditEvent, Filter, Order, ProblemKind};
use super::schema::EVENT_COLUMNS;
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
pub(crate) fn for_each(
    shared: &Shared,
    filter: &Filter,
    mut f: impl FnMut(AuditEvent) -> Result<()>,
) -> Result<u64> {
    if filter.limit == Some(0) {
        return Ok(0);
    }
    let mut sql = format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE 1");
    let mut args: Vec<Value> = Vec::new();
    if let Some(u) = &filter.user_id {
        sql.push_str(" AND user_idx = ?");
        args.push(Value::Integer(shared.users.compute(u)));
    }
    if let Some(a) = &filter.action {
        sql.push_str(" AND action_idx = ?");
        args.push(Value::Integer(shared.actions.compute(a)));
    }
    if let Some(t) = filter.since_ms {
        sql.push_str(" AND ts >= ?");
        args.push(Value::Integer(t));
    }
    if let Some(t) = filter.until_ms {
        sql.push_str(" AND ts < ?");
        args.push(Value::Integer(t));
    }
    sql.push_str(match filter.order {
        Order::Ascending => " ORDER BY seq ASC",
        Order::Descending => " ORDER BY seq DESC",
    });
    shared.pool.read(|conn| {
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
        let keyring = shared.keyring.read().clone();
        let mut skipped = 0u64;
        let mut emitted = 0u64;
        while let Some(row) = rows.next()? {
            let raw = RawRow::from_row(row)?;
            let event = match open_row(&keyring, &raw).and_then(|o| o.into_event(&raw)) {
                Ok(e) => e,
                Err(RowError::MissingKey(k)) if !key_exists(conn, k)? => {
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
            if skipped < filter.offset {
                skipped += 1;
                continue;
            }
            f(event)?;
            emitted += 1;
            if filter.limit.is_some_and(|l| emitted >= l) {
                break;
            }
        }
        Ok(emitted)
    })
}
