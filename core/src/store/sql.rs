//! One SQL connection over either backend, for components whose statements are the same
//! on both (the audit log): the portable subset of SQL that SQLite and PostgreSQL both
//! speak, parameters written `?N` or `?`, and values of four kinds (64-bit integers,
//! bytes, text, and NULL).
//!
//! The component writes its rules and statements once, against [`Db`]; what differs
//! (the DDL, the few statements each dialect spells differently, bulk inserts) branches
//! on [`Db::backend`] right where it differs. On SQLite a [`Db`] is the pool's
//! connection inside its transaction, with statements cached per connection; on
//! PostgreSQL it is a transaction on a pooled client: single-row statements go out with
//! explicit parameter types in one round trip, and scans read through a portal in
//! chunks, so a scan of a million events holds a few hundred rows at a time and the
//! caller may run other statements between rows.

use std::cell::{Cell, RefCell};

use postgres::error::SqlState;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use crate::error::{Error, Result};

/// Which backend a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A parameter value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Int(i64),
    /// An integer column's NULL.
    NullInt,
    Bytes(&'a [u8]),
    Text(&'a str),
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<u32> for Arg<'_> {
    fn from(v: u32) -> Self {
        Arg::Int(v.into())
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Arg::NullInt, Arg::Int)
    }
}

impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(v: &'a [u8]) -> Self {
        Arg::Bytes(v)
    }
}

impl<'a> From<&'a Vec<u8>> for Arg<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Arg::Bytes(v)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Arg<'a> {
    fn from(v: &'a [u8; N]) -> Self {
        Arg::Bytes(v)
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(v)
    }
}

/// `[Arg]` from a list of values of different types.
macro_rules! args {
    ($($v:expr),* $(,)?) => {
        &[$($crate::store::sql::Arg::from($v)),*]
    };
}
pub(crate) use args;

/// One row of a result. Column reads fail (never panic) on a NULL where a value is
/// required or a value of another kind: the database file is not trusted.
pub(crate) trait Row {
    fn opt_i64(&self, i: usize) -> Result<Option<i64>>;
    fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>>;
    fn opt_text(&self, i: usize) -> Result<Option<String>>;

    fn i64(&self, i: usize) -> Result<i64> {
        self.opt_i64(i)?.ok_or_else(|| null_in(i))
    }
    fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        self.opt_bytes(i)?.ok_or_else(|| null_in(i))
    }
    fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?.ok_or_else(|| null_in(i))
    }
    fn bool(&self, i: usize) -> Result<bool> {
        Ok(self.i64(i)? != 0)
    }
    /// Appends column `i`'s bytes to `out` and returns their length; `None` when it holds
    /// no bytes. (For scans that keep a chunk of rows in one buffer.)
    fn append_bytes(&self, i: usize, out: &mut Vec<u8>) -> Option<usize> {
        let bytes = self.opt_bytes(i).ok().flatten()?;
        out.extend_from_slice(&bytes);
        Some(bytes.len())
    }
}

fn null_in(i: usize) -> Error {
    Error::Tampered(format!(
        "column {i} of a stored row is NULL where a value is required"
    ))
}

fn wrong_type(i: usize, found: &str) -> Error {
    Error::Tampered(format!(
        "column {i} of a stored row holds a value of type {found}"
    ))
}

/// A connection inside a transaction.
pub(crate) trait Db {
    fn dialect(&self) -> Dialect;

    /// The SQLite connection, for what only SQLite has (its schema guard, its pragmas).
    fn sqlite(&self) -> Option<&rusqlite::Connection> {
        None
    }

    /// Inserts `rows` (values for `columns`, in order) into `table` in bulk and returns
    /// how many rows were stored: one cached statement per row on SQLite, one binary
    /// `COPY` on PostgreSQL.
    fn insert_many(&self, table: &str, columns: &[&str], rows: &[Vec<Arg<'_>>]) -> Result<usize>;

    /// Runs a statement and returns the number of rows it changed.
    fn exec(&self, sql: &str, args: &[Arg<'_>]) -> Result<usize>;

    /// Runs a query and calls `f` with each row until it returns `false`. `f` may run
    /// other statements on this connection.
    fn each(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        f: &mut dyn FnMut(&dyn Row) -> Result<bool>,
    ) -> Result<()>;

    /// Runs a query expected to return at most one row (only its first row is read).
    fn first(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        f: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<bool>;
}

impl dyn Db + '_ {
    /// The first row's value, `None` when there is no row.
    pub(crate) fn opt<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        f: impl FnOnce(&dyn Row) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut f = Some(f);
        let mut out = None;
        self.first(sql, args, &mut |row| {
            if let Some(f) = f.take() {
                out = Some(f(row)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row's value; an error when there is no row.
    pub(crate) fn one<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        f: impl FnOnce(&dyn Row) -> Result<T>,
    ) -> Result<T> {
        self.opt(sql, args, f)?
            .ok_or_else(|| Error::Internal(format!("no row from a query that returns one: {sql}")))
    }

    /// Every row, mapped.
    pub(crate) fn all<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        mut f: impl FnMut(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.each(sql, args, &mut |row| {
            out.push(f(row)?);
            Ok(true)
        })?;
        Ok(out)
    }
}

// ---- SQLite ----

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match *self {
            Arg::Int(v) => ValueRef::Integer(v),
            Arg::NullInt => ValueRef::Null,
            Arg::Bytes(v) => ValueRef::Blob(v),
            Arg::Text(v) => ValueRef::Text(v.as_bytes()),
        }))
    }
}

impl Row for rusqlite::Row<'_> {
    fn append_bytes(&self, i: usize, out: &mut Vec<u8>) -> Option<usize> {
        match self.get_ref(i) {
            Ok(rusqlite::types::ValueRef::Blob(b)) => {
                out.extend_from_slice(b);
                Some(b.len())
            }
            _ => None,
        }
    }

    fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
        use rusqlite::types::ValueRef;
        match self.get_ref(i)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(v) => Ok(Some(v)),
            other => Err(wrong_type(i, other.data_type().to_string().as_str())),
        }
    }

    fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>> {
        use rusqlite::types::ValueRef;
        match self.get_ref(i)? {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(v) => Ok(Some(v.to_vec())),
            other => Err(wrong_type(i, other.data_type().to_string().as_str())),
        }
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        use rusqlite::types::ValueRef;
        match self.get_ref(i)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(v) => String::from_utf8(v.to_vec())
                .map(Some)
                .map_err(|_| wrong_type(i, "text that is not UTF-8")),
            other => Err(wrong_type(i, other.data_type().to_string().as_str())),
        }
    }
}

impl Db for rusqlite::Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn sqlite(&self) -> Option<&rusqlite::Connection> {
        Some(self)
    }

    fn insert_many(&self, table: &str, columns: &[&str], rows: &[Vec<Arg<'_>>]) -> Result<usize> {
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            columns.join(", "),
            marks.join(", ")
        );
        let mut stmt = self.prepare_cached(&sql)?;
        let mut stored = 0;
        for row in rows {
            stored += stmt.execute(rusqlite::params_from_iter(row))?;
        }
        Ok(stored)
    }

    fn exec(&self, sql: &str, args: &[Arg<'_>]) -> Result<usize> {
        Ok(self
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(args))?)
    }

    fn each(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        f: &mut dyn FnMut(&dyn Row) -> Result<bool>,
    ) -> Result<()> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        while let Some(row) = rows.next()? {
            if !f(row)? {
                break;
            }
        }
        Ok(())
    }

    fn first(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        f: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<bool> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        match rows.next()? {
            Some(row) => f(row).map(|()| true),
            None => Ok(false),
        }
    }
}

// ---- PostgreSQL ----

impl ToSql for Arg<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            Arg::Int(v) if *ty == Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
            Arg::Int(v) => v.to_sql(ty, out),
            Arg::NullInt => Ok(IsNull::Yes),
            Arg::Bytes(v) => v.to_sql(ty, out),
            Arg::Text(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [Type::INT8, Type::INT4, Type::BYTEA, Type::TEXT].contains(ty)
    }

    to_sql_checked!();
}

impl Arg<'_> {
    /// The type PostgreSQL is told the parameter has.
    fn pg_type(&self) -> Type {
        match self {
            Arg::Int(_) | Arg::NullInt => Type::INT8,
            Arg::Bytes(_) => Type::BYTEA,
            Arg::Text(_) => Type::TEXT,
        }
    }
}

/// A row of a simple query: every value is text, as the server prints it (`bytea` in
/// hex, which every connection asks for; a boolean as `t` or `f`, read as an integer
/// like a binary row's).
impl Row for postgres::SimpleQueryRow {
    fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
        self.try_get(i)
            .map_err(|e| wrong_type(i, &e.to_string()))?
            .map(|v| match v {
                "t" => Ok(1),
                "f" => Ok(0),
                _ => v.parse().map_err(|_| wrong_type(i, "text")),
            })
            .transpose()
    }

    fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>> {
        self.try_get(i)
            .map_err(|e| wrong_type(i, &e.to_string()))?
            .map(|v| {
                v.strip_prefix("\\x")
                    .and_then(|h| hex::decode(h).ok())
                    .ok_or_else(|| wrong_type(i, "text"))
            })
            .transpose()
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        Ok(self
            .try_get(i)
            .map_err(|e| wrong_type(i, &e.to_string()))?
            .map(str::to_owned))
    }
}

impl Row for postgres::Row {
    fn append_bytes(&self, i: usize, out: &mut Vec<u8>) -> Option<usize> {
        let bytes = self.try_get::<_, Option<&[u8]>>(i).ok().flatten()?;
        out.extend_from_slice(bytes);
        Some(bytes.len())
    }

    fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
        let ty = self.columns().get(i).map(|c| c.type_().clone());
        let got = match ty {
            Some(Type::INT8) => self.try_get::<_, Option<i64>>(i),
            Some(Type::INT4) => self.try_get::<_, Option<i32>>(i).map(|v| v.map(i64::from)),
            Some(Type::INT2) => self.try_get::<_, Option<i16>>(i).map(|v| v.map(i64::from)),
            Some(Type::BOOL) => self.try_get::<_, Option<bool>>(i).map(|v| v.map(i64::from)),
            Some(other) => return Err(wrong_type(i, other.name())),
            None => return Err(wrong_type(i, "nothing (no such column)")),
        };
        got.map_err(|e| wrong_type(i, &e.to_string()))
    }

    fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>> {
        self.try_get::<_, Option<Vec<u8>>>(i)
            .map_err(|e| wrong_type(i, &e.to_string()))
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        self.try_get::<_, Option<String>>(i)
            .map_err(|e| wrong_type(i, &e.to_string()))
    }
}

/// Most rows [`Db::insert_many`] sends as one `INSERT` on PostgreSQL (one round trip);
/// more go by `COPY` (two round trips, far less per row).
const SMALL_INSERT: usize = 16;

/// Rows a PostgreSQL scan reads per round trip.
const CHUNK: i32 = 512;

/// A PostgreSQL transaction as a [`Db`]. Keeps the client's first error so that the
/// store's retry loop can tell a lost connection (retried) from Magnetar's own errors.
pub(crate) struct PgDb<'t, 'c> {
    conn: RefCell<Conn<'t, 'c>>,
    store: &'t super::PgStore,
    failure: RefCell<Option<postgres::Error>>,
    /// A write's `BEGIN` and advisory lock (one simple query) until they are sent: with
    /// the first statement when that is a query with integer parameters (see
    /// [`PgDb::first_with_begin`]), else on their own just before it.
    begin: Cell<Option<&'t str>>,
}

/// The two kinds of PostgreSQL transaction (see [`super::PgStore::sql_transaction`]).
pub(crate) enum Conn<'t, 'c> {
    /// A read snapshot, begun by the client: scans read through portals in chunks.
    Read(&'t mut postgres::Transaction<'c>),
    /// A write transaction, begun together with its advisory lock in one round trip (a
    /// client-level transaction has no portals): scans read their whole result, so
    /// writers scan bounded ranges. Its statements are prepared once per connection
    /// (a synchronous `record` runs the same few every time).
    Write(&'t mut super::postgres::Conn),
}

impl<'t, 'c> PgDb<'t, 'c> {
    /// A read transaction the client has begun.
    pub(crate) fn read(tx: &'t mut postgres::Transaction<'c>, store: &'t super::PgStore) -> Self {
        Self::new(Conn::Read(tx), store, None)
    }

    /// A write transaction on `conn`, which `begin` (`BEGIN` and the lock, as one simple
    /// query) opens with its first statement. [`PgDb::begun`] tells whether it went out.
    pub(crate) fn write(
        conn: &'t mut super::postgres::Conn,
        store: &'t super::PgStore,
        begin: &'t str,
    ) -> Self {
        Self::new(Conn::Write(conn), store, Some(begin))
    }

    fn new(conn: Conn<'t, 'c>, store: &'t super::PgStore, begin: Option<&'t str>) -> Self {
        PgDb {
            conn: RefCell::new(conn),
            store,
            failure: RefCell::new(None),
            begin: Cell::new(begin),
        }
    }

    /// Whether the write's `BEGIN` was sent (then the transaction is open on the server).
    pub(crate) fn begun(&self) -> bool {
        self.begin.get().is_none()
    }

    /// Sends the write's `BEGIN` and lock if they have not gone out yet.
    fn begin_now(&self) -> Result<()> {
        if let Some(begin) = self.begin.take()
            && let Conn::Write(c) = &mut *self.conn()?
        {
            c.batch_execute(begin).map_err(|e| self.fail(e))?;
        }
        Ok(())
    }

    /// [`Db::first`] as a write's first statement: `BEGIN`, the lock and the query go
    /// out as one simple query, one round trip instead of two (a synchronous audit
    /// `record` starts with its read of the tail). Each statement of a simple query
    /// takes its own snapshot, so the query sees what committed before the lock was
    /// granted. A simple query has no parameters, so the query runs as `EXECUTE` of a
    /// statement prepared once per connection, its integer arguments written in as
    /// literals; `None` (nothing sent) for any other kind of argument.
    fn first_with_begin(
        &self,
        begin: &str,
        sql: &str,
        args: &[Arg<'_>],
        f: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<Option<bool>> {
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            match arg {
                Arg::Int(v) => values.push(v.to_string()),
                Arg::NullInt => values.push("NULL".into()),
                Arg::Bytes(_) | Arg::Text(_) => return Ok(None),
            }
        }
        let messages = match &mut *self.conn()? {
            Conn::Write(c) => {
                let Some(name) = c
                    .named(&pg_placeholders(sql), args.len())
                    .map_err(|e| self.failed(e))?
                else {
                    return Ok(None);
                };
                self.begin.set(None);
                let execute = if values.is_empty() {
                    format!("EXECUTE {name}")
                } else {
                    format!("EXECUTE {name}({})", values.join(", "))
                };
                let sent = c.simple_query(&format!("{begin}; {execute}"));
                if let Err(err) = &sent
                    && err.code() == Some(&SqlState::INVALID_SQL_STATEMENT_NAME)
                {
                    // Another server session (a pooler in transaction mode): the whole
                    // query failed, and the store runs the transaction again.
                    c.forget_named();
                }
                sent
            }
            Conn::Read(_) => return Ok(None),
        }
        .map_err(|e| self.fail(e))?;
        // The lock's `SELECT` returns a row too: the query's first row is the first
        // of the last statement's rows.
        let (mut first, mut row) = (None, None);
        for message in &messages {
            match message {
                postgres::SimpleQueryMessage::Row(r) => {
                    first = first.or(Some(r));
                }
                postgres::SimpleQueryMessage::CommandComplete(_) => row = first.take(),
                _ => {}
            }
        }
        match row {
            Some(row) => f(row).map(|()| Some(true)),
            None => Ok(Some(false)),
        }
    }

    /// The client error behind the last failure, if it was one.
    pub(crate) fn take_failure(&self) -> Option<postgres::Error> {
        self.failure.borrow_mut().take()
    }

    fn fail(&self, err: postgres::Error) -> Error {
        let mapped = self.store.error(&err);
        self.failure.borrow_mut().get_or_insert(err);
        mapped
    }

    fn conn(&self) -> Result<std::cell::RefMut<'_, Conn<'t, 'c>>> {
        self.conn.try_borrow_mut().map_err(|_| {
            Error::Internal("a PostgreSQL statement ran while another was reading rows".into())
        })
    }

    fn query_typed(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<postgres::Row>> {
        self.begin_now()?;
        let sql = pg_placeholders(sql);
        match &mut *self.conn()? {
            Conn::Read(tx) => tx.query_typed(&sql, &typed(args)),
            Conn::Write(c) => {
                let statement = self.prepared(c, &sql, args)?;
                c.query(&statement, &params(args))
            }
        }
        .map_err(|e| self.fail(e))
    }

    /// Runs a statement that returns no rows; the number of rows it changed.
    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        self.begin_now()?;
        match &mut *self.conn()? {
            Conn::Read(tx) => tx.execute_typed(sql, &typed(args)),
            Conn::Write(c) => {
                let statement = self.prepared(c, sql, args)?;
                c.execute(&statement, &params(args))
            }
        }
        .map_err(|e| self.fail(e))
    }

    /// `sql` prepared on the write connection, typed like `args`.
    fn prepared(
        &self,
        c: &mut super::postgres::Conn,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<postgres::Statement> {
        let types: Vec<Type> = args.iter().map(Arg::pg_type).collect();
        c.prepared(sql, &types).map_err(|e| self.failed(e))
    }

    /// [`PgDb::fail`] for a connection helper's failure.
    fn failed(&self, e: super::postgres::PgFail) -> Error {
        match e {
            super::postgres::PgFail::Pg(e) => self.fail(e),
            super::postgres::PgFail::Core(e) | super::postgres::PgFail::Final(e) => e,
        }
    }
}

/// `sql` with `?N` and `?` parameters written as PostgreSQL's `$N`.
pub(crate) fn pg_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 1;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '?' {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
            digits.push(d);
            chars.next();
        }
        if digits.is_empty() {
            digits = next.to_string();
            next += 1;
        }
        out.push('$');
        out.push_str(&digits);
    }
    out
}

fn params<'a>(args: &'a [Arg<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

/// `rows` sent by binary `COPY` (`sql`) on a client or a transaction; rows stored.
fn copy_in(
    client: &mut impl postgres::GenericClient,
    sql: &str,
    types: &[Type],
    rows: &[Vec<Arg<'_>>],
) -> std::result::Result<u64, postgres::Error> {
    let sink = client.copy_in(sql)?;
    let mut writer = postgres::binary_copy::BinaryCopyInWriter::new(sink, types);
    for row in rows {
        writer.write(&params(row))?;
    }
    writer.finish()
}

fn typed<'a>(args: &'a [Arg<'a>]) -> Vec<(&'a (dyn ToSql + Sync), Type)> {
    args.iter()
        .map(|a| (a as &(dyn ToSql + Sync), a.pg_type()))
        .collect()
}

impl Db for PgDb<'_, '_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn insert_many(&self, table: &str, columns: &[&str], rows: &[Vec<Arg<'_>>]) -> Result<usize> {
        let Some(first) = rows.first() else {
            return Ok(0);
        };
        if rows.len() <= SMALL_INSERT {
            let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
            let mut n = 0;
            for (i, row) in rows.iter().enumerate() {
                sql.push_str(if i == 0 { "(" } else { ", (" });
                for j in 0..row.len() {
                    n += 1;
                    sql.push_str(&format!("{}${n}", if j == 0 { "" } else { ", " }));
                }
                sql.push(')');
            }
            let args: Vec<Arg<'_>> = rows.iter().flatten().copied().collect();
            return Ok(self.execute(&sql, &args)? as usize);
        }
        self.begin_now()?;
        let types: Vec<Type> = first.iter().map(Arg::pg_type).collect();
        let sql = format!("COPY {table} ({}) FROM STDIN BINARY", columns.join(", "));
        let n = match &mut *self.conn()? {
            Conn::Read(tx) => copy_in(&mut **tx, &sql, &types, rows),
            Conn::Write(c) => copy_in(&mut ***c, &sql, &types, rows),
        }
        .map_err(|e| self.fail(e))?;
        Ok(n as usize)
    }

    fn exec(&self, sql: &str, args: &[Arg<'_>]) -> Result<usize> {
        Ok(self.execute(&pg_placeholders(sql), args)? as usize)
    }

    fn each(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        f: &mut dyn FnMut(&dyn Row) -> Result<bool>,
    ) -> Result<()> {
        let portal = {
            let mut conn = self.conn()?;
            let Conn::Read(tx) = &mut *conn else {
                drop(conn);
                // The borrow ends before `f` runs: `f` may use this connection.
                let rows = self.query_typed(sql, args)?;
                for row in &rows {
                    if !f(row)? {
                        break;
                    }
                }
                return Ok(());
            };
            let sql = pg_placeholders(sql);
            let types: Vec<Type> = args.iter().map(Arg::pg_type).collect();
            let statement = tx.prepare_typed(&sql, &types).map_err(|e| self.fail(e))?;
            tx.bind(&statement, &params(args))
                .map_err(|e| self.fail(e))?
        };
        loop {
            // The borrow ends before `f` runs: `f` may use this connection.
            let chunk = {
                let mut conn = self.conn()?;
                let Conn::Read(tx) = &mut *conn else {
                    return Err(Error::Internal(
                        "a PostgreSQL portal outside its read transaction".into(),
                    ));
                };
                tx.query_portal(&portal, CHUNK).map_err(|e| self.fail(e))?
            };
            for row in &chunk {
                if !f(row)? {
                    return Ok(());
                }
            }
            if chunk.len() < CHUNK as usize {
                return Ok(());
            }
        }
    }

    fn first(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        f: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<bool> {
        if let Some(begin) = self.begin.get()
            && let Some(found) = self.first_with_begin(begin, sql, args, f)?
        {
            return Ok(found);
        }
        let rows = self.query_typed(sql, args)?;
        match rows.first() {
            Some(row) => f(row).map(|()| true),
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pg_placeholders;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            pg_placeholders("SELECT a FROM t WHERE x = ?1 AND y > +?2"),
            "SELECT a FROM t WHERE x = $1 AND y > +$2"
        );
        assert_eq!(
            pg_placeholders("WHERE a = +? AND b = +? AND c <= +?"),
            "WHERE a = +$1 AND b = +$2 AND c <= +$3"
        );
        assert_eq!(pg_placeholders("?10"), "$10");
    }
}
