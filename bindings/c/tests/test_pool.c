/* The pool: open/shared/close/free, statements with bound parameters, results, stats,
 * and every error path (NULL, invalid UTF-8, bad config, SQL errors, read-only, closed). */
#include "test_util.h"

static char db_path[512];

static void test_options_and_open_errors(void) {
    mgn_pool_options options;
    mgn_pool *pool = (mgn_pool *)0x1; /* must stay untouched on failure */
    char path[512];
    FILE *junk;

    CHECK_OK(mgn_pool_options_default(&options));
    CHECK(options.max_readers == 5);
    CHECK(options.min_idle == 0);
    CHECK(options.acquire_timeout_ms == 5000);
    CHECK(options.max_lifetime_ms == 3600000);
    CHECK(options.leak_threshold_ms == 0);
    CHECK(!options.synchronous_full);

    CHECK_STATUS(mgn_pool_open(NULL, NULL, &pool), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("path is NULL");
    CHECK_STATUS(mgn_pool_open(db_path, NULL, NULL), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("out is NULL");
    CHECK_STATUS(mgn_pool_open("/tmp/\xff\xfe.db", NULL, &pool), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("not valid UTF-8");
    CHECK_STATUS(mgn_pool_shared("\xc3", NULL, &pool), MGN_INVALID_ARGUMENT);
    CHECK(pool == (mgn_pool *)0x1);

    options.max_readers = 0;
    CHECK_STATUS(mgn_pool_open(db_path, &options, &pool), MGN_INVALID_CONFIG);
    CHECK_MESSAGE("max_readers");
    options.max_readers = 2;
    options.acquire_timeout_ms = 0;
    CHECK_STATUS(mgn_pool_open(db_path, &options, &pool), MGN_INVALID_CONFIG);
    CHECK_MESSAGE("acquire_timeout");
    CHECK_STATUS(mgn_pool_open(":memory:", NULL, &pool), MGN_INVALID_CONFIG);

    CHECK_STATUS(mgn_pool_open("/nonexistent-dir-mgn/x.db", NULL, &pool), MGN_IO);
    CHECK_MESSAGE("does not exist");

    junk = fopen(scratch_path(path, sizeof path, "junk.db"), "wb");
    CHECK(junk != NULL);
    if (junk != NULL) {
        int i;
        for (i = 0; i < 512; i++) {
            fputs("this is not a database ", junk);
        }
        fclose(junk);
    }
    CHECK_STATUS(mgn_pool_open(path, NULL, &pool), MGN_NOT_A_DATABASE);
    CHECK(pool == (mgn_pool *)0x1);
}

static void test_statements(mgn_pool *pool) {
    mgn_result *result = NULL;
    mgn_value params[5];
    const char *names[2] = {":name", "score"};
    const mgn_value *row;
    const char *column;
    size_t n = 99;
    uint64_t affected = 0;
    int64_t rowid = 0;
    const unsigned char blob[3] = {0x00, 0xff, 0x10};
    size_t i;

    CHECK_OK(mgn_pool_execute(pool,
                              "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL "
                              "UNIQUE, score REAL, avatar BLOB, note TEXT)",
                              NULL, NULL, 0, NULL));

    /* Positional parameters of every kind. */
    params[0] = int_value(7);
    params[1] = text_value("ana\xc3\xafs"); /* "anaïs" */
    memset(&params[2], 0, sizeof params[2]);
    params[2].kind = MGN_REAL;
    params[2].real = 2.5;
    memset(&params[3], 0, sizeof params[3]);
    params[3].kind = MGN_BLOB;
    params[3].data = blob;
    params[3].len = sizeof blob;
    memset(&params[4], 0, sizeof params[4]);
    params[4].kind = MGN_NULL;
    CHECK_OK(mgn_pool_execute(pool, "INSERT INTO users VALUES (?, ?, ?, ?, ?)", params, NULL, 5,
                              &result));
    CHECK_OK(mgn_result_rows_affected(result, &affected));
    CHECK(affected == 1);
    CHECK_OK(mgn_result_last_insert_rowid(result, &rowid));
    CHECK(rowid == 7);
    CHECK_OK(mgn_result_row_count(result, &n));
    CHECK(n == 0);
    CHECK_OK(mgn_result_column_count(result, &n));
    CHECK(n == 0);
    mgn_result_free(result);
    result = NULL;

    /* Named parameters, with and without prefix; result discarded. */
    params[0] = text_value("bob");
    memset(&params[1], 0, sizeof params[1]);
    params[1].kind = MGN_REAL;
    params[1].real = -1.0;
    CHECK_OK(mgn_pool_execute(pool, "INSERT INTO users (name, score) VALUES (:name, :score)",
                              params, names, 2, NULL));

    /* Read back on a reader. */
    params[0] = int_value(0);
    CHECK_OK(mgn_pool_query(pool, "SELECT id, name, score, avatar, note FROM users WHERE id > ? "
                                  "ORDER BY id",
                            params, NULL, 1, &result));
    CHECK_OK(mgn_result_column_count(result, &n));
    CHECK(n == 5);
    CHECK_OK(mgn_result_column_name(result, 1, &column));
    CHECK(strcmp(column, "name") == 0);
    CHECK_OK(mgn_result_row_count(result, &n));
    CHECK(n == 2);
    CHECK_OK(mgn_result_row(result, 0, &row));
    CHECK(row[0].kind == MGN_INTEGER && row[0].integer == 7);
    CHECK(row[1].kind == MGN_TEXT && row[1].len == 6 &&
          strcmp((const char *)row[1].data, "ana\xc3\xafs") == 0);
    CHECK(row[2].kind == MGN_REAL && row[2].real == 2.5);
    CHECK(row[3].kind == MGN_BLOB && row[3].len == 3 && memcmp(row[3].data, blob, 3) == 0);
    CHECK(row[4].kind == MGN_NULL && row[4].data == NULL);
    CHECK_OK(mgn_result_row(result, 1, &row));
    CHECK(row[0].kind == MGN_INTEGER && row[0].integer == 8);
    CHECK(strcmp((const char *)row[1].data, "bob") == 0 && row[2].real == -1.0);
    CHECK_OK(mgn_result_rows_affected(result, &affected));
    CHECK(affected == 0);

    /* Result accessor errors: out-of-range indexes, NULL arguments. */
    row = NULL;
    CHECK_STATUS(mgn_result_row(result, 2, &row), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("row index 2 is out of range");
    CHECK(row == NULL);
    CHECK_STATUS(mgn_result_column_name(result, 5, &column), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("column index 5");
    CHECK_STATUS(mgn_result_row(NULL, 0, &row), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_result_row(result, 0, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_result_column_name(NULL, 0, &column), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_result_column_name(result, 0, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_result_column_count(NULL, &n), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_result_column_count(result, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_result_row_count(NULL, &n), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_result_rows_affected(NULL, &affected), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_result_rows_affected(result, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_result_last_insert_rowid(NULL, &rowid), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_result_last_insert_rowid(result, NULL), MGN_INVALID_ARGUMENT);
    mgn_result_free(result);
    result = NULL;

    /* Statement errors. */
    CHECK_STATUS(mgn_pool_execute(NULL, "SELECT 1", NULL, NULL, 0, NULL), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("pool is NULL");
    CHECK_STATUS(mgn_pool_execute(pool, NULL, NULL, NULL, 0, NULL), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("sql is NULL");
    CHECK_STATUS(mgn_pool_execute(pool, "SELECT '\xff'", NULL, NULL, 0, NULL),
                 MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("sql is not valid UTF-8");
    CHECK_STATUS(mgn_pool_execute(pool, "SELEC 1", NULL, NULL, 0, &result), MGN_DATABASE);
    CHECK_MESSAGE("syntax error");
    CHECK(result == NULL);
    CHECK_STATUS(mgn_pool_query(pool, "SELECT ?, ?", params, NULL, 1, &result),
                 MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("expects 2 parameter(s), 1 were given");
    CHECK_STATUS(mgn_pool_query(pool, "SELECT ?", NULL, NULL, 1, &result), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("params is NULL");
    CHECK_STATUS(mgn_pool_query(pool, "SELECT 1", NULL, NULL, 0, NULL), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("out_result is NULL");
    params[0].kind = 42;
    CHECK_STATUS(mgn_pool_query(pool, "SELECT ?", params, NULL, 1, &result),
                 MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("params[0] has unknown kind 42");
    params[0] = text_value("bad \xff text");
    CHECK_STATUS(mgn_pool_query(pool, "SELECT ?", params, NULL, 1, &result),
                 MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("params[0] is not valid UTF-8");
    params[0].kind = MGN_BLOB;
    params[0].data = NULL;
    params[0].len = 4;
    CHECK_STATUS(mgn_pool_query(pool, "SELECT ?", params, NULL, 1, &result),
                 MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("params[0] is NULL but its length is 4");
    params[0] = int_value(1);
    names[0] = "nope";
    CHECK_STATUS(mgn_pool_query(pool, "SELECT :a", params, names, 1, &result),
                 MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("no parameter named \"nope\"");
    names[0] = NULL;
    CHECK_STATUS(mgn_pool_query(pool, "SELECT :a", params, names, 1, &result),
                 MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("names[0] is NULL");
    CHECK(result == NULL);

    /* Statements SQLite refuses inside a transaction. */
    CHECK_STATUS(mgn_pool_execute(pool, "VACUUM", NULL, NULL, 0, NULL), MGN_DATABASE);
    CHECK_MESSAGE("transaction");

    /* Writes on a reader are refused. */
    CHECK_STATUS(mgn_pool_query(pool, "DELETE FROM users", NULL, NULL, 0, &result),
                 MGN_READ_ONLY);
    /* A constraint violation rolls back and reports MGN_DATABASE. */
    params[0] = text_value("bob");
    CHECK_STATUS(mgn_pool_execute(pool, "INSERT INTO users (name) VALUES (?)", params, NULL, 1,
                                  NULL),
                 MGN_DATABASE);
    CHECK_MESSAGE("UNIQUE");

    /* execute_many: all sets in one transaction, all or nothing. */
    for (i = 0; i < 4; i++) {
        static const char *const who[4] = {"c1", "c2", "c3", "c4"};
        params[i] = text_value(who[i]);
    }
    CHECK_OK(mgn_pool_execute_many(pool, "INSERT INTO users (name) VALUES (?)", params, 1, 3,
                                   &affected));
    CHECK(affected == 3);
    params[0] = text_value("d1");
    params[1] = text_value("c1"); /* duplicate: the whole batch is rolled back */
    affected = 77;
    CHECK_STATUS(mgn_pool_execute_many(pool, "INSERT INTO users (name) VALUES (?)", params, 1, 2,
                                       &affected),
                 MGN_DATABASE);
    CHECK_MESSAGE("parameter set 1");
    CHECK(affected == 77);
    CHECK_OK(mgn_pool_query(pool, "SELECT count(*) FROM users WHERE name = 'd1'", NULL, NULL, 0,
                            &result));
    CHECK_OK(mgn_result_row(result, 0, &row));
    CHECK(row[0].integer == 0);
    mgn_result_free(result);
    result = NULL;
    CHECK_OK(mgn_pool_execute_many(pool, "DELETE FROM users WHERE name = 'nobody'", NULL, 0, 2,
                                   NULL));
    CHECK_STATUS(mgn_pool_execute_many(pool, "SELECT 1", NULL, 0, 1, NULL),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_pool_execute_many(pool, "INSERT INTO users (name) VALUES (?)", params,
                                       SIZE_MAX, 2, NULL),
                 MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("overflows");
    CHECK_STATUS(mgn_pool_execute_many(NULL, "SELECT 1", NULL, 0, 0, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_pool_execute_many(pool, NULL, NULL, 0, 0, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_pool_execute_many(pool, "INSERT INTO users (name) VALUES (?)", NULL, 1, 1,
                                       NULL),
                 MGN_INVALID_ARGUMENT);
}

static void test_stats_path_shared_close(mgn_pool *pool) {
    mgn_pool_stats stats;
    mgn_pool *other = NULL;
    mgn_result *result = NULL;
    const mgn_value *row;
    char *path = NULL;

    CHECK_OK(mgn_pool_get_stats(pool, &stats));
    CHECK(stats.acquires > 0 && stats.created >= 2 && stats.in_use == 0);
    CHECK(stats.max_readers == 2 && stats.acquire_timeouts == 0);
    CHECK(stats.wait_p50_us <= stats.wait_max_us);
    CHECK_STATUS(mgn_pool_get_stats(NULL, &stats), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_pool_get_stats(pool, NULL), MGN_INVALID_ARGUMENT);

    CHECK_OK(mgn_pool_path(pool, &path));
    CHECK(path != NULL && strstr(path, "pool.db") != NULL && path[0] == '/');
    mgn_string_free(path);
    CHECK_STATUS(mgn_pool_path(NULL, &path), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_pool_path(pool, NULL), MGN_INVALID_ARGUMENT);

    /* A second shared handle is the same pool: same data, and closing one closes both. */
    CHECK_OK(mgn_pool_shared(db_path, NULL, &other));
    CHECK_OK(mgn_pool_query(other, "SELECT count(*) FROM users", NULL, NULL, 0, &result));
    CHECK_OK(mgn_result_row(result, 0, &row));
    CHECK(row[0].kind == MGN_INTEGER && row[0].integer == 5);
    mgn_result_free(result);
    result = NULL;
    CHECK_OK(mgn_pool_get_stats(other, &stats));
    CHECK(stats.max_readers == 2); /* options of the first opener */

    CHECK_STATUS(mgn_pool_close(NULL, 0), MGN_INVALID_ARGUMENT);
    CHECK_OK(mgn_pool_close(other, 1000));
    CHECK_OK(mgn_pool_close(other, 1000)); /* twice is harmless */
    CHECK_STATUS(mgn_pool_query(pool, "SELECT 1", NULL, NULL, 0, &result), MGN_POOL_CLOSED);
    CHECK_MESSAGE("closed");
    CHECK_STATUS(mgn_pool_execute(pool, "SELECT 1", NULL, NULL, 0, NULL), MGN_POOL_CLOSED);
    CHECK(result == NULL);
    mgn_pool_free(other);
}

/* Transactions of several statements, migrations and is_closed. */
static void test_batches_migrate_closed(void) {
    char path[512];
    mgn_pool *pool = NULL;
    mgn_result *results[3] = {NULL, NULL, NULL};
    mgn_value v[2];
    mgn_statement st[3];
    const mgn_value *row;
    const char *steps[2] = {"CREATE TABLE t (x INTEGER NOT NULL)", "ALTER TABLE t ADD COLUMN y TEXT"};
    const char *bad_steps[1] = {NULL};
    int64_t from = -1, to = -1;
    bool closed = true;
    mgn_pool_options options;

    CHECK_OK(mgn_pool_open(scratch_path(path, sizeof path, "batch.db"), NULL, &pool));
    if (pool == NULL) {
        return;
    }
    CHECK_OK(mgn_pool_is_closed(pool, &closed));
    CHECK(!closed);
    memset(&options, 0, sizeof options);
    CHECK_OK(mgn_pool_get_options(pool, &options));
    CHECK(options.max_readers == 5 && options.acquire_timeout_ms == 5000 &&
          !options.synchronous_full);
    CHECK_STATUS(mgn_pool_get_options(NULL, &options), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_pool_get_options(pool, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_pool_is_closed(NULL, &closed), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_pool_is_closed(pool, NULL), MGN_INVALID_ARGUMENT);

    CHECK_OK(mgn_pool_migrate(pool, steps, 2, &from, &to));
    CHECK(from == 0 && to == 2);
    CHECK_OK(mgn_pool_migrate(pool, steps, 2, &from, NULL));
    CHECK(from == 2);
    CHECK_STATUS(mgn_pool_migrate(pool, steps, 1, &from, &to), MGN_SCHEMA_TOO_NEW);
    CHECK_STATUS(mgn_pool_migrate(pool, NULL, 1, NULL, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_pool_migrate(pool, bad_steps, 1, NULL, NULL), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("steps[0] is NULL");
    CHECK_STATUS(mgn_pool_migrate(NULL, steps, 2, NULL, NULL), MGN_INVALID_ARGUMENT);

    /* A write batch is all or nothing. */
    memset(st, 0, sizeof st);
    v[0] = int_value(1);
    v[1] = text_value("one");
    st[0].sql = "INSERT INTO t (x, y) VALUES (?, ?)";
    st[0].params = v;
    st[0].n_params = 2;
    st[1].sql = "INSERT INTO t (x) VALUES (2)";
    st[2].sql = "SELECT count(*) FROM t";
    CHECK_OK(mgn_pool_write(pool, st, 3, results));
    CHECK(results[0] != NULL && results[2] != NULL);
    if (results[2] != NULL) {
        CHECK_OK(mgn_result_row(results[2], 0, &row));
        CHECK(row[0].integer == 2);
    }
    mgn_result_free(results[0]);
    mgn_result_free(results[1]);
    mgn_result_free(results[2]);
    st[1].sql = "INSERT INTO t (x) VALUES (NULL)"; /* NOT NULL: the batch rolls back */
    CHECK_STATUS(mgn_pool_write(pool, st, 2, NULL), MGN_DATABASE);
    CHECK_MESSAGE("statement 1");
    st[0].sql = NULL;
    CHECK_STATUS(mgn_pool_write(pool, st, 1, NULL), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("statements[0].sql is NULL");
    CHECK_STATUS(mgn_pool_write(pool, NULL, 1, NULL), MGN_INVALID_ARGUMENT);
    CHECK_OK(mgn_pool_write(pool, NULL, 0, NULL));

    /* A read batch sees one snapshot and refuses writes. */
    memset(st, 0, sizeof st);
    st[0].sql = "SELECT count(*) FROM t";
    st[1].sql = "SELECT y FROM t WHERE x = 1";
    results[0] = results[1] = NULL;
    CHECK_OK(mgn_pool_read(pool, st, 2, results));
    if (results[0] != NULL && results[1] != NULL) {
        CHECK_OK(mgn_result_row(results[0], 0, &row));
        CHECK(row[0].integer == 2);
        CHECK_OK(mgn_result_row(results[1], 0, &row));
        CHECK(row[0].kind == MGN_TEXT && row[0].len == 3 && memcmp(row[0].data, "one", 3) == 0);
    }
    mgn_result_free(results[0]);
    mgn_result_free(results[1]);
    st[0].sql = "DELETE FROM t";
    CHECK_STATUS(mgn_pool_read(pool, st, 1, NULL), MGN_READ_ONLY);
    CHECK_STATUS(mgn_pool_read(NULL, st, 1, NULL), MGN_INVALID_ARGUMENT);

    CHECK_OK(mgn_pool_close(pool, 1000));
    CHECK_OK(mgn_pool_is_closed(pool, &closed));
    CHECK(closed);
    mgn_pool_free(pool);
}

int main(void) {
    mgn_pool_options options;
    mgn_pool *pool = NULL;

    scratch_make();
    scratch_path(db_path, sizeof db_path, "pool.db");
    test_options_and_open_errors();
    test_batches_migrate_closed();

    CHECK_OK(mgn_pool_options_default(&options));
    options.max_readers = 2;
    options.synchronous_full = true;
    CHECK_OK(mgn_pool_shared(db_path, &options, &pool));
    if (pool != NULL) {
        test_statements(pool);
        test_stats_path_shared_close(pool);
    }
    mgn_pool_free(pool);

    /* mgn_pool_open gives an independent pool: the file is still there after close. */
    pool = NULL;
    CHECK_OK(mgn_pool_open(db_path, NULL, &pool));
    if (pool != NULL) {
        mgn_result *result = NULL;
        const mgn_value *row;
        CHECK_OK(mgn_pool_query(pool, "SELECT count(*) FROM users", NULL, NULL, 0, &result));
        CHECK_OK(mgn_result_row(result, 0, &row));
        CHECK(row[0].integer == 5);
        mgn_result_free(result);
    }
    mgn_pool_free(pool);
    scratch_cleanup();
    return test_summary("test_pool");
}
