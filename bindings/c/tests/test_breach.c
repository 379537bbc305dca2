/* Breach check: options, a host transport written in C (canned padded range bodies,
 * recording what was sent), the built-in transport failing safely, the offline index
 * (build, verify, check, tampering), and every error path. */
#include "test_util.h"

/* SHA-1("password") = 5BAA6 1E4C9B93F3F0682250B6CF8331B7EE68FD8
 * SHA-1("not-breached-magnetar-c-test") = F5E12 B6B42CA22D4DAE1DB926C9C75F086152FDB */
#define PASSWORD_SUFFIX "1E4C9B93F3F0682250B6CF8331B7EE68FD8"
#define CLEAN_PASSWORD "not-breached-magnetar-c-test"
#define CLEAN_SUFFIX "B6B42CA22D4DAE1DB926C9C75F086152FDB"

enum mode { ANSWER, FAIL, HTTP_503, NO_STATUS, BAD_CALLS };

struct transport_state {
    enum mode mode;
    int calls;
    char last_url[256];
    int saw_padding;
    int saw_user_agent;
    int leaked; /* the password or a full hash suffix was in the URL or a header */
    mgn_status bad_calls[4];
};

static int contains(const char *haystack, const char *needle) {
    return haystack != NULL && strstr(haystack, needle) != NULL;
}

static uint32_t fake_transport(void *userdata, const char *url, const mgn_http_header *headers,
                                 size_t n_headers, mgn_http_response *response) {
    struct transport_state *state = userdata;
    size_t i;
    const char *body;
    state->calls++;
    snprintf(state->last_url, sizeof state->last_url, "%s", url);
    state->saw_padding = 0;
    for (i = 0; i < n_headers; i++) {
        if (strcmp(headers[i].name, "Add-Padding") == 0 && strcmp(headers[i].value, "true") == 0) {
            state->saw_padding = 1;
        }
        if (strcmp(headers[i].name, "User-Agent") == 0 && contains(headers[i].value, "c-test")) {
            state->saw_user_agent = 1;
        }
        if (contains(headers[i].value, "password") || contains(headers[i].value, PASSWORD_SUFFIX)) {
            state->leaked = 1;
        }
    }
    if (contains(url, "password") || contains(url, PASSWORD_SUFFIX) || contains(url, CLEAN_SUFFIX)) {
        state->leaked = 1;
    }
    switch (state->mode) {
    case FAIL:
        mgn_http_response_set_error(response, "simulated timeout");
        return MGN_TRANSPORT;
    case HTTP_503:
        mgn_http_response_set_status(response, 503);
        mgn_http_response_set_retry_after(response, "0");
        return MGN_OK;
    case NO_STATUS:
        return MGN_OK;
    case BAD_CALLS:
        state->bad_calls[0] = mgn_http_response_set_status(response, 42);
        state->bad_calls[1] = mgn_http_response_set_body(response, NULL, 3);
        state->bad_calls[2] = mgn_http_response_set_retry_after(response, NULL);
        state->bad_calls[3] = mgn_http_response_set_error(response, "\xff");
        return 12345; /* not a status code: still just a failure */
    case ANSWER:
        break;
    }
    /* Padded range bodies: real rows, and count-0 padding rows that must be ignored. */
    if (contains(url, "/range/5BAA6")) {
        body = "003D68EB55068C33ACE09247EE4C639306B:3\r\n" PASSWORD_SUFFIX ":9659365\r\n"
               "01330C689E5D64F660D6947A93AD634EF8F:0\r\n"
               "FFFF0C689E5D64F660D6947A93AD634EF8F:0";
    } else if (contains(url, "/range/F5E12")) {
        body = "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n" CLEAN_SUFFIX ":0\r\n"
               "FF18A45C4D1DEF81644B54AB7F969B88D65:0";
    } else {
        body = "";
    }
    mgn_http_response_set_status(response, 200);
    mgn_http_response_set_body(response, (const uint8_t *)body, strlen(body));
    return MGN_OK;
}

static mgn_breach_options test_options(void) {
    mgn_breach_options o;
    mgn_breach_options_default(&o);
    o.base_url = "http://range.test/";
    o.user_agent = "magnetar-c-test/1";
    o.retries = 1;
    o.backoff_ms = 1;
    o.backoff_max_ms = 1;
    return o;
}

static void test_options_defaults(void) {
    mgn_breach_options o;
    CHECK_OK(mgn_breach_options_default(&o));
    CHECK(o.online && !o.ntlm && o.base_url == NULL && o.user_agent == NULL &&
          o.offline_index == NULL);
    CHECK(o.retries == 2 && o.cache_size == 10000 && o.timeout_ms == 10000 &&
          o.connect_timeout_ms == 5000 && o.breaker_threshold == 5);
    CHECK_STATUS(mgn_breach_options_default(NULL), MGN_INVALID_ARGUMENT);
}

static void test_host_transport(void) {
    struct transport_state state;
    mgn_breach_options o = test_options();
    mgn_breach *breach = NULL;
    mgn_breach_result r;

    memset(&state, 0, sizeof state);
    CHECK_OK(mgn_breach_new_with_transport(&o, fake_transport, &state, &breach));
    if (breach == NULL) {
        return;
    }
    CHECK_OK(mgn_breach_check(breach, "password", &r));
    CHECK(r.verdict == MGN_BREACH_BREACHED && r.count == 9659365);
    CHECK(r.source == MGN_SOURCE_ONLINE && r.reason == NULL);
    /* Only the 5-character prefix left the process, with padding requested. */
    CHECK(strcmp(state.last_url, "http://range.test/range/5BAA6") == 0);
    CHECK(state.saw_padding && state.saw_user_agent && !state.leaked);
    CHECK(state.calls == 1);

    /* Cached: no second request. */
    CHECK_OK(mgn_breach_check(breach, "password", &r));
    CHECK(r.verdict == MGN_BREACH_BREACHED && r.source == MGN_SOURCE_CACHE && state.calls == 1);

    /* The password's own suffix as a count-0 padding row is not a match. */
    CHECK_OK(mgn_breach_check(breach, CLEAN_PASSWORD, &r));
    CHECK(r.verdict == MGN_BREACH_NOT_FOUND && r.count == 0 && r.source == MGN_SOURCE_ONLINE);
    CHECK(strcmp(state.last_url, "http://range.test/range/F5E12") == 0 && !state.leaked);

    /* A transport failure is UNKNOWN (never NOT_FOUND), after the configured retry. */
    state.mode = FAIL;
    state.calls = 0;
    CHECK_OK(mgn_breach_check(breach, "another password", &r));
    CHECK(r.verdict == MGN_BREACH_UNKNOWN && r.source == MGN_SOURCE_ONLINE);
    CHECK(contains(r.reason, "simulated timeout") && contains(r.reason, "MGN_TRANSPORT"));
    CHECK(state.calls == 2);
    mgn_string_free(r.reason);

    state.mode = HTTP_503;
    CHECK_OK(mgn_breach_check(breach, "yet another password", &r));
    CHECK(r.verdict == MGN_BREACH_UNKNOWN && contains(r.reason, "503"));
    mgn_string_free(r.reason);

    state.mode = NO_STATUS;
    CHECK_OK(mgn_breach_check(breach, "a fourth password", &r));
    CHECK(r.verdict == MGN_BREACH_UNKNOWN && contains(r.reason, "without setting a status"));
    mgn_string_free(r.reason);

    state.mode = BAD_CALLS;
    CHECK_OK(mgn_breach_check(breach, "a fifth password", &r));
    CHECK(r.verdict == MGN_BREACH_UNKNOWN && contains(r.reason, "MGN_UNKNOWN"));
    mgn_string_free(r.reason);
    CHECK(state.bad_calls[0] == MGN_INVALID_ARGUMENT && state.bad_calls[1] == MGN_INVALID_ARGUMENT &&
          state.bad_calls[2] == MGN_INVALID_ARGUMENT && state.bad_calls[3] == MGN_INVALID_ARGUMENT);
    /* The nested failures do not leak into this thread's message after a successful call. */
    CHECK(strcmp(mgn_last_error_message(), "") == 0);

    /* Argument errors. */
    CHECK_STATUS(mgn_breach_check(NULL, "x", &r), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_breach_check(breach, NULL, &r), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("password is NULL");
    CHECK_STATUS(mgn_breach_check(breach, "\xc3\x28", &r), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("not valid UTF-8");
    CHECK_STATUS(mgn_breach_check(breach, "x", NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_http_response_set_status(NULL, 200), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_http_response_set_body(NULL, NULL, 0), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_http_response_set_retry_after(NULL, "1"), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_http_response_set_error(NULL, "x"), MGN_INVALID_ARGUMENT);
    mgn_breach_free(breach);

    breach = NULL;
    CHECK_STATUS(mgn_breach_new_with_transport(&o, NULL, &state, &breach), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("transport is NULL");
    CHECK_STATUS(mgn_breach_new_with_transport(&o, fake_transport, &state, NULL),
                 MGN_INVALID_ARGUMENT);
    o.base_url = "ftp://x";
    CHECK_STATUS(mgn_breach_new_with_transport(&o, fake_transport, &state, &breach),
                 MGN_INVALID_CONFIG);
    CHECK_MESSAGE("base_url");
    o.base_url = "http://\xff";
    CHECK_STATUS(mgn_breach_new_with_transport(&o, fake_transport, &state, &breach),
                 MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("options.base_url is not valid UTF-8");
    CHECK(breach == NULL);

    /* NULL options: the defaults (public API URL), through the host transport. */
    state.mode = ANSWER;
    CHECK_OK(mgn_breach_new_with_transport(NULL, fake_transport, &state, &breach));
    CHECK_OK(mgn_breach_check(breach, "password", &r));
    CHECK(strcmp(state.last_url, "https://api.pwnedpasswords.com/range/5BAA6") == 0);
    mgn_breach_free(breach);
}

static void test_builtin_transport(void) {
    mgn_breach_options o;
    mgn_breach *breach = NULL;
    mgn_breach_result r;

    /* Nothing listens on port 1: the built-in client fails fast and the answer is UNKNOWN. */
    mgn_breach_options_default(&o);
    o.base_url = "http://127.0.0.1:1";
    o.retries = 0;
    o.connect_timeout_ms = 2000;
    CHECK_OK(mgn_breach_new(&o, &breach));
    CHECK_OK(mgn_breach_check(breach, "password", &r));
    CHECK(r.verdict == MGN_BREACH_UNKNOWN && r.source == MGN_SOURCE_ONLINE && r.reason != NULL);
    CHECK(!contains(r.reason, "5BAA6") && !contains(r.reason, "password"));
    mgn_string_free(r.reason);

    /* mgn_breach_get_options: the settings in force, strings lent by the checker (core's
     * defaults where the host left NULL), enough to make an equivalent checker. */
    {
        mgn_breach_options got;
        mgn_breach *again = NULL;
        CHECK_OK(mgn_breach_get_options(breach, &got));
        CHECK(got.online && got.retries == 0 && got.connect_timeout_ms == 2000 &&
              got.timeout_ms == o.timeout_ms && got.cache_size == o.cache_size);
        CHECK(strcmp(got.base_url, "http://127.0.0.1:1") == 0 && got.base_url != o.base_url);
        CHECK(got.user_agent != NULL && strncmp(got.user_agent, "magnetar", 8) == 0);
        CHECK(got.offline_index == NULL);
        CHECK_OK(mgn_breach_new(&got, &again));
        mgn_breach_free(again);
        CHECK_STATUS(mgn_breach_get_options(NULL, &got), MGN_INVALID_ARGUMENT);
        CHECK_STATUS(mgn_breach_get_options(breach, NULL), MGN_INVALID_ARGUMENT);
    }
    mgn_breach_free(breach);

    breach = NULL;
    CHECK_STATUS(mgn_breach_new(&o, NULL), MGN_INVALID_ARGUMENT);
    o.online = false;
    CHECK_STATUS(mgn_breach_new(&o, &breach), MGN_INVALID_CONFIG);
    CHECK_MESSAGE("neither");
    o.online = true;
    o.retries = 99;
    CHECK_STATUS(mgn_breach_new(&o, &breach), MGN_INVALID_CONFIG);
    CHECK_MESSAGE("retries");
    CHECK(breach == NULL);
}

static int near(uint64_t got, uint64_t want) {
    double diff = (double)got - (double)want;
    return (diff < 0 ? -diff : diff) <= (double)want * 0.0006;
}

static void copy_file(const char *from, const char *to, long truncate_to, long flip_at) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    long i = 0;
    int c;
    if (in == NULL || out == NULL) {
        if (in) fclose(in);
        if (out) fclose(out);
        return;
    }
    while ((c = fgetc(in)) != EOF && (truncate_to < 0 || i < truncate_to)) {
        fputc(i == flip_at ? c ^ 0x5A : c, out);
        i++;
    }
    fclose(in);
    fclose(out);
}

/* What the index build reported through its progress callback. */
struct progress_seen {
    int reading, merging, out_of_order;
    uint64_t last_reading_done, last_merging_done, last_merging_total;
};

static void on_progress(void *userdata, uint32_t phase, uint64_t done, uint64_t total,
                        bool has_total) {
    struct progress_seen *seen = userdata;
    if (phase == MGN_INDEX_PHASE_READING) {
        seen->out_of_order += seen->merging > 0;
        seen->reading++;
        seen->last_reading_done = done;
    } else if (phase == MGN_INDEX_PHASE_MERGING && has_total) {
        seen->merging++;
        seen->last_merging_done = done;
        seen->last_merging_total = total;
    } else {
        seen->out_of_order++;
    }
}

static void test_offline(void) {
    char corpus[1024], index[512], small[512], bad[512], missing[512], junk[512];
    const char *root = getenv("MGN_REPO_ROOT");
    mgn_breach_index_stats stats;
    mgn_breach_index_info info;
    mgn_breach_options o;
    mgn_breach *breach = NULL;
    mgn_breach_result r;
    uint64_t entries = 0;
    FILE *f;
    struct progress_seen seen = {0};

    snprintf(corpus, sizeof corpus, "%s/data/pwned-sample.txt", root ? root : ".");
    scratch_path(index, sizeof index, "sample.idx");
    CHECK_OK(mgn_breach_index_build(corpus, index, 0, on_progress, &seen, &stats));
    CHECK(stats.rows == 325 && stats.distinct_hashes == 325 && stats.entries > 0);
    /* Small corpus: one end-of-phase report each, with the totals. */
    CHECK(seen.reading == 1 && seen.merging == 1 && seen.out_of_order == 0);
    CHECK(seen.last_reading_done == 325 && seen.last_merging_done == seen.last_merging_total);
    CHECK(stats.file_bytes > 0 && stats.spilled_runs == 0);
    CHECK_OK(mgn_breach_index_verify(index, &entries));
    CHECK(entries == stats.entries);
    CHECK_OK(mgn_breach_index_verify(index, NULL));
    CHECK_OK(mgn_breach_index_build(corpus, scratch_path(small, sizeof small, "top10.idx"), 10,
                                    NULL, NULL, NULL));
    CHECK_OK(mgn_breach_index_verify(small, &entries));
    CHECK(entries == 10);

    /* Fully offline checks. */
    mgn_breach_options_default(&o);
    o.online = false;
    o.offline_index = index;
    CHECK_OK(mgn_breach_new(&o, &breach));
    CHECK_OK(mgn_breach_check(breach, "123456", &r));
    CHECK(r.verdict == MGN_BREACH_BREACHED && near(r.count, 24000000) &&
          r.source == MGN_SOURCE_OFFLINE);
    CHECK_OK(mgn_breach_check(breach, "password", &r));
    CHECK(r.verdict == MGN_BREACH_BREACHED && near(r.count, 9747029));
    CHECK_OK(mgn_breach_check(breach, CLEAN_PASSWORD, &r));
    CHECK(r.verdict == MGN_BREACH_NOT_FOUND && r.source == MGN_SOURCE_OFFLINE && r.reason == NULL);
    {
        mgn_breach_options got;
        CHECK_OK(mgn_breach_get_options(breach, &got));
        CHECK(!got.online && got.offline_index != NULL && strcmp(got.offline_index, index) == 0);
    }
    CHECK_OK(mgn_breach_index_info_get(breach, &info));
    CHECK(info.present && !info.ntlm && info.entries == stats.entries &&
          info.distinct_hashes == stats.distinct_hashes && info.file_bytes == stats.file_bytes);
    CHECK_STATUS(mgn_breach_index_info_get(breach, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_breach_index_info_get(NULL, &info), MGN_INVALID_ARGUMENT);
    mgn_breach_free(breach);
    breach = NULL;

    /* A damaged index is refused, whether flipped or truncated. */
    copy_file(index, scratch_path(bad, sizeof bad, "flipped.idx"), -1, (long)stats.file_bytes - 3);
    CHECK_STATUS(mgn_breach_index_verify(bad, &entries), MGN_INVALID_INDEX);
    CHECK_MESSAGE("checksum");
    o.offline_index = bad;
    CHECK_STATUS(mgn_breach_new(&o, &breach), MGN_INVALID_INDEX);
    copy_file(index, bad, (long)stats.file_bytes - 10, -1);
    CHECK_STATUS(mgn_breach_index_verify(bad, &entries), MGN_INVALID_INDEX);
    CHECK(breach == NULL);

    /* Build and open errors. */
    scratch_path(missing, sizeof missing, "missing.txt");
    CHECK_STATUS(mgn_breach_index_build(missing, index, 0, NULL, NULL, &stats), MGN_IO);
    CHECK_STATUS(mgn_breach_index_verify(missing, &entries), MGN_IO);
    f = fopen(scratch_path(junk, sizeof junk, "junk.txt"), "w");
    if (f != NULL) {
        fputs("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:12\nthis is not a hash line\n", f);
        fclose(f);
    }
    CHECK_STATUS(mgn_breach_index_build(junk, small, 0, NULL, NULL, NULL), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("line 2");
    CHECK_STATUS(mgn_breach_index_build(NULL, index, 0, NULL, NULL, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_breach_index_build(corpus, NULL, 0, NULL, NULL, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_breach_index_build("\xff", index, 0, NULL, NULL, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_breach_index_verify(NULL, &entries), MGN_INVALID_ARGUMENT);
    o.offline_index = "\xfe";
    CHECK_STATUS(mgn_breach_new(&o, &breach), MGN_INVALID_ARGUMENT);
}

int main(void) {
    scratch_make();
    test_options_defaults();
    test_host_transport();
    test_builtin_transport();
    test_offline();
    mgn_breach_free(NULL);
    scratch_cleanup();
    return test_summary("test_breach");
}
