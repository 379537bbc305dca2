/* Every count and length a host passes is bounded before the library reads host memory
 * or allocates: absurd values are MGN_INVALID_ARGUMENT with a message naming the argument
 * and its limit, never a read past the buffer, a panic or an aborting allocation. The
 * buffers below are small on purpose: if a bound were missing, valgrind would see the
 * library read past them. Also: costly passwords are refused before any work. */
#include "test_util.h"

#include <stdint.h>
#include <time.h>

static const uint8_t KEY[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const size_t HUGE = SIZE_MAX;

static void test_pool_counts(mgn_pool *pool) {
    mgn_value one = int_value(1);
    mgn_value long_text = text_value("short");
    const char *name = ":x";
    uint64_t affected = 7;

    CHECK_OK(mgn_pool_execute(pool, "CREATE TABLE t (x)", NULL, NULL, 0, NULL));
    CHECK_STATUS(mgn_pool_execute(pool, "INSERT INTO t VALUES (?1)", &one, NULL, HUGE, NULL),
                 MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("params count");
    CHECK_MESSAGE("above the limit 32766");
    CHECK_STATUS(mgn_pool_execute(pool, "INSERT INTO t VALUES (:x)", &one, &name, 40000, NULL),
                 MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("params count");

    /* A length far beyond the 5 bytes really there. */
    long_text.len = HUGE / 2;
    CHECK_STATUS(mgn_pool_execute(pool, "INSERT INTO t VALUES (?1)", &long_text, NULL, 1, NULL),
                 MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("params[0] length");

    /* No parameters but a huge number of sets: the list of sets would not fit in memory. */
    CHECK_STATUS(mgn_pool_execute_many(pool, "INSERT INTO t VALUES (1)", NULL, 0, HUGE, &affected),
                 MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("n_sets");
    CHECK_STATUS(mgn_pool_execute_many(pool, "INSERT INTO t VALUES (?1)", &one, HUGE, 1, &affected),
                 MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("params_per_set");
    CHECK(affected == 7);
    /* Within the bounds it still works. */
    CHECK_OK(mgn_pool_execute_many(pool, "INSERT INTO t VALUES (?1)", &one, 1, 1, &affected));
    CHECK(affected == 1);
}

static void test_policy_counts(void) {
    mgn_password_policy p;
    mgn_pepper pepper;
    const char *digests[1] = {"sha256"};
    mgn_hasher *hasher = NULL;

    CHECK_OK(mgn_password_policy_default(&p));
    p.legacy_digests = digests;
    p.n_legacy_digests = HUGE;
    CHECK_STATUS(mgn_hasher_new(&p, &hasher), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("legacy_digests count");

    CHECK_OK(mgn_password_policy_default(&p));
    pepper.id = "k1";
    pepper.secret = KEY;
    pepper.secret_len = 32;
    p.old_peppers = &pepper;
    p.n_old_peppers = HUGE;
    CHECK_STATUS(mgn_hasher_new(&p, &hasher), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("n_old_peppers");

    CHECK_OK(mgn_password_policy_default(&p));
    pepper.secret_len = HUGE;
    p.pepper = &pepper;
    CHECK_STATUS(mgn_hasher_new(&p, &hasher), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("pepper.secret length");
    CHECK(hasher == NULL);
}

static void test_costly_passwords(void) {
    mgn_hasher *hasher = NULL;
    bool valid = true;
    size_t big = 4u << 20, passphrase = 4000;
    char *password = malloc(big + 1);
    clock_t started;
    /* A forged sha512_crypt hash at the rounds ceiling. */
    const char *forged = "$6$rounds=5000000$saltsalt$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6"
                         "IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1";

    if (password == NULL) {
        CHECK(password != NULL);
        return;
    }
    CHECK_OK(mgn_hasher_new(NULL, &hasher));
    memset(password, 'p', big);
    started = clock();
    /* The 4 MiB client: refused by max_password_bytes. */
    password[big] = '\0';
    CHECK_STATUS(mgn_hasher_verify(hasher, password, forged, &valid), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("max_password_bytes");
    /* A 4000-byte passphrase against the forged hash: minutes of work, refused at once. */
    password[passphrase] = '\0';
    CHECK_STATUS(mgn_hasher_verify(hasher, password, forged, &valid), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("max_length_cost_factor");
    CHECK(strstr(mgn_last_error_message(), "pppp") == NULL);
    CHECK(valid);
    CHECK((double)(clock() - started) / CLOCKS_PER_SEC < 5.0);
    mgn_hasher_free(hasher);
    free(password);
}

struct body_state {
    mgn_status huge_body;
};

static uint32_t huge_body_transport(void *userdata, const char *url, const mgn_http_header *headers,
                                    size_t n_headers, mgn_http_response *response) {
    struct body_state *state = userdata;
    static const uint8_t body[] = "00000:1";
    (void)url;
    (void)headers;
    (void)n_headers;
    mgn_http_response_set_status(response, 200);
    state->huge_body = mgn_http_response_set_body(response, body, HUGE / 4);
    return MGN_OK;
}

static void test_transport_body_length(void) {
    struct body_state state = {MGN_OK};
    mgn_breach_options o;
    mgn_breach *breach = NULL;
    mgn_breach_result r;

    CHECK_OK(mgn_breach_options_default(&o));
    o.retries = 0;
    CHECK_OK(mgn_breach_new_with_transport(&o, huge_body_transport, &state, &breach));
    if (breach == NULL) {
        return;
    }
    CHECK_OK(mgn_breach_check(breach, "password", &r));
    CHECK(state.huge_body == MGN_INVALID_ARGUMENT);
    /* The body was never set: an empty 200 answer, not a match. */
    CHECK(r.verdict != MGN_BREACH_BREACHED);
    mgn_string_free(r.reason);
    mgn_breach_free(breach);
}

static void test_key_lengths_and_audit_counts(mgn_pool *pool) {
    mgn_audit *audit = NULL;
    mgn_sessions *sessions = NULL;
    mgn_audit_options o;

    CHECK_STATUS(mgn_sessions_open(pool, KEY, HUGE, NULL, NULL, &sessions), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("fingerprint_key length");
    CHECK_STATUS(mgn_audit_open(pool, KEY, HUGE, NULL, &audit), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("key length");

    /* A batched writer's queue is allocated up front: 2^40 slots would abort the process. */
    CHECK_OK(mgn_audit_options_default(&o));
    o.batched = true;
    o.queue_capacity = (size_t)1 << 40;
    CHECK_STATUS(mgn_audit_open(pool, KEY, 32, &o, &audit), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("options.queue_capacity");
    CHECK_OK(mgn_audit_options_default(&o));
    o.batched = true;
    o.max_batch = HUGE;
    CHECK_STATUS(mgn_audit_open(pool, KEY, 32, &o, &audit), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("options.max_batch");
    CHECK_OK(mgn_audit_options_default(&o));
    o.previous_keys = KEY;
    o.previous_keys_count = HUGE / 32 + 1;
    CHECK_STATUS(mgn_audit_open(pool, KEY, 32, &o, &audit), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("options.previous_keys_count");
    CHECK(audit == NULL && sessions == NULL);

    CHECK_OK(mgn_audit_open(pool, KEY, 32, NULL, &audit));
    CHECK_STATUS(mgn_audit_reencrypt(audit, HUGE, NULL), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("batch_size");
    CHECK_OK(mgn_audit_reencrypt(audit, 100, NULL));
    mgn_audit_free(audit);
}

int main(void) {
    char path[512];
    mgn_pool *pool = NULL;

    scratch_make();
    CHECK_OK(mgn_pool_open(scratch_path(path, sizeof path, "bounds.db"), NULL, &pool));
    if (pool != NULL) {
        test_pool_counts(pool);
        test_key_lengths_and_audit_counts(pool);
        mgn_pool_free(pool);
    }
    test_policy_counts();
    test_costly_passwords();
    test_transport_body_length();
    scratch_cleanup();
    return test_summary("test_bounds");
}
