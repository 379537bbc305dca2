/* PostgreSQL store: options, error paths (refused connection, bad sslmode, NULLs, no
 * password in messages) and, when MAGNETAR_TEST_PG_URL names a server (as under
 * scripts/with-postgres.sh), a session registry and an audit log on it. */
#include "test_util.h"

#include <stdlib.h>

static const uint8_t KEY[32] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
                                9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};

static void test_options_and_errors(void) {
    mgn_pg_options o;
    mgn_pg_store *store = NULL;
    const char *msg;

    CHECK_OK(mgn_pg_options_default(&o));
    CHECK(o.max_connections == 10 && o.connect_timeout_ms == 5000 && o.attempts == 5 &&
          o.schema == NULL);
    CHECK_STATUS(mgn_pg_options_default(NULL), MGN_INVALID_ARGUMENT);

    o.connect_timeout_ms = 300;
    CHECK_STATUS(mgn_pg_store_open("postgresql://u:hunter2-secret@127.0.0.1:1/db?sslmode=disable",
                                   &o, &store),
                 MGN_UNAVAILABLE);
    CHECK_MESSAGE("unavailable");
    CHECK_MESSAGE("127.0.0.1:1/db");
    msg = mgn_last_error_message();
    CHECK(msg != NULL && strstr(msg, "hunter2") == NULL);
    CHECK(store == NULL);

    CHECK_STATUS(mgn_pg_store_open("postgresql://u@127.0.0.1:1/db?sslmode=sometimes", NULL,
                                   &store),
                 MGN_INVALID_CONFIG);
    CHECK_MESSAGE("sslmode");
    o.schema = "Not A Schema";
    CHECK_STATUS(mgn_pg_store_open("postgresql://u@127.0.0.1:1/db", &o, &store),
                 MGN_INVALID_CONFIG);
    CHECK_MESSAGE("schema");
    CHECK_STATUS(mgn_pg_store_open(NULL, NULL, &store), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_pg_store_open("postgresql://u@h/db", NULL, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_open_store(NULL, KEY, 32, NULL, NULL, NULL), MGN_INVALID_ARGUMENT);
    mgn_pg_store_free(NULL);
}

static void test_registry_on_server(const char *url) {
    mgn_pg_store *store = NULL;
    mgn_sessions *a = NULL, *b = NULL;
    mgn_session_options so;
    mgn_request *r = NULL;
    char *token = NULL, user[64];
    mgn_assessment assessment;
    int i;

    snprintf(user, sizeof user, "c-user-%ld", (long)getpid());
    CHECK_OK(mgn_pg_store_open(url, NULL, &store));
    if (store == NULL) {
        return;
    }
    CHECK_OK(mgn_session_options_default(&so));
    so.max_sessions_per_user = 2;
    so.reject_at_limit = true;
    CHECK_OK(mgn_sessions_open_store(store, KEY, 32, &so, NULL, &a));
    CHECK_OK(mgn_sessions_open_store(store, KEY, 32, &so, NULL, &b));
    /* The registries keep their own reference: the store handle can go first. */
    mgn_pg_store_free(store);
    CHECK_OK(mgn_request_new("203.0.113.7", "curl/8.0", &r));
    if (a == NULL || b == NULL || r == NULL) {
        mgn_sessions_free(a);
        mgn_sessions_free(b);
        mgn_request_free(r);
        return;
    }
    for (i = 0; i < 2; i++) {
        char *t = NULL;
        CHECK_OK(mgn_sessions_create(a, user, r, &t, NULL));
        mgn_string_free(t);
    }
    /* The limit holds across registries (app servers). */
    CHECK_STATUS(mgn_sessions_create(b, user, r, &token, NULL), MGN_SESSION_LIMIT);
    CHECK_OK(mgn_sessions_revoke_all(b, user, "password_changed", NULL));
    CHECK_OK(mgn_sessions_create(b, user, r, &token, NULL));
    CHECK_OK(mgn_sessions_validate(a, token, r, &assessment, NULL));
    mgn_assessment_clear(&assessment);
    CHECK_OK(mgn_sessions_revoke(a, token));
    CHECK_STATUS(mgn_sessions_validate(b, token, r, &assessment, NULL), MGN_SESSION_REVOKED);
    mgn_string_free(token);
    mgn_sessions_free(a);
    mgn_sessions_free(b);
    mgn_request_free(r);
}

static const uint8_t AUDIT_KEY[32] = {0x3c, 0x91, 0x5e, 0x07, 0xa2, 0x44, 0xd8, 0x1b,
                                      0x6f, 0xc3, 0x29, 0x80, 0x5a, 0xe7, 0x12, 0x9d,
                                      0x48, 0xb6, 0x0e, 0x73, 0xf1, 0x2c, 0x95, 0x6a,
                                      0xd4, 0x3b, 0x87, 0x10, 0xce, 0x59, 0xa0, 0x67};

/* Two handles on one schema (two app servers): both extend one chain. */
static void test_audit_on_server(const char *url) {
    mgn_pg_options o;
    mgn_pg_store *store = NULL;
    mgn_audit *a = NULL, *b = NULL;
    mgn_audit_options ao;
    mgn_audit_event e = {0};
    mgn_audit_report report;
    uint64_t n = 0;
    char schema[64];
    int i;

    snprintf(schema, sizeof schema, "c_audit_%ld", (long)getpid());
    CHECK_OK(mgn_pg_options_default(&o));
    o.schema = schema;
    CHECK_OK(mgn_pg_store_open(url, &o, &store));
    if (store == NULL) {
        return;
    }
    CHECK_STATUS(mgn_audit_open_store(store, AUDIT_KEY, 16, NULL, &a), MGN_INVALID_KEY);
    CHECK_STATUS(mgn_audit_open_store(NULL, AUDIT_KEY, 32, NULL, &a), MGN_INVALID_ARGUMENT);
    CHECK_OK(mgn_audit_open_store(store, AUDIT_KEY, 32, NULL, &a));
    CHECK_OK(mgn_audit_options_default(&ao));
    ao.batched = true;
    CHECK_OK(mgn_audit_open_store(store, AUDIT_KEY, 32, &ao, &b));
    mgn_pg_store_free(store);
    if (a == NULL || b == NULL) {
        mgn_audit_free(a);
        mgn_audit_free(b);
        return;
    }
    e.action = "login";
    e.user_id = "alice";
    for (i = 0; i < 50; i++) {
        CHECK_OK(mgn_audit_record(i % 2 ? a : b, &e, NULL));
    }
    CHECK_OK(mgn_audit_flush(b));
    CHECK_OK(mgn_audit_count(a, &n));
    CHECK(n == 50);
    CHECK_OK(mgn_audit_verify(a, &report));
    CHECK(report.ok && report.checked == 50);
    mgn_audit_report_clear(&report);
    mgn_audit_free(a);
    mgn_audit_free(b);
}

int main(void) {
    const char *url = getenv("MAGNETAR_TEST_PG_URL");
    test_options_and_errors();
    if (url != NULL && url[0] != '\0') {
        test_registry_on_server(url);
        test_audit_on_server(url);
    } else {
        fprintf(stderr, "test_pg_store: SKIPPED the server part: MAGNETAR_TEST_PG_URL is unset "
                        "(run under scripts/with-postgres.sh)\n");
    }
    return test_summary("test_pg_store");
}
