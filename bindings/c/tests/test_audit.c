/* Audit log: open with a key or a passphrase, record, query with filters, verify, heads,
 * batched writes, JSONL export, purge, key rotation, and the error paths: NULL, invalid UTF-8 and JSON, weak and wrong keys,
 * tampered fields, deleted and truncated events. */
#include "test_util.h"

static const uint8_t KEY[32] = {0x3c, 0x91, 0x5e, 0x07, 0xa2, 0x44, 0xd8, 0x1b,
                                0x6f, 0xc3, 0x2a, 0x90, 0x5d, 0xe1, 0x78, 0x0e,
                                0x99, 0x14, 0xbb, 0x62, 0x3f, 0xd0, 0x85, 0x27,
                                0x4c, 0xfa, 0x11, 0x6b, 0xe9, 0x30, 0xa7, 0x58};
static const uint8_t OTHER_KEY[32] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                      0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01,
                                      0x12, 0x23, 0x34, 0x45, 0x56, 0x67, 0x78, 0x89,
                                      0x9a, 0xab, 0xbc, 0xcd, 0xde, 0xef, 0xf0, 0x02};

static mgn_pool *open_pool(const char *name) {
    char path[512];
    mgn_pool *pool = NULL;
    CHECK_OK(mgn_pool_open(scratch_path(path, sizeof path, name), NULL, &pool));
    return pool;
}

static mgn_audit_event event(const char *action, const char *user) {
    mgn_audit_event e;
    memset(&e, 0, sizeof e);
    e.action = action;
    e.user_id = user;
    return e;
}

static size_t query_count(mgn_audit *audit, const mgn_audit_filter *filter) {
    mgn_audit_events *events = NULL;
    size_t n = 0;
    CHECK_OK(mgn_audit_query(audit, filter, &events));
    CHECK_OK(mgn_audit_events_count(events, &n));
    mgn_audit_events_free(events);
    return n;
}

static void test_record_query_verify(void) {
    mgn_pool *pool = open_pool("audit.db");
    mgn_audit_options o;
    mgn_audit *audit = NULL, *other = NULL;
    mgn_audit_event e = event("login", "alice");
    mgn_audit_filter f;
    mgn_audit_events *events = NULL;
    mgn_audit_record_view v;
    mgn_audit_report report;
    char *id = NULL, *chain = NULL;
    uint64_t count = 0, seq = 0;
    size_t n = 0;
    static const uint8_t zeros[32] = {0};

    CHECK_OK(mgn_audit_options_default(&o));
    CHECK(!o.batched && o.queue_capacity == 65536 && o.max_batch == 8192);
    CHECK_STATUS(mgn_audit_options_default(NULL), MGN_INVALID_ARGUMENT);

    CHECK_STATUS(mgn_audit_open(pool, KEY, 16, NULL, &audit), MGN_INVALID_KEY);
    CHECK_MESSAGE("32 bytes");
    CHECK_STATUS(mgn_audit_open(pool, zeros, 32, NULL, &audit), MGN_INVALID_KEY);
    CHECK_MESSAGE("too weak");
    CHECK_STATUS(mgn_audit_open(pool, NULL, 32, NULL, &audit), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_open(NULL, KEY, 32, NULL, &audit), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_open(pool, KEY, 32, NULL, NULL), MGN_INVALID_ARGUMENT);
    CHECK(audit == NULL);
    CHECK_OK(mgn_audit_open(pool, KEY, 32, &o, &audit));
    if (audit == NULL) {
        mgn_pool_free(pool);
        return;
    }

    /* Record: a full event, then a minimal one, then another user. */
    e.resource_type = "document";
    e.resource_id = "doc-42";
    e.status = "success";
    e.ip = "203.0.113.7";
    e.user_agent = "curl/8.0";
    e.details_json = "{ \"mfa\": true, \"attempt\": 1 }";
    CHECK_OK(mgn_audit_record(audit, &e, &id));
    CHECK(id != NULL && strlen(id) == 36 && id[8] == '-');
    e = event("logout", "alice");
    CHECK_OK(mgn_audit_record(audit, &e, NULL));
    e = event("login", "bob");
    CHECK_OK(mgn_audit_record(audit, &e, NULL));
    CHECK_OK(mgn_audit_count(audit, &count));
    CHECK(count == 3);

    /* Record errors. */
    e = event("login", "carol");
    e.details_json = "{not json";
    CHECK_STATUS(mgn_audit_record(audit, &e, NULL), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("details_json is not valid JSON");
    e = event("", "carol");
    CHECK_STATUS(mgn_audit_record(audit, &e, NULL), MGN_INVALID_ARGUMENT);
    e = event(NULL, "carol");
    CHECK_STATUS(mgn_audit_record(audit, &e, NULL), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("event.action is NULL");
    e = event("login", "caro\xffl");
    CHECK_STATUS(mgn_audit_record(audit, &e, NULL), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("event.user_id is not valid UTF-8");
    CHECK_STATUS(mgn_audit_record(audit, NULL, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_record(NULL, &e, NULL), MGN_INVALID_ARGUMENT);
    CHECK_OK(mgn_audit_count(audit, &count));
    CHECK(count == 3);

    /* Query everything, then by user, action, paging and order. */
    CHECK_OK(mgn_audit_query(audit, NULL, &events));
    CHECK_OK(mgn_audit_events_count(events, &n));
    CHECK(n == 3);
    CHECK_OK(mgn_audit_events_get(events, 0, &v));
    CHECK(v.seq == 1 && strcmp(v.event_id, id) == 0 && strcmp(v.action, "login") == 0);
    CHECK(strcmp(v.user_id, "alice") == 0 && strcmp(v.resource_type, "document") == 0 &&
          strcmp(v.resource_id, "doc-42") == 0 && strcmp(v.status, "success") == 0 &&
          strcmp(v.ip, "203.0.113.7") == 0 && strcmp(v.user_agent, "curl/8.0") == 0);
    CHECK(v.details_json != NULL && strstr(v.details_json, "\"mfa\":true") != NULL);
    CHECK(v.timestamp_ms > 1600000000000LL && v.key_id == 1);
    CHECK_OK(mgn_audit_events_get(events, 1, &v));
    CHECK(v.seq == 2 && v.status == NULL && v.details_json == NULL && v.ip == NULL);
    CHECK_STATUS(mgn_audit_events_get(events, 3, &v), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("out of range");
    CHECK_STATUS(mgn_audit_events_get(NULL, 0, &v), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_events_get(events, 0, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_events_count(NULL, &n), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_events_count(events, NULL), MGN_INVALID_ARGUMENT);
    mgn_audit_events_free(events);
    mgn_audit_events_free(NULL);

    memset(&f, 0, sizeof f);
    f.user_id = "alice";
    CHECK(query_count(audit, &f) == 2);
    f.action = "login";
    CHECK(query_count(audit, &f) == 1);
    memset(&f, 0, sizeof f);
    f.action = "login";
    CHECK(query_count(audit, &f) == 2);
    f.action = "nothing";
    CHECK(query_count(audit, &f) == 0);
    memset(&f, 0, sizeof f);
    f.limit = 1;
    f.offset = 1;
    f.descending = true;
    CHECK_OK(mgn_audit_query(audit, &f, &events));
    CHECK_OK(mgn_audit_events_count(events, &n));
    CHECK_OK(mgn_audit_events_get(events, 0, &v));
    CHECK(n == 1 && v.seq == 2);
    mgn_audit_events_free(events);
    memset(&f, 0, sizeof f);
    f.has_until = true;
    f.until_ms = 0;
    CHECK(query_count(audit, &f) == 0);
    f.has_until = false;
    f.has_since = true;
    f.since_ms = 0;
    CHECK(query_count(audit, &f) == 3);
    f.user_id = "\xfe";
    events = NULL;
    CHECK_STATUS(mgn_audit_query(audit, &f, &events), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_query(NULL, NULL, &events), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_query(audit, NULL, NULL), MGN_INVALID_ARGUMENT);
    CHECK(events == NULL);

    /* Verify, and record the head. */
    CHECK_OK(mgn_audit_verify(audit, &report));
    CHECK(report.ok && report.checked == 3 && report.problem == MGN_AUDIT_OK &&
          report.problem_detail == NULL);
    mgn_audit_report_clear(&report);
    CHECK_OK(mgn_audit_head(audit, &seq, &chain));
    CHECK(seq == 3 && chain != NULL && strlen(chain) == 64);
    CHECK_OK(mgn_audit_verify_against(audit, seq, chain, &report));
    CHECK(report.ok);
    mgn_audit_report_clear(&report);
    CHECK_STATUS(mgn_audit_verify_against(audit, seq, "xyz", &report), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_verify_against(audit, seq, NULL, &report), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_verify(NULL, &report), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_verify(audit, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_head(audit, NULL, &chain), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_head(audit, &seq, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_count(NULL, &count), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_count(audit, NULL), MGN_INVALID_ARGUMENT);

    /* The wrong key is refused. */
    CHECK_STATUS(mgn_audit_open(pool, OTHER_KEY, 32, NULL, &other), MGN_WRONG_KEY);
    CHECK_MESSAGE("does not match");
    CHECK(other == NULL);

    /* Truncation: a valid chain remains, but not the recorded head. */
    CHECK_OK(mgn_pool_execute(pool, "DELETE FROM audit_events WHERE seq = 3", NULL, NULL, 0, NULL));
    CHECK_OK(mgn_audit_verify(audit, &report));
    CHECK(report.ok && report.checked == 2);
    mgn_audit_report_clear(&report);
    CHECK_OK(mgn_audit_verify_against(audit, seq, chain, &report));
    CHECK(!report.ok && report.problem == MGN_AUDIT_TRUNCATED && report.problem_detail != NULL);
    mgn_audit_report_clear(&report);

    /* Ciphertexts moved from another event (the sealed fields of event 2 copied over
     * event 1's; same key): the associated data binds each field to its event, so verify
     * reports the first field and queries refuse the row. */
    CHECK_OK(mgn_pool_execute(pool,
                              "UPDATE audit_events SET fields = (SELECT fields FROM "
                              "audit_events WHERE seq = 2) WHERE seq = 1",
                              NULL, NULL, 0, NULL));
    CHECK_OK(mgn_audit_verify(audit, &report));
    CHECK(!report.ok && report.problem == MGN_AUDIT_FIELD_TAMPERED && report.problem_seq == 1);
    if (report.problem != MGN_AUDIT_FIELD_TAMPERED) {
        fprintf(stderr, "  problem %u at %llu: %s\n", (unsigned)report.problem,
                (unsigned long long)report.problem_seq,
                report.problem_detail ? report.problem_detail : "(none)");
    }
    CHECK(report.problem_detail != NULL && strstr(report.problem_detail, "field action") != NULL &&
          strstr(report.problem_detail, "moved from another event") != NULL);
    CHECK(report.problem_event_id == NULL || strcmp(report.problem_event_id, id) == 0);
    mgn_audit_report_clear(&report);
    CHECK(report.problem_detail == NULL);
    mgn_audit_report_clear(&report);
    mgn_audit_report_clear(NULL);
    events = NULL;
    CHECK_STATUS(mgn_audit_query(audit, NULL, &events), MGN_TAMPERED);
    CHECK_MESSAGE("field action");
    CHECK(events == NULL);

    /* Deleting from the middle. */
    CHECK_OK(mgn_pool_execute(pool, "DELETE FROM audit_events WHERE seq = 1", NULL, NULL, 0, NULL));
    CHECK_OK(mgn_audit_verify(audit, &report));
    CHECK(!report.ok && report.problem == MGN_AUDIT_MISSING_EVENTS);
    mgn_audit_report_clear(&report);

    mgn_string_free(id);
    mgn_string_free(chain);
    CHECK_OK(mgn_audit_close(audit));
    CHECK_OK(mgn_audit_close(audit));
    e = event("late", NULL);
    CHECK_STATUS(mgn_audit_record(audit, &e, NULL), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("closed");
    CHECK_STATUS(mgn_audit_close(NULL), MGN_INVALID_ARGUMENT);
    mgn_audit_free(audit);
    mgn_audit_free(NULL);
    mgn_pool_free(pool);
}

static void test_batched(void) {
    mgn_pool *pool = open_pool("batched.db");
    mgn_audit_options o;
    mgn_audit *audit = NULL;
    mgn_audit_event e = event("page.view", "alice");
    mgn_audit_report report;
    uint64_t count = 0;
    int i;

    mgn_audit_options_default(&o);
    o.batched = true;
    o.queue_capacity = 16;
    o.max_batch = 4;
    CHECK_OK(mgn_audit_open(pool, KEY, 32, &o, &audit));
    for (i = 0; i < 20; i++) {
        CHECK_OK(mgn_audit_record(audit, &e, NULL));
    }
    CHECK_OK(mgn_audit_flush(audit));
    CHECK_OK(mgn_audit_count(audit, &count));
    CHECK(count == 20);
    CHECK_OK(mgn_audit_verify(audit, &report));
    CHECK(report.ok && report.checked == 20);
    mgn_audit_report_clear(&report);
    CHECK_STATUS(mgn_audit_flush(NULL), MGN_INVALID_ARGUMENT);
    /* Freed with events still queued: they are committed first. */
    for (i = 0; i < 5; i++) {
        CHECK_OK(mgn_audit_record(audit, &e, NULL));
    }
    mgn_audit_free(audit);
    audit = NULL;
    o.queue_capacity = 0;
    CHECK_STATUS(mgn_audit_open(pool, KEY, 32, &o, &audit), MGN_INVALID_CONFIG);
    CHECK_OK(mgn_audit_open(pool, KEY, 32, NULL, &audit));
    CHECK_OK(mgn_audit_count(audit, &count));
    CHECK(count == 25);
    mgn_audit_free(audit);
    mgn_pool_free(pool);
}

static void test_passphrase(void) {
    mgn_pool *pool = open_pool("passphrase.db");
    mgn_audit *audit = NULL;
    mgn_audit_event e = event("login", "alice");
    uint64_t count = 0;

    CHECK_STATUS(mgn_audit_open_passphrase(pool, "short", NULL, &audit), MGN_INVALID_KEY);
    CHECK_STATUS(mgn_audit_open_passphrase(pool, NULL, NULL, &audit), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_open_passphrase(pool, "\xff\xfe", NULL, &audit), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_open_passphrase(NULL, "x", NULL, &audit), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_open_passphrase(pool, "x", NULL, NULL), MGN_INVALID_ARGUMENT);
    /* 600,000 PBKDF2 iterations per open take minutes under valgrind's emulation of a
     * debug build: the key derivation itself runs natively only. */
    if (getenv("MGN_UNDER_VALGRIND") != NULL) {
        mgn_pool_free(pool);
        return;
    }
    CHECK_OK(mgn_audit_open_passphrase(pool, "correct horse battery staple", NULL, &audit));
    CHECK_OK(mgn_audit_record(audit, &e, NULL));
    mgn_audit_free(audit);
    audit = NULL;
    CHECK_STATUS(mgn_audit_open_passphrase(pool, "incorrect horse battery staple", NULL, &audit),
                 MGN_WRONG_KEY);
    CHECK(audit == NULL);
    CHECK_OK(mgn_audit_open_passphrase(pool, "correct horse battery staple", NULL, &audit));
    CHECK_OK(mgn_audit_count(audit, &count));
    CHECK(count == 1);
    mgn_audit_free(audit);
    mgn_pool_free(pool);
}

static void test_export_and_purge(void) {
    mgn_pool *pool = open_pool("export.db");
    mgn_audit *audit = NULL;
    mgn_audit_event e;
    mgn_audit_filter f;
    mgn_audit_report report;
    char path[512], missing[512], line[4096];
    uint64_t n = 0;
    size_t lines = 0, alice = 0;
    FILE *file;
    const char *users[3] = {"alice", "bob", "alice"};

    CHECK_OK(mgn_audit_open(pool, KEY, 32, NULL, &audit));
    for (int i = 0; i < 3; i++) {
        e = event("login", users[i]);
        CHECK_OK(mgn_audit_record(audit, &e, NULL));
    }

    /* Export: alice's events, one JSON object per line. */
    memset(&f, 0, sizeof f);
    f.user_id = "alice";
    scratch_path(path, sizeof path, "alice.jsonl");
    CHECK_OK(mgn_audit_export_jsonl(audit, &f, path, &n));
    CHECK(n == 2);
    file = fopen(path, "r");
    CHECK(file != NULL);
    while (file != NULL && fgets(line, sizeof line, file) != NULL) {
        lines++;
        alice += strstr(line, "\"user_id\":\"alice\"") != NULL && line[0] == '{';
    }
    if (file != NULL) fclose(file);
    CHECK(lines == 2 && alice == 2);
    /* An existing file is never replaced. */
    CHECK_STATUS(mgn_audit_export_jsonl(audit, NULL, path, NULL), MGN_IO);
    CHECK_MESSAGE("already exists");
    /* ...unless asked: then all three events replace the two. */
    CHECK_OK(mgn_audit_export_jsonl_replacing(audit, NULL, path, &n));
    CHECK(n == 3);
    CHECK_STATUS(mgn_audit_export_jsonl_replacing(NULL, NULL, path, &n), MGN_INVALID_ARGUMENT);
    CHECK(remove(path) == 0);
    CHECK_OK(mgn_audit_export_jsonl(audit, NULL, path, NULL));
    scratch_path(missing, sizeof missing, "no-such-dir/all.jsonl");
    CHECK_STATUS(mgn_audit_export_jsonl(audit, NULL, missing, &n), MGN_IO);
    CHECK_MESSAGE("no-such-dir");
    CHECK_STATUS(mgn_audit_export_jsonl(audit, NULL, NULL, &n), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_export_jsonl(NULL, NULL, path, &n), MGN_INVALID_ARGUMENT);

    /* Purge: nothing before the epoch, everything before the end of time; the anchor
     * keeps the (empty) chain verifiable and the next event continues it. */
    CHECK_OK(mgn_audit_purge_before(audit, 0, &n));
    CHECK(n == 0);
    CHECK_OK(mgn_audit_purge_before(audit, INT64_MAX, &n));
    CHECK(n == 3);
    CHECK_OK(mgn_audit_count(audit, &n));
    CHECK(n == 0);
    CHECK_OK(mgn_audit_purge_before(audit, INT64_MAX, NULL));
    e = event("login", "carol");
    CHECK_OK(mgn_audit_record(audit, &e, NULL));
    CHECK_OK(mgn_audit_verify(audit, &report));
    CHECK(report.ok && report.checked == 1);
    mgn_audit_report_clear(&report);
    CHECK_STATUS(mgn_audit_purge_before(NULL, 0, &n), MGN_INVALID_ARGUMENT);

    mgn_audit_free(audit);
    mgn_pool_free(pool);
}

static void test_key_rotation(void) {
    mgn_pool *pool = open_pool("rotate.db");
    mgn_audit *audit = NULL;
    mgn_audit_options o;
    mgn_audit_event e = event("login", "alice");
    mgn_audit_reencrypt_progress p;
    mgn_audit_report report;
    mgn_audit_events *events = NULL;
    uint32_t id = 0;
    uint64_t total = 0;
    int calls = 0;

    CHECK_OK(mgn_audit_open(pool, KEY, 32, NULL, &audit));
    for (int i = 0; i < 5; i++) CHECK_OK(mgn_audit_record(audit, &e, NULL));
    CHECK_OK(mgn_audit_current_key_id(audit, &id));
    CHECK(id == 1);
    CHECK_OK(mgn_audit_rotate_key(audit, OTHER_KEY, 32, &id));
    CHECK(id == 2);
    CHECK_STATUS(mgn_audit_rotate_key(audit, OTHER_KEY, 32, NULL), MGN_INVALID_KEY);
    CHECK_MESSAGE("already key id 2");
    CHECK_STATUS(mgn_audit_rotate_key(audit, KEY, 16, NULL), MGN_INVALID_KEY);
    CHECK_OK(mgn_audit_record(audit, &e, NULL)); /* under the new key */
    mgn_audit_free(audit);
    audit = NULL;

    /* After a restart: the new key alone cannot read the old events. */
    CHECK_OK(mgn_audit_open(pool, OTHER_KEY, 32, NULL, &audit));
    CHECK_STATUS(mgn_audit_query(audit, NULL, &events), MGN_INVALID_KEY);
    CHECK_MESSAGE("previous_keys");
    CHECK_STATUS(mgn_audit_reencrypt(audit, 2, &p), MGN_INVALID_KEY);
    mgn_audit_free(audit);
    audit = NULL;

    /* With the old key as a previous key: re-encrypt in batches, then retire it. */
    CHECK_OK(mgn_audit_options_default(&o));
    CHECK(o.previous_keys == NULL && o.previous_keys_count == 0);
    o.previous_keys_count = 1;
    CHECK_STATUS(mgn_audit_open(pool, OTHER_KEY, 32, &o, &audit), MGN_INVALID_ARGUMENT);
    CHECK(audit == NULL);
    o.previous_keys = KEY;
    CHECK_OK(mgn_audit_open(pool, OTHER_KEY, 32, &o, &audit));
    CHECK(query_count(audit, NULL) == 6);
    CHECK_STATUS(mgn_audit_reencrypt(audit, 0, &p), MGN_INVALID_ARGUMENT);
    do {
        CHECK_OK(mgn_audit_reencrypt(audit, 2, &p));
        total += p.reencrypted;
        calls++;
    } while (!p.done && calls < 10);
    CHECK(p.done && p.remaining == 0 && total == 5 && calls == 3);
    CHECK_OK(mgn_audit_reencrypt(audit, 2, NULL));
    CHECK_STATUS(mgn_audit_retire_key(audit, 2), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("current key");
    CHECK_OK(mgn_audit_retire_key(audit, 1));
    CHECK_STATUS(mgn_audit_retire_key(audit, 1), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_retire_key(NULL, 1), MGN_INVALID_ARGUMENT);
    mgn_audit_free(audit);
    audit = NULL;

    /* The old key no longer opens the log; the new one reads and verifies everything. */
    CHECK_STATUS(mgn_audit_open(pool, KEY, 32, NULL, &audit), MGN_WRONG_KEY);
    CHECK_OK(mgn_audit_open(pool, OTHER_KEY, 32, NULL, &audit));
    CHECK_OK(mgn_audit_verify(audit, &report));
    CHECK(report.ok && report.checked == 6);
    mgn_audit_report_clear(&report);
    mgn_audit_free(audit);
    mgn_pool_free(pool);
}

/* The problem kinds added for issue #17 reach C: search data that disagrees with the
 * events, and a head older than the purge anchor. */
static void test_lookup_and_unconfirmable_head(void) {
    mgn_pool *pool = open_pool("kinds.db");
    mgn_audit *audit = NULL;
    mgn_audit_event e = event("login", "alice");
    mgn_audit_report report;
    uint64_t seq = 0, n = 0;
    char *chain = NULL;

    CHECK_OK(mgn_audit_open(pool, KEY, 32, NULL, &audit));
    CHECK_OK(mgn_audit_record(audit, &e, NULL));
    CHECK_OK(mgn_audit_record(audit, &e, NULL));
    CHECK_OK(mgn_audit_head(audit, &seq, &chain));
    CHECK_OK(mgn_audit_record(audit, &e, NULL));

    CHECK_OK(mgn_pool_execute(pool, "UPDATE audit_events SET user_idx = user_idx + 1 WHERE seq = 1",
                              NULL, NULL, 0, NULL));
    CHECK_OK(mgn_audit_verify(audit, &report));
    CHECK(!report.ok && report.problem == MGN_AUDIT_LOOKUP_MISMATCH && report.problem_seq == 1);
    mgn_audit_report_clear(&report);
    CHECK_OK(mgn_pool_execute(pool, "UPDATE audit_events SET user_idx = user_idx - 1 WHERE seq = 1",
                              NULL, NULL, 0, NULL));

    CHECK_OK(mgn_audit_purge_before(audit, INT64_MAX, &n));
    CHECK(n == 3);
    CHECK_OK(mgn_audit_verify_against(audit, seq, chain, &report));
    CHECK(!report.ok && report.problem == MGN_AUDIT_HEAD_UNCONFIRMABLE);
    mgn_audit_report_clear(&report);

    mgn_string_free(chain);
    mgn_audit_free(audit);
    mgn_pool_free(pool);
}

/* exists, is_batched, key ids, the passphrase key and the whole rotation workflow. */
static void test_rotation_workflow(void) {
    mgn_pool *pool = open_pool("workflow.db");
    mgn_audit_options o;
    mgn_audit *audit = NULL;
    mgn_audit_event e = event("login", "alice");
    mgn_audit_rotation_report r;
    uint32_t ids[4] = {0, 0, 0, 0};
    size_t n = 99;
    bool flag = true;
    uint8_t derived[32];
    int i;

    CHECK_OK(mgn_audit_exists(pool, &flag));
    CHECK(!flag);
    CHECK_STATUS(mgn_audit_exists(NULL, &flag), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_exists(pool, NULL), MGN_INVALID_ARGUMENT);
    mgn_audit_options_default(&o);
    o.batched = true;
    CHECK_OK(mgn_audit_open(pool, KEY, 32, &o, &audit));
    CHECK_OK(mgn_audit_exists(pool, &flag));
    CHECK(flag);
    CHECK_OK(mgn_audit_is_batched(audit, &flag));
    CHECK(flag);
    CHECK_STATUS(mgn_audit_is_batched(NULL, &flag), MGN_INVALID_ARGUMENT);
    for (i = 0; i < 5; i++) {
        CHECK_OK(mgn_audit_record(audit, &e, NULL));
    }
    CHECK_OK(mgn_audit_key_ids(audit, ids, 4, &n));
    CHECK(n == 1 && ids[0] == 1);
    CHECK_OK(mgn_audit_key_ids(audit, NULL, 0, &n));
    CHECK(n == 1);
    CHECK_STATUS(mgn_audit_key_ids(audit, NULL, 4, &n), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_key_ids(audit, ids, 4, NULL), MGN_INVALID_ARGUMENT);
    mgn_audit_free(audit);
    audit = NULL;

    CHECK_STATUS(mgn_audit_rotate_and_reencrypt(pool, KEY, 32, OTHER_KEY, 32, 0, true, &r),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_rotate_and_reencrypt(pool, NULL, 32, OTHER_KEY, 32, 2, true, &r),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_rotate_and_reencrypt(pool, OTHER_KEY, 32, KEY, 16, 2, true, &r),
                 MGN_INVALID_KEY);
    CHECK_OK(mgn_audit_rotate_and_reencrypt(pool, KEY, 32, OTHER_KEY, 32, 2, true, &r));
    CHECK(r.old_key_id == 1 && r.new_key_id == 2 && r.reencrypted == 5 && r.old_key_retired &&
          !r.resumed);
    CHECK_STATUS(mgn_audit_open(pool, KEY, 32, NULL, &audit), MGN_WRONG_KEY);
    CHECK_OK(mgn_audit_open(pool, OTHER_KEY, 32, NULL, &audit));
    CHECK_OK(mgn_audit_key_ids(audit, ids, 4, &n));
    CHECK(n == 1 && ids[0] == 2);
    mgn_audit_free(audit);

    CHECK_STATUS(mgn_audit_key_for_passphrase(pool, "short", derived), MGN_INVALID_KEY);
    CHECK_STATUS(mgn_audit_key_for_passphrase(pool, "correct horse battery staple", NULL),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_key_for_passphrase(NULL, "correct horse battery staple", derived),
                 MGN_INVALID_ARGUMENT);
    mgn_pool_free(pool);
}

int main(void) {
    scratch_make();
    test_key_rotation();
    test_rotation_workflow();
    test_record_query_verify();
    test_batched();
    test_passphrase();
    test_export_and_purge();
    test_lookup_and_unconfirmable_head();
    scratch_cleanup();
    return test_summary("test_audit");
}
