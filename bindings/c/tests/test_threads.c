/* One pool and one hasher used from several pthreads at once, and the pool's timeout paths
 * (MGN_POOL_TIMEOUT on acquire and on close), which need a second thread holding a
 * connection. */
#include "test_util.h"

#include <pthread.h>
#include <time.h>

#define THREADS 4
#define INSERTS_PER_THREAD 25

static mgn_pool *shared_pool;
static mgn_hasher *shared_hasher;
static int thread_failures[THREADS];

static void *worker(void *arg) {
    int id = *(int *)arg;
    int i;
    bool valid_unused = false;
    for (i = 0; i < INSERTS_PER_THREAD; i++) {
        mgn_value params[2];
        mgn_result *result = NULL;
        const mgn_value *row;
        params[0] = int_value(id);
        params[1] = int_value(i);
        if (mgn_pool_execute(shared_pool, "INSERT INTO events (thread, seq) VALUES (?, ?)",
                             params, NULL, 2, NULL) != MGN_OK) {
            fprintf(stderr, "thread %d insert: %s\n", id, mgn_last_error_message());
            thread_failures[id]++;
            continue;
        }
        /* Our own writes are visible to our next read (read-your-writes through WAL). */
        if (mgn_pool_query(shared_pool, "SELECT count(*) FROM events WHERE thread = ?", params,
                           NULL, 1, &result) != MGN_OK ||
            mgn_result_row(result, 0, &row) != MGN_OK || row[0].integer != i + 1) {
            fprintf(stderr, "thread %d read: %s\n", id, mgn_last_error_message());
            thread_failures[id]++;
        }
        mgn_result_free(result);
    }
    /* The hasher is immutable: hash and verify concurrently with the other threads. */
    for (i = 0; i < 3; i++) {
        char password[32];
        char *hash = NULL;
        bool valid = false, wrong = true;
        snprintf(password, sizeof password, "thread %d pw %d", id, i);
        if (mgn_hasher_hash(shared_hasher, password, &hash) != MGN_OK ||
            mgn_hasher_verify(shared_hasher, password, hash, &valid) != MGN_OK ||
            mgn_hasher_verify(shared_hasher, "other", hash, &wrong) != MGN_OK || !valid ||
            wrong) {
            fprintf(stderr, "thread %d hasher: %s\n", id, mgn_last_error_message());
            thread_failures[id]++;
        }
        mgn_string_free(hash);
    }
    /* Errors are per thread: a failure here does not disturb the others' messages. */
    if (mgn_hasher_verify(shared_hasher, "pw", "not a hash", &valid_unused) != MGN_INVALID_HASH ||
        strstr(mgn_last_error_message(), "hash") == NULL) {
        thread_failures[id]++;
    }
    return NULL;
}

static void test_concurrent_pool(void) {
    pthread_t threads[THREADS];
    int ids[THREADS];
    int i;
    mgn_result *result = NULL;
    const mgn_value *row;
    mgn_pool_stats stats;

    CHECK_OK(mgn_pool_execute(shared_pool,
                              "CREATE TABLE events (thread INTEGER NOT NULL, seq INTEGER NOT "
                              "NULL)",
                              NULL, NULL, 0, NULL));
    for (i = 0; i < THREADS; i++) {
        ids[i] = i;
        CHECK(pthread_create(&threads[i], NULL, worker, &ids[i]) == 0);
    }
    for (i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(thread_failures[i] == 0);
    }
    CHECK_OK(mgn_pool_query(shared_pool, "SELECT count(*), count(DISTINCT thread) FROM events",
                            NULL, NULL, 0, &result));
    CHECK_OK(mgn_result_row(result, 0, &row));
    CHECK(row[0].integer == THREADS * INSERTS_PER_THREAD && row[1].integer == THREADS);
    mgn_result_free(result);
    CHECK_OK(mgn_pool_get_stats(shared_pool, &stats));
    CHECK(stats.in_use == 0 && stats.acquires >= 2 * THREADS * INSERTS_PER_THREAD);
}

/* A statement that keeps the writer busy for a while: counts to `n`. */
struct slow_job {
    mgn_pool *pool;
    int64_t n;
    mgn_status status;
};

static void *slow_writer(void *arg) {
    struct slow_job *job = arg;
    mgn_value param = int_value(job->n);
    job->status = mgn_pool_execute(job->pool,
                                   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM "
                                   "c WHERE x < ?) SELECT count(*) FROM c",
                                   &param, NULL, 1, NULL);
    return NULL;
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* Starts a slow write and waits until it holds the writer. Returns 0 if it finished first. */
static int start_slow_writer(pthread_t *thread, struct slow_job *job) {
    mgn_pool_stats stats;
    uint64_t acquires_before;
    if (mgn_pool_get_stats(job->pool, &stats) != MGN_OK) {
        fprintf(stderr, "mgn_pool_get_stats: %s\n", mgn_last_error_message());
        exit(2);
    }
    acquires_before = stats.acquires;
    if (pthread_create(thread, NULL, slow_writer, job) != 0) {
        perror("pthread_create");
        exit(2);
    }
    for (;;) {
        if (mgn_pool_get_stats(job->pool, &stats) != MGN_OK) {
            return 0;
        }
        if (stats.in_use == 1) {
            return 1;
        }
        if (stats.acquires > acquires_before) {
            return 0; /* it already finished */
        }
        sleep_ms(1);
    }
}

static void test_timeouts(const char *path) {
    mgn_pool_options options;
    mgn_pool *pool = NULL;
    mgn_pool_stats stats;
    pthread_t thread;
    struct slow_job job;
    mgn_status status = MGN_OK;
    int64_t n;

    CHECK_OK(mgn_pool_options_default(&options));
    options.acquire_timeout_ms = 1;
    CHECK_OK(mgn_pool_open(path, &options, &pool));
    if (pool == NULL) {
        return;
    }
    /* The writer must still be busy when the second write gives up after 1 ms; grow the
     * slow statement until it is (valgrind slows everything down by a varying factor). */
    for (n = 100000; n <= 100000000; n *= 10) {
        job.pool = pool;
        job.n = n;
        job.status = MGN_OK;
        if (start_slow_writer(&thread, &job)) {
            status = mgn_pool_execute(pool, "SELECT 1", NULL, NULL, 0, NULL);
        } else {
            status = MGN_OK;
        }
        pthread_join(thread, NULL);
        CHECK_OK(job.status);
        if (status == MGN_POOL_TIMEOUT) {
            break;
        }
    }
    CHECK_STATUS(status, MGN_POOL_TIMEOUT);
    CHECK_MESSAGE("timed out");
    CHECK_OK(mgn_pool_get_stats(pool, &stats));
    CHECK(stats.acquire_timeouts >= 1);

    /* Closing while a connection is in use: MGN_POOL_TIMEOUT, and the pool is closed. */
    status = MGN_OK;
    for (n = 100000; n <= 100000000; n *= 10) {
        job.pool = pool;
        job.n = n;
        if (start_slow_writer(&thread, &job)) {
            status = mgn_pool_close(pool, 1);
            pthread_join(thread, NULL);
            break;
        }
        pthread_join(thread, NULL);
    }
    CHECK_STATUS(status, MGN_POOL_TIMEOUT);
    CHECK_MESSAGE("still in use");
    CHECK_STATUS(mgn_pool_execute(pool, "SELECT 1", NULL, NULL, 0, NULL), MGN_POOL_CLOSED);
    mgn_pool_free(pool);
}

int main(void) {
    char path[512];
    mgn_pool_options options;
    mgn_password_policy policy;

    scratch_make();
    CHECK_OK(mgn_password_policy_default(&policy));
    policy.memory_kib = 64;
    policy.iterations = 1;
    CHECK_OK(mgn_hasher_new(&policy, &shared_hasher));
    CHECK_OK(mgn_pool_options_default(&options));
    options.max_readers = 3;
    CHECK_OK(mgn_pool_open(scratch_path(path, sizeof path, "threads.db"), &options,
                           &shared_pool));
    if (shared_pool != NULL) {
        test_concurrent_pool();
    }
    mgn_pool_free(shared_pool);
    mgn_hasher_free(shared_hasher);
    test_timeouts(scratch_path(path, sizeof path, "timeouts.db"));
    scratch_cleanup();
    return test_summary("test_threads");
}
