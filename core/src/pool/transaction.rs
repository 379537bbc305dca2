//! [`WriteTransaction`]: the writer's transaction as a handle that a host holding no
//! Rust closure (Swift, C, Python) can keep across calls and finish explicitly.
//!
//! [`Pool::write`] is the right tool inside Rust: the closure's `Result` decides commit or
//! rollback. A host language cannot pass its own closure through an FFI as a Rust
//! `FnOnce`, so it begins a transaction, runs statements through the handle, and ends it
//! with [`WriteTransaction::commit`] or [`WriteTransaction::rollback`]. The rules stay
//! core's:
//!
//! - it is the pool's one writer in a `BEGIN IMMEDIATE` transaction, so other writers
//!   queue for it (up to `acquire_timeout`) while it is open;
//! - dropping it while open rolls back and returns the writer: the writer is never left
//!   inside a transaction;
//! - it ends once: any use after commit or rollback is an `InvalidInput` error naming how
//!   it ended, never a crash or a statement run outside the transaction;
//! - the thread that began it cannot take the writer again while it is open (a nested
//!   [`Pool::write`], [`Pool::write_transaction`] or [`Pool::writer`] from that thread is
//!   refused at once with `InvalidInput` instead of waiting for itself);
//! - on a closed pool, beginning one fails with `PoolClosed`; one already open when the
//!   pool closes can still finish (as a [`Pool::write`] closure already running can),
//!   and its connection is closed when it ends.
//!
//! It is `Send + Sync`: its methods take `&self` and lock the transaction for the length
//! of one statement, so a binding can share it behind a reference count.

use std::fmt;
use std::panic::Location;

use parking_lot::Mutex;
use rusqlite::Connection;

use super::statement::{self, Params, QueryResult, Statement, Value};
use super::{Pool, PoolTransaction, Role};
use crate::error::{Error, Result};

/// The writer's `BEGIN IMMEDIATE` transaction as a shareable handle; see the module
/// documentation. Created by [`Pool::write_transaction`].
pub struct WriteTransaction {
    state: Mutex<State>,
}

enum State {
    Open(PoolTransaction),
    Ended(Ending),
}

/// How a transaction ended, for the error a later call gets.
#[derive(Clone, Copy)]
enum Ending {
    Committed,
    RolledBack,
    /// COMMIT failed; the connection's release rolled back what was left.
    CommitFailed,
}

impl Ending {
    fn describe(self) -> &'static str {
        match self {
            Ending::Committed => "committed",
            Ending::RolledBack => "rolled back",
            Ending::CommitFailed => "ended by a failed commit (and rolled back)",
        }
    }
}

impl Pool {
    /// Checks out the writer and opens a `BEGIN IMMEDIATE` transaction on it, as a
    /// [`WriteTransaction`] handle (for hosts that cannot pass a Rust closure; prefer
    /// [`Pool::write`] otherwise). Waits up to `acquire_timeout` for the writer; fails
    /// with `PoolClosed` on a closed pool and with `InvalidInput` when this thread
    /// already holds the writer.
    #[track_caller]
    pub fn write_transaction(&self) -> Result<WriteTransaction> {
        let tx = self.begin_at(Role::Writer, Location::caller())?;
        Ok(WriteTransaction {
            state: Mutex::new(State::Open(tx)),
        })
    }
}

impl WriteTransaction {
    /// Runs one statement inside the transaction and returns its rows and counts.
    pub fn run(&self, sql: &str, params: &Params) -> Result<QueryResult> {
        self.with(|conn| statement::run(conn, sql, params))
    }

    /// Runs one statement and returns the first column of its first row (`None` when it
    /// returns no row); see [`statement::run_value`].
    pub fn run_value(&self, sql: &str, params: &Params) -> Result<Option<Value>> {
        self.with(|conn| statement::run_value(conn, sql, params))
    }

    /// Runs one statement once per parameter set; see [`statement::run_many`].
    pub fn run_many(&self, sql: &str, param_sets: &[Params]) -> Result<u64> {
        self.with(|conn| statement::run_many(conn, sql, param_sets))
    }

    /// Runs statements in order; see [`statement::run_batch`]. A failing statement
    /// does not end the transaction: the caller decides whether to roll back.
    pub fn run_batch(&self, statements: &[Statement]) -> Result<Vec<QueryResult>> {
        self.with(|conn| statement::run_batch(conn, statements))
    }

    /// Runs `f` on the transaction's connection. A failing statement leaves the
    /// transaction open (SQLite undoes that statement only), as inside [`Pool::write`];
    /// an error that breaks the connection gets it discarded when the transaction ends.
    pub fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let mut state = self.state.lock();
        let tx = match &mut *state {
            State::Open(tx) => tx,
            State::Ended(ending) => return Err(ended(*ending)),
        };
        let result = f(tx);
        if let Err(e) = &result {
            tx.note_error(e);
        }
        result
    }

    /// Commits and returns the writer to the pool. When COMMIT fails the transaction is
    /// rolled back and over all the same; the error says why.
    pub fn commit(&self) -> Result<()> {
        let tx = self.take(Ending::Committed)?;
        tx.commit().inspect_err(|_| {
            *self.state.lock() = State::Ended(Ending::CommitFailed);
        })
    }

    /// Rolls back and returns the writer to the pool.
    pub fn rollback(&self) -> Result<()> {
        self.take(Ending::RolledBack)?.rollback()
    }

    /// Whether the transaction is still open (neither committed nor rolled back).
    pub fn is_open(&self) -> bool {
        matches!(*self.state.lock(), State::Open(_))
    }

    /// Ends the state as `ending` and hands out the transaction to finish, or says how it
    /// already ended.
    fn take(&self, ending: Ending) -> Result<PoolTransaction> {
        let mut state = self.state.lock();
        match std::mem::replace(&mut *state, State::Ended(ending)) {
            State::Open(tx) => Ok(tx),
            State::Ended(previous) => {
                *state = State::Ended(previous);
                Err(ended(previous))
            }
        }
    }
}

fn ended(ending: Ending) -> Error {
    Error::InvalidInput(format!(
        "this write transaction was already {}: begin a new one for more statements",
        ending.describe()
    ))
}

impl fmt::Debug for WriteTransaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &*self.state.lock() {
            State::Open(_) => "open",
            State::Ended(ending) => ending.describe(),
        };
        f.debug_struct("WriteTransaction")
            .field("state", &state)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::ErrorKind;
    use crate::pool::PoolConfig;

    fn pool() -> (tempfile::TempDir, Pool) {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::open(dir.path().join("t.db"), PoolConfig::default()).unwrap();
        pool.write(|c| {
            c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")?;
            Ok(())
        })
        .unwrap();
        (dir, pool)
    }

    /// A transaction on `pool` that has inserted one row `v`.
    fn begin_with(pool: &Pool, v: &str) -> WriteTransaction {
        let tx = pool.write_transaction().unwrap();
        insert(&tx, v);
        tx
    }

    fn insert(tx: &WriteTransaction, v: &str) {
        tx.run(
            "INSERT INTO t (v) VALUES (?)",
            &Params::Positional(vec![Value::Text(v.into())]),
        )
        .unwrap();
    }

    const COUNT: &str = "SELECT count(*) FROM t";

    fn integer(value: Option<Value>) -> i64 {
        match value {
            Some(Value::Integer(n)) => n,
            other => panic!("{other:?}"),
        }
    }

    /// Rows committed, as a reader sees them.
    fn count(pool: &Pool) -> i64 {
        integer(pool.query_value(COUNT, &Params::default()).unwrap())
    }

    /// Rows as the transaction sees them (its own writes included).
    fn count_in(tx: &WriteTransaction) -> i64 {
        integer(tx.run_value(COUNT, &Params::default()).unwrap())
    }

    #[test]
    fn commit_keeps_rollback_and_drop_discard() {
        let (_dir, pool) = pool();
        let tx = begin_with(&pool, "kept");
        // The transaction sees its own writes; readers do not until it commits.
        assert_eq!((count_in(&tx), count(&pool)), (1, 0));
        tx.commit().unwrap();
        assert_eq!(count(&pool), 1);

        let tx = begin_with(&pool, "rolled back");
        tx.rollback().unwrap();
        let tx = begin_with(&pool, "dropped");
        drop(tx);
        assert_eq!(count(&pool), 1);
        // The writer went back each time, out of any transaction.
        assert_eq!(pool.stats().in_use, 0);
        assert!(pool.writer().unwrap().is_autocommit());
    }

    #[test]
    fn use_after_the_end_is_a_clear_error() {
        let (_dir, pool) = pool();
        let tx = pool.write_transaction().unwrap();
        tx.commit().unwrap();
        assert!(!tx.is_open());
        for err in [
            tx.run("SELECT 1", &Params::default()).unwrap_err(),
            tx.commit().unwrap_err(),
            tx.rollback().unwrap_err(),
        ] {
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.to_string().contains("already committed"), "{err}");
        }
        let tx = pool.write_transaction().unwrap();
        tx.rollback().unwrap();
        let err = tx.commit().unwrap_err();
        assert!(err.to_string().contains("already rolled back"), "{err}");
        assert_eq!(
            format!("{tx:?}"),
            "WriteTransaction { state: \"rolled back\" }"
        );
    }

    #[test]
    fn a_failing_statement_leaves_the_transaction_open() {
        let (_dir, pool) = pool();
        let tx = begin_with(&pool, "first");
        let err = tx
            .run("INSERT INTO t (v) VALUES (NULL)", &Params::default())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Database);
        assert!(tx.is_open());
        insert(&tx, "second");
        tx.commit().unwrap();
        assert_eq!(count(&pool), 2);
    }

    #[test]
    fn nested_use_of_the_writer_is_refused_at_once() {
        let (_dir, pool) = pool();
        let tx = pool.write_transaction().unwrap();
        let started = Instant::now();
        for err in [
            pool.write_transaction().unwrap_err(),
            pool.write(|_| Ok(())).unwrap_err(),
        ] {
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.to_string().contains("already checked out"), "{err}");
        }
        assert!(started.elapsed() < Duration::from_secs(1));
        // Reads are fine and see the last commit.
        assert_eq!(count(&pool), 0);
        tx.rollback().unwrap();
        pool.write_transaction().unwrap().commit().unwrap();
    }

    #[test]
    fn one_writer_at_a_time_across_threads() {
        let (_dir, pool) = pool();
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let pool = pool.clone();
                std::thread::spawn(move || {
                    for j in 0..20 {
                        let tx = pool.write_transaction().unwrap();
                        let before = count_in(&tx);
                        insert(&tx, &format!("{i}-{j}"));
                        // Nobody else wrote in between: the writer is ours alone.
                        assert_eq!(count_in(&tx), before + 1);
                        if j % 2 == 0 {
                            tx.commit().unwrap();
                        } else {
                            tx.rollback().unwrap();
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(count(&pool), 8 * 10);
    }

    #[test]
    fn shared_across_threads_and_dropped_elsewhere() {
        let (_dir, pool) = pool();
        let tx = Arc::new(pool.write_transaction().unwrap());
        let other = Arc::clone(&tx);
        std::thread::spawn(move || insert(&other, "from another thread"))
            .join()
            .unwrap();
        // Dropped on another thread while open: rolled back, writer returned, and the
        // beginning thread may take the writer again.
        std::thread::spawn(move || drop(tx)).join().unwrap();
        assert_eq!(count(&pool), 0);
        pool.write(|_| Ok(())).unwrap();
    }

    #[test]
    fn closed_pool() {
        let (_dir, pool) = pool();
        let open = begin_with(&pool, "before close");
        // Close waits for the open transaction, then reports it still out.
        let err = pool.close(Duration::from_millis(50)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PoolTimeout);
        let err = pool.write_transaction().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PoolClosed);
        // The open one can still end; its connection is closed as it comes back.
        open.commit().unwrap();
        assert_eq!(pool.stats().in_use, 0);
    }

    #[test]
    fn single_values() {
        let (_dir, pool) = pool();
        begin_with(&pool, "a").commit().unwrap();
        let get = |sql: &str| pool.query_value(sql, &Params::default());
        assert_eq!(
            get("SELECT v FROM t WHERE id = 1").unwrap(),
            Some(Value::Text("a".into()))
        );
        assert_eq!(get("SELECT v FROM t WHERE id = 2").unwrap(), None);
        assert_eq!(get("SELECT NULL").unwrap(), Some(Value::Null));
        let err = get("DELETE FROM t").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        // Readers stay query_only for this path too.
        let err = get("DELETE FROM t RETURNING id").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ReadOnly);
    }
}
