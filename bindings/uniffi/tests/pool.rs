//! The Pool as Swift sees it, called as plain Rust.

use std::collections::HashMap;
use std::time::Duration;

use magnetar_uniffi::{
    MagnetarError, Pool, SqlParams, SqlValue, Statement, Synchronous, default_pool_config,
};

fn pool() -> (tempfile::TempDir, std::sync::Arc<Pool>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db").to_string_lossy().into_owned();
    let pool = Pool::open(path, default_pool_config()).unwrap();
    pool.execute(
        "CREATE TABLE t (i INTEGER, r REAL, s TEXT NOT NULL, b BLOB)".into(),
        vec![],
    )
    .unwrap();
    (dir, pool)
}

#[test]
fn default_config_is_cores() {
    let c = default_pool_config();
    assert_eq!(c.max_readers, 5);
    assert_eq!(c.acquire_timeout, Duration::from_secs(5));
    assert_eq!(c.max_lifetime, Some(Duration::from_secs(3600)));
    assert_eq!(c.synchronous, Synchronous::Normal);
}

#[test]
fn values_round_trip_through_write_and_read() {
    let (_dir, pool) = pool();
    let row = vec![
        SqlValue::Integer(-7),
        SqlValue::Real(2.5),
        SqlValue::Text("héllo".into()),
        SqlValue::Blob(vec![0, 255]),
    ];
    let out = pool
        .execute("INSERT INTO t VALUES (?, ?, ?, ?)".into(), row.clone())
        .unwrap();
    assert_eq!((out.rows_affected, out.last_insert_rowid), (1, 1));
    let got = pool
        .read(
            "SELECT i, r, s, b FROM t WHERE i = ?".into(),
            vec![SqlValue::Integer(-7)],
        )
        .unwrap();
    assert_eq!(got.columns, ["i", "r", "s", "b"]);
    assert_eq!(got.rows, vec![row]);
    let named = pool
        .read_named(
            "SELECT count(*) AS n FROM t WHERE s = :s".into(),
            HashMap::from([("s".to_string(), SqlValue::Text("héllo".into()))]),
        )
        .unwrap();
    assert_eq!(named.rows, vec![vec![SqlValue::Integer(1)]]);
    pool.execute_named(
        "INSERT INTO t (s, b) VALUES (@s, $b)".into(),
        HashMap::from([
            ("@s".to_string(), SqlValue::Text("x".into())),
            ("b".to_string(), SqlValue::Null),
        ]),
    )
    .unwrap();
    assert_eq!(pool.stats().max_readers, 5);
}

#[test]
fn write_is_all_or_nothing_and_names_the_failing_statement() {
    let (_dir, pool) = pool();
    let insert = |s: &str| Statement {
        sql: "INSERT INTO t (s) VALUES (?)".into(),
        params: SqlParams::Positional(vec![SqlValue::Text(s.into())]),
    };
    let results = pool.write(vec![insert("a"), insert("b")]).unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[1].last_insert_rowid, 2);

    let failing = Statement {
        sql: "INSERT INTO t (s) VALUES (NULL)".into(),
        params: SqlParams::Positional(vec![]),
    };
    let err = pool.write(vec![insert("c"), failing]).unwrap_err();
    assert!(matches!(err, MagnetarError::Database { .. }), "{err:?}");
    assert!(err.message().contains("statement 1"), "{err}");
    let count = pool.read("SELECT count(*) FROM t".into(), vec![]).unwrap();
    assert_eq!(
        count.rows,
        vec![vec![SqlValue::Integer(2)]],
        "c was rolled back"
    );

    let total = pool
        .execute_many(
            "INSERT INTO t (s) VALUES (?)".into(),
            vec![
                vec![SqlValue::Text("d".into())],
                vec![SqlValue::Text("e".into())],
            ],
        )
        .unwrap();
    assert_eq!(total, 2);
    let snapshot = pool
        .read_batch(vec![
            Statement {
                sql: "SELECT count(*) FROM t".into(),
                params: SqlParams::Positional(vec![]),
            },
            Statement {
                sql: "SELECT max(rowid) FROM t WHERE s = :s".into(),
                params: SqlParams::Named(HashMap::from([(
                    "s".to_string(),
                    SqlValue::Text("e".into()),
                )])),
            },
        ])
        .unwrap();
    assert_eq!(snapshot[0].rows, vec![vec![SqlValue::Integer(4)]]);
    assert_eq!(snapshot[1].rows, vec![vec![SqlValue::Integer(4)]]);
}

#[test]
fn reads_cannot_write_and_bad_input_is_named() {
    let (_dir, pool) = pool();
    let err = pool
        .read("INSERT INTO t (s) VALUES ('x')".into(), vec![])
        .unwrap_err();
    assert!(matches!(err, MagnetarError::ReadOnly { .. }), "{err:?}");
    assert_eq!(err.kind(), "read_only");
    let err = pool
        .read("SELECT ?, ?".into(), vec![SqlValue::Null])
        .unwrap_err();
    assert!(matches!(err, MagnetarError::InvalidInput { .. }), "{err:?}");
    assert!(
        err.message()
            .contains("expects 2 parameter(s), 1 were given"),
        "{err}"
    );
}

#[test]
fn config_errors_and_closing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db").to_string_lossy().into_owned();
    let mut config = default_pool_config();
    config.max_readers = 0;
    let err = Pool::open(path.clone(), config).unwrap_err();
    assert!(
        matches!(err, MagnetarError::InvalidConfig { .. }),
        "{err:?}"
    );
    assert!(err.message().contains("max_readers"), "{err}");

    let mut config = default_pool_config();
    config.max_readers = 2;
    config.synchronous = Synchronous::Full;
    let pool = Pool::new(path.clone(), config.clone()).unwrap();
    assert_eq!(pool.config(), config);
    assert!(pool.path().ends_with("c.db"));
    // `new` is the process-wide pool for the file: a second call gets the same one.
    let again = Pool::new(path, default_pool_config()).unwrap();
    assert_eq!(again.config().max_readers, 2);
    pool.close(Duration::from_secs(1)).unwrap();
    assert!(pool.is_closed() && again.is_closed());
    let err = pool.read("SELECT 1".into(), vec![]).unwrap_err();
    assert!(matches!(err, MagnetarError::PoolClosed { .. }), "{err:?}");
}

#[test]
fn host_schema_migrations_and_newer_schemas() {
    let (dir, pool) = pool();
    let steps = vec![
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)".to_string(),
        "ALTER TABLE notes ADD COLUMN at INTEGER".to_string(),
    ];
    let outcome = pool.migrate(steps.clone()).unwrap();
    assert_eq!((outcome.from, outcome.to), (0, 2));
    let outcome = pool.migrate(steps.clone()).unwrap();
    assert_eq!((outcome.from, outcome.to), (2, 2));
    let err = pool.migrate(steps[..1].to_vec()).unwrap_err();
    assert!(matches!(err, MagnetarError::SchemaTooNew { .. }), "{err:?}");

    let not_db = dir.path().join("not.db");
    std::fs::write(&not_db, b"this is not an sqlite database, just text....").unwrap();
    let err = Pool::open(not_db.to_string_lossy().into_owned(), default_pool_config()).unwrap_err();
    assert!(matches!(err, MagnetarError::NotADatabase { .. }), "{err:?}");
}

#[test]
fn read_value_is_the_first_column_of_the_first_row() {
    let (_dir, pool) = pool();
    pool.execute(
        "INSERT INTO t (i, s) VALUES (?, ?)".into(),
        vec![SqlValue::Integer(7), SqlValue::Text("seven".into())],
    )
    .unwrap();
    let value = |sql: &str, params| pool.read_value(sql.into(), params);
    assert_eq!(
        value("SELECT s FROM t WHERE i = ?", vec![SqlValue::Integer(7)]).unwrap(),
        Some(SqlValue::Text("seven".into()))
    );
    assert_eq!(
        value("SELECT s FROM t WHERE i = ?", vec![SqlValue::Integer(8)]).unwrap(),
        None
    );
    assert_eq!(
        value("SELECT b FROM t", vec![]).unwrap(),
        Some(SqlValue::Null)
    );
    let err = value("DELETE FROM t", vec![]).unwrap_err();
    assert!(matches!(err, MagnetarError::InvalidInput { .. }), "{err:?}");
}

fn count(pool: &Pool) -> Option<SqlValue> {
    pool.read_value("SELECT count(*) FROM t".into(), vec![])
        .unwrap()
}

#[test]
fn write_transaction_commits_rolls_back_and_ends_once() {
    let (_dir, pool) = pool();
    let insert = vec![SqlValue::Integer(1), SqlValue::Text("a".into())];
    let sql = "INSERT INTO t (i, s) VALUES (?, ?)";

    let tx = pool.begin_write_transaction().unwrap();
    assert!(tx.is_open());
    tx.execute(sql.into(), insert.clone()).unwrap();
    let named = HashMap::from([
        ("i".to_string(), SqlValue::Integer(2)),
        ("s".to_string(), SqlValue::Text("b".into())),
    ]);
    tx.execute_named("INSERT INTO t (i, s) VALUES (:i, :s)".into(), named)
        .unwrap();
    assert_eq!(
        tx.execute_many(sql.into(), vec![insert.clone(), insert.clone()])
            .unwrap(),
        2
    );
    // The transaction sees its own writes; readers see the last commit.
    assert_eq!(
        tx.query_value("SELECT count(*) FROM t".into(), vec![])
            .unwrap(),
        Some(SqlValue::Integer(4))
    );
    assert_eq!(
        tx.query("SELECT i FROM t".into(), vec![])
            .unwrap()
            .rows
            .len(),
        4
    );
    assert_eq!(count(&pool), Some(SqlValue::Integer(0)));
    tx.commit().unwrap();
    assert!(!tx.is_open());
    assert_eq!(count(&pool), Some(SqlValue::Integer(4)));

    // After the end: a clear error, never a statement outside the transaction.
    let err = tx.execute(sql.into(), insert.clone()).unwrap_err();
    assert!(matches!(err, MagnetarError::InvalidInput { .. }), "{err:?}");
    assert!(err.to_string().contains("already committed"), "{err}");
    assert!(tx.rollback().is_err());

    let tx = pool.begin_write_transaction().unwrap();
    tx.execute(sql.into(), insert.clone()).unwrap();
    tx.rollback().unwrap();
    let tx = pool.begin_write_transaction().unwrap();
    tx.execute(sql.into(), insert.clone()).unwrap();
    drop(tx);
    assert_eq!(count(&pool), Some(SqlValue::Integer(4)));
    assert_eq!(pool.stats().in_use, 0);
}

#[test]
fn write_transaction_nested_and_closed() {
    let (_dir, pool) = pool();
    let tx = pool.begin_write_transaction().unwrap();
    // Nested writes from the same thread: refused at once, not a wait for itself.
    let err = pool.begin_write_transaction().unwrap_err();
    assert!(matches!(err, MagnetarError::InvalidInput { .. }), "{err:?}");
    let err = pool.execute("DELETE FROM t".into(), vec![]).unwrap_err();
    assert!(matches!(err, MagnetarError::InvalidInput { .. }), "{err:?}");
    tx.rollback().unwrap();
    pool.close(Duration::from_secs(1)).unwrap();
    let err = pool.begin_write_transaction().unwrap_err();
    assert!(matches!(err, MagnetarError::PoolClosed { .. }), "{err:?}");
    assert!(matches!(
        pool.read_value("SELECT 1".into(), vec![]).unwrap_err(),
        MagnetarError::PoolClosed { .. }
    ));
}
