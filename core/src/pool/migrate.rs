//! A small schema migration runner.
//!
//! Migrations are ordered SQL batches; step *i* (from 1) brings the schema to version *i*.
//! They run inside the writer's `BEGIN IMMEDIATE` transaction, so a failing step leaves
//! the file exactly as it was, and two processes migrating at once serialize.
//!
//! Versions are kept in one of two places:
//! - [`Migrations::user_version`]: `PRAGMA user_version`, the conventional place for a
//!   host application's own schema.
//! - [`Migrations::new`]: a row per component in `_magnetar_schema`. Magnetar's own
//!   components (audit log, sessions) use this, because they share a file with each other
//!   and with the host, and one `user_version` integer cannot describe three schemas.
//!
//! A file whose version is newer than the steps this build knows is refused with
//! `SchemaTooNew` rather than touched: an old binary must not "repair" a newer schema.

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Store {
    UserVersion,
    Component(String),
}

/// An ordered list of schema steps for one schema.
#[derive(Debug, Clone)]
pub struct Migrations {
    store: Store,
    steps: Vec<String>,
}

/// What [`super::Pool::migrate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MigrationOutcome {
    /// The version found before migrating (0 for a new schema).
    #[cfg_attr(feature = "uniffi", uniffi(name = "from_version"))]
    pub from: i64,
    /// The version after migrating.
    #[cfg_attr(feature = "uniffi", uniffi(name = "to_version"))]
    pub to: i64,
}

impl Migrations {
    /// Steps for a named component, versioned in the `_magnetar_schema` table.
    pub fn new(component: impl Into<String>, steps: &[&str]) -> Self {
        Migrations {
            store: Store::Component(component.into()),
            steps: steps.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Steps for the host's schema, versioned in `PRAGMA user_version`.
    pub fn user_version(steps: &[&str]) -> Self {
        Migrations {
            store: Store::UserVersion,
            steps: steps.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The version these steps bring a schema to.
    pub fn latest(&self) -> i64 {
        self.steps.len() as i64
    }

    fn name(&self) -> &str {
        match &self.store {
            Store::UserVersion => "user_version",
            Store::Component(name) => name,
        }
    }

    /// Applies the missing steps inside `tx` (the caller commits).
    pub(crate) fn apply(&self, tx: &Connection) -> Result<MigrationOutcome> {
        let from = self.current(tx)?;
        let latest = self.latest();
        if from > latest {
            return Err(Error::SchemaTooNew {
                component: self.name().to_string(),
                found: from,
                supported: latest,
            });
        }
        for (index, sql) in self.steps.iter().enumerate().skip(from as usize) {
            let version = index as i64 + 1;
            tx.execute_batch(sql).map_err(|e| {
                let e = Error::from(e);
                Error::InvalidInput(format!(
                    "migration {} step {version} failed: {e}",
                    self.name()
                ))
            })?;
            self.set(tx, version)?;
        }
        Ok(MigrationOutcome { from, to: latest })
    }

    /// The schema objects (tables, indexes, triggers, views) these steps create, as
    /// SQLite records them in `sqlite_schema`: the steps are applied to a private
    /// in-memory database and its schema read back. A component's shared bookkeeping
    /// table (`_magnetar_schema`) is not part of it.
    pub fn objects(&self) -> Result<SchemaObjects> {
        let conn = Connection::open_in_memory()?;
        self.apply(&conn)?;
        let objects = read_schema(&conn)?
            .into_iter()
            .filter(|o| o.table != BOOKKEEPING)
            .collect();
        Ok(SchemaObjects(objects))
    }

    fn current(&self, tx: &Connection) -> Result<i64> {
        match &self.store {
            Store::UserVersion => Ok(tx.query_row("PRAGMA user_version", [], |r| r.get(0))?),
            Store::Component(name) => {
                tx.execute_batch(
                    "CREATE TABLE IF NOT EXISTS _magnetar_schema (
                         component TEXT PRIMARY KEY NOT NULL,
                         version INTEGER NOT NULL
                     ) STRICT",
                )?;
                Ok(tx
                    .query_row(
                        "SELECT version FROM _magnetar_schema WHERE component = ?1",
                        [name],
                        |r| r.get(0),
                    )
                    .optional()?
                    .unwrap_or(0))
            }
        }
    }

    fn set(&self, tx: &Connection, version: i64) -> Result<()> {
        match &self.store {
            // PRAGMA takes no bound parameters; `version` is an integer we computed.
            Store::UserVersion => tx.execute_batch(&format!("PRAGMA user_version = {version}"))?,
            Store::Component(name) => {
                tx.execute(
                    "INSERT INTO _magnetar_schema (component, version) VALUES (?1, ?2)
                     ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                    rusqlite::params![name, version],
                )?;
            }
        }
        Ok(())
    }
}

/// The table recording each component's schema version.
const BOOKKEEPING: &str = "_magnetar_schema";

/// One row of `sqlite_schema`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SchemaObject {
    table: String,
    kind: String,
    name: String,
    /// `None` for the indexes SQLite creates itself (UNIQUE and PRIMARY KEY).
    sql: Option<String>,
}

fn read_schema(conn: &Connection) -> Result<Vec<SchemaObject>> {
    let mut stmt =
        conn.prepare_cached("SELECT tbl_name, type, name, sql FROM main.sqlite_schema")?;
    let rows = stmt.query_map([], |r| {
        Ok(SchemaObject {
            table: r.get(0)?,
            kind: r.get(1)?,
            name: r.get(2)?,
            sql: r.get(3)?,
        })
    })?;
    let mut objects = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    objects.sort();
    Ok(objects)
}

/// The schema objects a component's migrations create ([`Migrations::objects`]), to
/// check a database file against.
///
/// A file can carry triggers, views and indexes that SQLite runs as part of any
/// statement on the tables they are attached to: a trigger on a component's table
/// would run inside that component's writes (and could rewrite or swallow them), a
/// table replaced by a view with INSTEAD OF triggers would receive them. SQLite cannot
/// switch triggers off for some tables only, and switching them off for the whole
/// connection would also switch off the host's triggers on its own tables; so a
/// component checks instead that its tables carry exactly what it created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaObjects(Vec<SchemaObject>);

impl SchemaObjects {
    /// `Err(Tampered)` naming the first object that differs when the objects in `conn`'s
    /// main database named like, or attached to, the expected tables are not exactly
    /// the expected ones (an extra trigger, view or index, a changed definition, a table
    /// replaced by a view).
    pub fn check(&self, conn: &Connection) -> Result<()> {
        let ours = |o: &SchemaObject| {
            self.0
                .iter()
                .any(|e| e.table == o.table || e.name == o.name || e.name == o.table)
        };
        let found: Vec<SchemaObject> = read_schema(conn)?.into_iter().filter(ours).collect();
        if found == self.0 {
            return Ok(());
        }
        let foreign = found.iter().find(|o| !self.0.contains(o));
        let detail = match foreign {
            Some(o) if self.0.iter().any(|e| e.name == o.name) => format!(
                "{} {} is not defined as Magnetar defines it",
                o.kind, o.name
            ),
            Some(o) => format!(
                "{} {} on table {} was not created by Magnetar",
                o.kind, o.name, o.table
            ),
            None => match self.0.iter().find(|e| !found.contains(e)) {
                Some(e) => format!("{} {} is missing", e.kind, e.name),
                None => "the schema differs".into(),
            },
        };
        Err(Error::Tampered(format!(
            "refusing to use this database: {detail}. SQLite would run it as part of \
             Magnetar's own statements; remove it (or restore the file) first"
        )))
    }
}
