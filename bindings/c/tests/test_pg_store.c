/* PostgreSQL store: options, error paths (refused connection, bad sslmode, NULLs, no
 * password in messages) and, when MAGNETAR_TEST_PG_URL names a server (as under
 * scripts/with-postgres.sh), a session registry on it. */
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

int main(void) {
    const char *url = getenv("MAGNETAR_TEST_PG_URL");
    test_options_and_errors();
    if (url != NULL && url[0] != '\0') {
        test_registry_on_server(url);
    } else {
        fprintf(stderr, "test_pg_store: SKIPPED the server part: MAGNETAR_TEST_PG_URL is unset "
                        "(run under scripts/with-postgres.sh)\n");
    }
    return test_summary("test_pg_store");
}
