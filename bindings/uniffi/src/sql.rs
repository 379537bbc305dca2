//! SQL parameters as Swift passes them, converted to `magnetar_core::pool::Params` (core
//! runs the statements).
//!
//! Values and results are core's own types: `magnetar_core::pool::Value` (Swift
//! `SqlValue`) and `magnetar_core::pool::statement::QueryResult` derive their uniffi
//! conversions in core. Only the parameters and the statement that carries them are
//! defined here, because core's `Params::Named` is an ordered list of `(name, value)`
//! pairs, a tuple that uniffi cannot express (Swift passes a dictionary), and
//! `Params::None` has no Swift case (an empty list says the same).

use std::collections::HashMap;

use magnetar_core::pool::statement as core_stmt;
use magnetar_core::pool::{Params, Value};

/// The parameters of one statement: by position (`?`, `?1`) or by name (`:a`, `@a`,
/// `$a`; a name may be given with or without its prefix).
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum SqlParams {
    /// Values bound in order.
    Positional(Vec<Value>),
    /// Values bound by name.
    Named(HashMap<String, Value>),
}

impl From<SqlParams> for Params {
    fn from(p: SqlParams) -> Self {
        match p {
            SqlParams::Positional(values) => Params::Positional(values),
            SqlParams::Named(pairs) => named(pairs),
        }
    }
}

/// Core parameters from values bound by name.
pub(crate) fn named(pairs: HashMap<String, Value>) -> Params {
    Params::Named(pairs.into_iter().collect())
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
