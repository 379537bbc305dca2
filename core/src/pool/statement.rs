//! Running one SQL statement with bound values, for hosts that cannot hold a
//! `rusqlite::Connection` (C, Python, Swift).
//!
//! Results are materialised into a [`QueryResult`] so that no borrow of the connection
//! outlives the call: a binding can release the connection (and, in Python, re-take the
//! GIL) before converting rows.

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};

use crate::error::{Error, Result};

/// An SQLite value: the five storage classes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum), uniffi(name = "SqlValue"))]
#[serde(untagged)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit signed integer.
    Integer(i64),
    /// A 64-bit float.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl Value {
    fn from_ref(v: ValueRef<'_>) -> Value {
        match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            // SQLite does not enforce UTF-8 in TEXT; keep what it holds rather than fail.
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }
}

/// Parameters for one statement: by position (`?`, `?1`) or by name (`:a`, `@a`, `$a`).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Params {
    /// No parameters.
    #[default]
    None,
    /// Values bound in order.
    Positional(Vec<Value>),
    /// Values bound by name; a name may be given with or without its `:`/`@`/`$` prefix.
    Named(Vec<(String, Value)>),
}

/// The outcome of one statement.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct QueryResult {
    /// Column names of the result set (empty for statements that return no rows).
    pub columns: Vec<String>,
    /// The rows, each with one value per column.
    pub rows: Vec<Vec<Value>>,
    /// Rows inserted, updated or deleted by the statement (0 for queries).
    pub rows_affected: u64,
    /// The rowid of the most recent successful INSERT on this connection.
    pub last_insert_rowid: i64,
}

/// Runs one statement on `conn` with `params` and collects its rows.
///
/// Errors name what was wrong: more than one statement, a parameter count mismatch, or an
/// unknown parameter name.
pub fn run(conn: &Connection, sql: &str, params: &Params) -> Result<QueryResult> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    let columns: Vec<String> = stmt.column_names().map(|c| c.to_string()).collect();
    let width = columns.len();
    let mut rows = Vec::new();
    {
        let mut cursor = stmt.raw_query();
        while let Some(row) = cursor.next()? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(Value::from_ref(row.get_ref(i)?));
            }
            rows.push(values);
        }
    }
    // `changes()` reports the last INSERT/UPDATE/DELETE even after a SELECT, so only
    // trust it for statements that are not read-only.
    let rows_affected = if stmt.readonly() { 0 } else { conn.changes() };
    Ok(QueryResult {
        columns,
        rows,
        rows_affected,
        last_insert_rowid: conn.last_insert_rowid(),
    })
}

/// Runs one statement on `conn` and returns the first column of its first row, or
/// `None` when it returns no row: the point read (`SELECT v FROM t WHERE id = ?`,
/// `SELECT count(*) ...`) without materialising column names and rows. Further rows and
/// columns are ignored; a statement that returns no columns is refused with
/// `InvalidInput` (use [`run`] for writes).
pub fn run_value(conn: &Connection, sql: &str, params: &Params) -> Result<Option<Value>> {
    let mut stmt = conn.prepare_cached(sql)?;
    if stmt.column_count() == 0 {
        return Err(Error::InvalidInput(
            "a single-value query needs a statement that returns a column (a SELECT)".into(),
        ));
    }
    bind(&mut stmt, params)?;
    let mut cursor = stmt.raw_query();
    match cursor.next()? {
        Some(row) => Ok(Some(Value::from_ref(row.get_ref(0)?))),
        None => Ok(None),
    }
}

/// Runs one statement once per parameter set (DB-API `executemany`); returns the total
/// of rows affected. Stops at the first error, naming which parameter set failed.
pub fn run_many(conn: &Connection, sql: &str, param_sets: &[Params]) -> Result<u64> {
    let mut stmt = conn.prepare_cached(sql)?;
    if stmt.column_count() > 0 {
        return Err(Error::InvalidInput(
            "run_many is for statements that return no rows (INSERT, UPDATE, DELETE)".into(),
        ));
    }
    let mut total = 0u64;
    for (index, params) in param_sets.iter().enumerate() {
        bind(&mut stmt, params).map_err(|e| at_set(index, e))?;
        total += stmt.raw_execute().map_err(|e| at_set(index, e.into()))? as u64;
    }
    Ok(total)
}

/// One statement with its parameters, for [`run_batch`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Statement {
    /// The SQL of one statement.
    pub sql: String,
    /// Its parameters.
    pub params: Params,
}

/// Runs `statements` in order on `conn` and collects each one's result. Stops at the first
/// error, naming which statement failed (by index, from 0).
///
/// Run it inside [`super::Pool::write`] to make the batch all-or-nothing: this is how
/// hosts that cannot pass a closure across the FFI boundary get a multi-statement
/// transaction.
pub fn run_batch(conn: &Connection, statements: &[Statement]) -> Result<Vec<QueryResult>> {
    statements
        .iter()
        .enumerate()
        .map(|(index, s)| {
            run(conn, &s.sql, &s.params).map_err(|e| labelled(&format!("statement {index}"), e))
        })
        .collect()
}

fn at_set(index: usize, err: Error) -> Error {
    labelled(&format!("parameter set {index}"), err)
}

/// Prefixes the message of a statement error with `label`, keeping its kind and code.
fn labelled(label: &str, err: Error) -> Error {
    match err {
        Error::InvalidInput(msg) => Error::InvalidInput(format!("{label}: {msg}")),
        Error::Database {
            kind,
            code,
            message,
        } => Error::Database {
            kind,
            code,
            message: format!("{label}: {message}"),
        },
        other => other,
    }
}

fn bind(stmt: &mut rusqlite::CachedStatement<'_>, params: &Params) -> Result<()> {
    stmt.clear_bindings();
    let expected = stmt.parameter_count();
    match params {
        Params::None if expected == 0 => Ok(()),
        Params::None => Err(Error::InvalidInput(format!(
            "the statement expects {expected} parameter(s), none were given"
        ))),
        Params::Positional(values) => {
            if values.len() != expected {
                return Err(Error::InvalidInput(format!(
                    "the statement expects {expected} parameter(s), {} were given",
                    values.len()
                )));
            }
            for (i, value) in values.iter().enumerate() {
                stmt.raw_bind_parameter(i + 1, value)?;
            }
            Ok(())
        }
        Params::Named(pairs) => {
            if pairs.len() != expected {
                return Err(Error::InvalidInput(format!(
                    "the statement expects {expected} parameter(s), {} were given",
                    pairs.len()
                )));
            }
            for (name, value) in pairs {
                let index = find_named(stmt, name)?;
                stmt.raw_bind_parameter(index, value)?;
            }
            Ok(())
        }
    }
}

fn find_named(stmt: &rusqlite::CachedStatement<'_>, name: &str) -> Result<usize> {
    let candidates: Vec<String> = if name.starts_with([':', '@', '$']) {
        vec![name.to_string()]
    } else {
        [":", "@", "$"]
            .iter()
            .map(|p| format!("{p}{name}"))
            .collect()
    };
    for candidate in &candidates {
        if let Some(index) = stmt.parameter_index(candidate)? {
            return Ok(index);
        }
    }
    Err(Error::InvalidInput(format!(
        "the statement has no parameter named {name:?}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB)")
            .unwrap();
        c
    }

    #[test]
    fn round_trips_every_storage_class() {
        let c = conn();
        let values = vec![
            Value::Integer(-7),
            Value::Real(2.5),
            Value::Text("héllo".into()),
            Value::Blob(vec![0, 255]),
        ];
        let out = run(
            &c,
            "INSERT INTO t VALUES (?, ?, ?, ?)",
            &Params::Positional(values.clone()),
        )
        .unwrap();
        assert_eq!((out.rows_affected, out.last_insert_rowid), (1, 1));
        run(&c, "INSERT INTO t (i) VALUES (NULL)", &Params::None).unwrap();
        let out = run(&c, "SELECT i, r, s, b FROM t ORDER BY rowid", &Params::None).unwrap();
        assert_eq!(out.columns, ["i", "r", "s", "b"]);
        assert_eq!(out.rows[0], values);
        assert_eq!(out.rows[1], vec![Value::Null; 4]);
        assert_eq!(out.rows_affected, 0);
    }

    #[test]
    fn named_parameters_with_or_without_prefix() {
        let c = conn();
        let p = Params::Named(vec![
            ("a".into(), Value::Integer(1)),
            ("@b".into(), Value::Text("x".into())),
        ]);
        run(&c, "INSERT INTO t (i, s) VALUES (:a, @b)", &p).unwrap();
        let p = Params::Named(vec![
            ("nope".into(), Value::Integer(1)),
            ("b".into(), Value::Null),
        ]);
        let err = run(&c, "INSERT INTO t (i, s) VALUES (:a, @b)", &p).unwrap_err();
        assert!(err.to_string().contains("\"nope\""), "{err}");
    }

    #[test]
    fn mismatches_and_multiple_statements_are_clear_errors() {
        let c = conn();
        let err = run(&c, "SELECT ?1, ?2", &Params::Positional(vec![Value::Null])).unwrap_err();
        assert!(
            err.to_string()
                .contains("expects 2 parameter(s), 1 were given"),
            "{err}"
        );
        let err = run(&c, "SELECT ?", &Params::None).unwrap_err();
        assert!(err.to_string().contains("none were given"), "{err}");
        let err = run(&c, "SELECT 1; SELECT 2", &Params::None).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Database, "{err}");
    }

    #[test]
    fn run_many_totals_and_names_the_failing_set() {
        let c = conn();
        c.execute_batch("CREATE TABLE u (x INTEGER NOT NULL)")
            .unwrap();
        let sets: Vec<Params> = (0..3)
            .map(|i| Params::Positional(vec![Value::Integer(i)]))
            .collect();
        assert_eq!(run_many(&c, "INSERT INTO u VALUES (?)", &sets).unwrap(), 3);
        let bad = vec![
            Params::Positional(vec![Value::Integer(1)]),
            Params::Positional(vec![Value::Null]),
        ];
        let err = run_many(&c, "INSERT INTO u VALUES (?)", &bad).unwrap_err();
        assert!(err.to_string().contains("parameter set 1"), "{err}");
        assert!(run_many(&c, "SELECT 1", &[]).is_err());
    }

    #[test]
    fn run_batch_collects_results_and_names_the_failing_statement() {
        let c = conn();
        let ok = [
            Statement {
                sql: "INSERT INTO t (i) VALUES (?)".into(),
                params: Params::Positional(vec![Value::Integer(5)]),
            },
            Statement {
                sql: "SELECT i FROM t".into(),
                params: Params::None,
            },
        ];
        let out = run_batch(&c, &ok).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].rows_affected, 1);
        assert_eq!(out[1].rows, vec![vec![Value::Integer(5)]]);
        let bad = [
            ok[0].clone(),
            Statement {
                sql: "INSERT INTO nowhere VALUES (1)".into(),
                params: Params::None,
            },
        ];
        let err = run_batch(&c, &bad).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Database);
        assert!(err.to_string().contains("statement 1: "), "{err}");
        assert!(err.to_string().contains("nowhere"), "{err}");
    }
}
