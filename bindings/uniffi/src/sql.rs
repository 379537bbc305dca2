//! SQL values, parameters and results as Swift sees them, converted to and from
//! `magnetar_core::pool::{Value, Params, QueryResult}` (core runs the statements).

use std::collections::HashMap;

use magnetar_core::pool::statement as core_stmt;
use magnetar_core::pool::{Params, Value};

/// An SQLite value: one of the five storage classes.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// A 64-bit signed integer.
    Integer(i64),
    /// A 64-bit float.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes (`Data` in Swift).
    Blob(Vec<u8>),
}

impl From<SqlValue> for Value {
    fn from(v: SqlValue) -> Self {
        match v {
            SqlValue::Null => Value::Null,
            SqlValue::Integer(i) => Value::Integer(i),
            SqlValue::Real(f) => Value::Real(f),
            SqlValue::Text(s) => Value::Text(s),
            SqlValue::Blob(b) => Value::Blob(b),
        }
    }
}

impl From<Value> for SqlValue {
    fn from(v: Value) -> Self {
        match v {
            Value::Null => SqlValue::Null,
            Value::Integer(i) => SqlValue::Integer(i),
            Value::Real(f) => SqlValue::Real(f),
            Value::Text(s) => SqlValue::Text(s),
            Value::Blob(b) => SqlValue::Blob(b),
        }
    }
}

/// The parameters of one statement: by position (`?`, `?1`) or by name (`:a`, `@a`,
/// `$a`; a name may be given with or without its prefix).
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum SqlParams {
    /// Values bound in order.
    Positional(Vec<SqlValue>),
    /// Values bound by name.
    Named(HashMap<String, SqlValue>),
}

impl From<SqlParams> for Params {
    fn from(p: SqlParams) -> Self {
        match p {
            SqlParams::Positional(values) => positional(values),
            SqlParams::Named(pairs) => named(pairs),
        }
    }
}

/// Core parameters from values bound in order.
pub(crate) fn positional(values: Vec<SqlValue>) -> Params {
    Params::Positional(values.into_iter().map(Value::from).collect())
}

/// Core parameters from values bound by name.
pub(crate) fn named(pairs: HashMap<String, SqlValue>) -> Params {
    Params::Named(pairs.into_iter().map(|(k, v)| (k, v.into())).collect())
}

/// One statement and its parameters, for `Pool.write` and `Pool.readBatch`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Statement {
    /// The SQL of exactly one statement.
    pub sql: String,
    /// Its parameters.
    pub params: SqlParams,
}

impl From<Statement> for core_stmt::Statement {
    fn from(s: Statement) -> Self {
        core_stmt::Statement {
            sql: s.sql,
            params: s.params.into(),
        }
    }
}

/// The outcome of one statement.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QueryResult {
    /// Column names of the result set (empty for statements that return no rows).
    pub columns: Vec<String>,
    /// The rows, each with one value per column.
    pub rows: Vec<Vec<SqlValue>>,
    /// Rows inserted, updated or deleted by the statement (0 for queries).
    pub rows_affected: u64,
    /// The rowid of the most recent successful INSERT on the connection used.
    pub last_insert_rowid: i64,
}

impl From<core_stmt::QueryResult> for QueryResult {
    fn from(r: core_stmt::QueryResult) -> Self {
        QueryResult {
            columns: r.columns,
            rows: r
                .rows
                .into_iter()
                .map(|row| row.into_iter().map(SqlValue::from).collect())
                .collect(),
            rows_affected: r.rows_affected,
            last_insert_rowid: r.last_insert_rowid,
        }
    }
}
