/* Sessions: request contexts, the pure score (default and custom policies), and the
 * registry on a pool (create, validate, step-up, rebaseline, terminate, revoke, limits,
 * expiry, sweep, events recorded in an audit log, the HTTP layer's validate_request), with
 * every error path. */
#include "test_util.h"

#include <time.h>

static const uint8_t KEY[32] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
                                7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};
/* The key of the pool's one audit log (every test that audits shares it). */
static const uint8_t AUDIT_KEY[32] = {0x3c, 0x91, 0x5e, 0x07, 0xa2, 0x44, 0xd8, 0x1b,
                                      0x6f, 0xc3, 0x2a, 0x90, 0x5d, 0xe1, 0x78, 0x0e,
                                      0x99, 0x14, 0xbb, 0x62, 0x3f, 0xd0, 0x85, 0x27,
                                      0x4c, 0xfa, 0x11, 0x6b, 0xe9, 0x30, 0xa7, 0x58};
static const char *const FIREFOX =
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
static const char *const SAFARI =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

static mgn_request *request(const char *ip, const char *ua, const char *lang) {
    mgn_request *r = NULL;
    CHECK_OK(mgn_request_new(ip, ua, &r));
    if (r != NULL && lang != NULL) {
        CHECK_OK(mgn_request_set_header(r, "Accept-Language", lang));
    }
    return r;
}

static void test_requests_and_score(void) {
    mgn_request *base = request("203.0.113.7", FIREFOX, "en-US"), *r = NULL;
    mgn_request *subnet = request("203.0.113.99", FIREFOX, "en-US");
    mgn_request *moved = request("198.51.100.2", SAFARI, "en-US");
    mgn_request *lang = request("203.0.113.7", FIREFOX, "fr-FR");
    mgn_request *everything = request("198.51.100.2", SAFARI, "fr-FR");
    mgn_assessment a;
    mgn_scoring_policy policy;

    CHECK_STATUS(mgn_request_new("not an ip", FIREFOX, &r), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("not an ip");
    CHECK_STATUS(mgn_request_new(NULL, FIREFOX, &r), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_request_new("203.0.113.7", NULL, &r), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_request_new("203.0.113.7", "\xff", &r), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("user_agent is not valid UTF-8");
    CHECK_STATUS(mgn_request_new("203.0.113.7", FIREFOX, NULL), MGN_INVALID_ARGUMENT);
    CHECK(r == NULL);
    CHECK_STATUS(mgn_request_set_header(base, "User-Agent", "x"), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_request_set_header(base, "bad name", "x"), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_request_set_header(NULL, "Accept", "x"), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_request_set_header(base, NULL, "x"), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_request_set_header(base, "Accept", NULL), MGN_INVALID_ARGUMENT);

    /* Same context: nothing fires. */
    CHECK_OK(mgn_session_score(NULL, base, base, &a));
    CHECK(a.score == 0.0 && a.decision == MGN_DECISION_ALLOW && a.n_reasons == 0 &&
          a.reasons == NULL);
    mgn_assessment_clear(&a);

    /* Same /24: a subnet change only. */
    CHECK_OK(mgn_session_score(NULL, base, subnet, &a));
    CHECK(a.n_reasons == 1 && a.reasons[0].signal == MGN_SIGNAL_IP_SUBNET_CHANGE);
    CHECK(a.score > 0.09 && a.score < 0.11 && a.decision == MGN_DECISION_ALLOW);
    mgn_assessment_clear(&a);

    /* Another network and another browser: 0.3 + 0.5 = 0.8, step up. */
    CHECK_OK(mgn_session_score(NULL, base, moved, &a));
    CHECK(a.n_reasons == 2 && a.reasons[0].signal == MGN_SIGNAL_IP_CHANGE &&
          a.reasons[1].signal == MGN_SIGNAL_USER_AGENT_CHANGE);
    CHECK(a.reasons[0].weight > 0.29 && a.reasons[0].weight < 0.31);
    CHECK(strstr(a.reasons[0].detail, "203.0.113.7 -> 198.51.100.2") != NULL);
    CHECK(a.score > 0.79 && a.score < 0.81 && a.decision == MGN_DECISION_STEP_UP);
    mgn_assessment_clear(&a);
    CHECK(a.reasons == NULL && a.n_reasons == 0);
    mgn_assessment_clear(&a); /* twice is harmless */
    mgn_assessment_clear(NULL);

    /* Only another header: fingerprint mismatch, never counting IP or UA twice. */
    CHECK_OK(mgn_session_score(NULL, base, lang, &a));
    CHECK(a.n_reasons == 1 && a.reasons[0].signal == MGN_SIGNAL_FINGERPRINT_MISMATCH);
    mgn_assessment_clear(&a);
    CHECK_OK(mgn_session_score(NULL, base, everything, &a));
    CHECK(a.score >= 0.99 && a.decision == MGN_DECISION_TERMINATE && a.n_reasons == 3);
    mgn_assessment_clear(&a);

    /* A custom policy. */
    CHECK_OK(mgn_scoring_policy_default(&policy));
    CHECK(policy.ip_change == 0.3 && policy.user_agent_change == 0.5 && policy.monitor == 0.5 &&
          policy.step_up == 0.7 && policy.terminate == 0.9 && policy.ipv4_subnet_prefix == 24);
    policy.monitor = 0.05;
    CHECK_OK(mgn_session_score(&policy, base, subnet, &a));
    CHECK(a.decision == MGN_DECISION_MONITOR);
    mgn_assessment_clear(&a);
    policy.monitor = 2.0;
    CHECK_STATUS(mgn_session_score(&policy, base, subnet, &a), MGN_INVALID_CONFIG);
    CHECK_STATUS(mgn_session_score(NULL, NULL, subnet, &a), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("previous is NULL");
    CHECK_STATUS(mgn_session_score(NULL, base, NULL, &a), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_session_score(NULL, base, subnet, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_scoring_policy_default(NULL), MGN_INVALID_ARGUMENT);

    mgn_request_free(base);
    mgn_request_free(subnet);
    mgn_request_free(moved);
    mgn_request_free(lang);
    mgn_request_free(everything);
    mgn_request_free(NULL);
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static void test_registry(mgn_pool *pool) {
    mgn_session_options o;
    mgn_sessions *s = NULL, *bad = NULL, *strict = NULL, *brief = NULL;
    mgn_request *login = request("203.0.113.7", FIREFOX, "en-US");
    mgn_request *moved = request("198.51.100.2", SAFARI, "en-US");
    mgn_request *stolen = request("198.51.100.2", SAFARI, "fr-FR");
    char *token = NULL, *t2 = NULL, *extra[4] = {NULL, NULL, NULL, NULL};
    mgn_session_info info, info2;
    mgn_assessment a;
    size_t count = 0;
    int i;
    const char *unknown = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    CHECK_OK(mgn_session_options_default(&o));
    CHECK(o.max_sessions_per_user == 3 && !o.reject_at_limit && o.idle_timeout_ms == 1800000 &&
          o.absolute_timeout_ms == 86400000 && o.touch_interval_ms == 60000);
    CHECK(o.scoring.terminate == 0.9);
    CHECK_STATUS(mgn_session_options_default(NULL), MGN_INVALID_ARGUMENT);

    CHECK_STATUS(mgn_sessions_open(pool, KEY, 16, NULL, NULL, &bad), MGN_INVALID_KEY);
    CHECK_MESSAGE("32 bytes");
    CHECK_STATUS(mgn_sessions_open(pool, NULL, 32, NULL, NULL, &bad), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_open(NULL, KEY, 32, NULL, NULL, &bad), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_open(pool, KEY, 32, NULL, NULL, NULL), MGN_INVALID_ARGUMENT);
    o.max_sessions_per_user = 0;
    CHECK_STATUS(mgn_sessions_open(pool, KEY, 32, &o, NULL, &bad), MGN_INVALID_CONFIG);
    CHECK_MESSAGE("max_sessions_per_user");
    CHECK(bad == NULL);
    CHECK_OK(mgn_session_options_default(&o));
    CHECK_OK(mgn_sessions_open(pool, KEY, 32, &o, NULL, &s));
    if (s == NULL) {
        return;
    }

    /* Create and validate from the same client. */
    CHECK_OK(mgn_sessions_create(s, "alice", login, &token, &info));
    CHECK(token != NULL && strlen(token) == 43);
    CHECK(strcmp(info.user_id, "alice") == 0 && strlen(info.id) == 32 &&
          strcmp(info.ip, "203.0.113.7") == 0 && !info.revoked && info.revoke_reason == NULL);
    CHECK(info.expires_at_ms - info.created_at_ms == 86400000);
    CHECK_OK(mgn_sessions_validate(s, token, login, &a, &info2));
    CHECK(a.decision == MGN_DECISION_ALLOW && a.n_reasons == 0);
    CHECK(strcmp(info.id, info2.id) == 0);
    mgn_assessment_clear(&a);
    mgn_session_info_clear(&info2);
    mgn_session_info_clear(&info);
    CHECK(info.id == NULL && info.user_id == NULL);
    mgn_session_info_clear(&info); /* twice is harmless */
    mgn_session_info_clear(NULL);

    /* Another network and browser: step up, session kept; rebaseline after 2FA. */
    CHECK_OK(mgn_sessions_validate(s, token, moved, &a, NULL));
    CHECK(a.decision == MGN_DECISION_STEP_UP);
    mgn_assessment_clear(&a);
    CHECK_OK(mgn_sessions_rebaseline(s, token, moved, &info));
    CHECK(strcmp(info.ip, "198.51.100.2") == 0);
    mgn_session_info_clear(&info);
    CHECK_OK(mgn_sessions_rebaseline(s, token, moved, NULL));
    CHECK_OK(mgn_sessions_validate(s, token, moved, &a, NULL));
    CHECK(a.decision == MGN_DECISION_ALLOW);
    mgn_assessment_clear(&a);

    /* Everything changed: terminate revokes the session, later calls are refused. */
    CHECK_OK(mgn_sessions_validate(s, token, login, &a, &info));
    mgn_assessment_clear(&a);
    mgn_session_info_clear(&info);
    CHECK_OK(mgn_sessions_create(s, "bob", login, &t2, NULL));
    CHECK_OK(mgn_sessions_validate(s, t2, stolen, &a, &info));
    CHECK(a.decision == MGN_DECISION_TERMINATE && info.revoked && info.revoke_reason != NULL);
    mgn_assessment_clear(&a);
    mgn_session_info_clear(&info);
    CHECK_STATUS(mgn_sessions_validate(s, t2, login, &a, NULL), MGN_SESSION_REVOKED);
    mgn_string_free(t2);

    /* Logout. */
    CHECK_OK(mgn_sessions_revoke(s, token));
    CHECK_OK(mgn_sessions_revoke(s, token)); /* already revoked: fine */
    CHECK_STATUS(mgn_sessions_validate(s, token, login, &a, NULL), MGN_SESSION_REVOKED);
    CHECK_STATUS(mgn_sessions_revoke(s, unknown), MGN_SESSION_NOT_FOUND);
    CHECK_STATUS(mgn_sessions_validate(s, unknown, login, &a, NULL), MGN_SESSION_NOT_FOUND);
    CHECK_STATUS(mgn_sessions_validate(s, "short", login, &a, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_revoke(s, "short"), MGN_INVALID_ARGUMENT);
    mgn_string_free(token);

    /* The limit: the oldest are evicted by default... */
    for (i = 0; i < 4; i++) {
        CHECK_OK(mgn_sessions_create(s, "carol", login, &extra[i], NULL));
    }
    CHECK_OK(mgn_sessions_count(s, "carol", &count));
    CHECK(count == 3);
    CHECK_STATUS(mgn_sessions_validate(s, extra[0], login, &a, NULL), MGN_SESSION_REVOKED);
    CHECK_OK(mgn_sessions_revoke_all(s, "carol", "password_change", &count));
    CHECK(count == 3);
    CHECK_OK(mgn_sessions_count(s, "carol", &count));
    CHECK(count == 0);
    CHECK_OK(mgn_sessions_revoke_all(s, "carol", "again", NULL));
    for (i = 0; i < 4; i++) {
        mgn_string_free(extra[i]);
        extra[i] = NULL;
    }
    /* ...or refused. */
    o.reject_at_limit = true;
    o.max_sessions_per_user = 1;
    CHECK_OK(mgn_sessions_open(pool, KEY, 32, &o, NULL, &strict));
    CHECK_OK(mgn_sessions_create(strict, "dave", login, &extra[0], NULL));
    CHECK_STATUS(mgn_sessions_create(strict, "dave", login, &extra[1], NULL), MGN_SESSION_LIMIT);
    CHECK(extra[1] == NULL);
    mgn_string_free(extra[0]);
    mgn_sessions_free(strict);

    /* Expiry, with a 50 ms absolute timeout; then sweep. */
    CHECK_OK(mgn_session_options_default(&o));
    o.absolute_timeout_ms = 50;
    o.touch_interval_ms = 10;
    CHECK_OK(mgn_sessions_open(pool, KEY, 32, &o, NULL, &brief));
    CHECK_OK(mgn_sessions_create(brief, "erin", login, &token, NULL));
    sleep_ms(120);
    CHECK_STATUS(mgn_sessions_validate(brief, token, login, &a, NULL), MGN_SESSION_EXPIRED);
    CHECK_OK(mgn_sessions_sweep_expired(brief, &count));
    CHECK(count >= 1);
    CHECK_OK(mgn_sessions_sweep_expired(brief, NULL));
    CHECK_STATUS(mgn_sessions_validate(brief, token, login, &a, NULL), MGN_SESSION_NOT_FOUND);
    mgn_string_free(token);
    mgn_sessions_free(brief);

    /* Argument errors. */
    token = NULL;
    CHECK_STATUS(mgn_sessions_create(NULL, "x", login, &token, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_create(s, NULL, login, &token, NULL), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("user_id is NULL");
    CHECK_STATUS(mgn_sessions_create(s, "\xff", login, &token, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_create(s, "", login, &token, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_create(s, "x", NULL, &token, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_create(s, "x", login, NULL, NULL), MGN_INVALID_ARGUMENT);
    CHECK(token == NULL);
    CHECK_STATUS(mgn_sessions_validate(NULL, unknown, login, &a, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_validate(s, NULL, login, &a, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_validate(s, unknown, NULL, &a, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_validate(s, unknown, login, NULL, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_rebaseline(NULL, unknown, login, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_rebaseline(s, unknown, login, NULL), MGN_SESSION_NOT_FOUND);
    CHECK_STATUS(mgn_sessions_revoke(NULL, unknown), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_revoke(s, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_revoke_all(NULL, "x", "y", NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_revoke_all(s, NULL, "y", NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_revoke_all(s, "x", NULL, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_count(NULL, "x", &count), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_count(s, NULL, &count), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_count(s, "x", NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_sweep_expired(NULL, &count), MGN_INVALID_ARGUMENT);

    mgn_sessions_free(s);
    mgn_sessions_free(NULL);
    mgn_request_free(login);
    mgn_request_free(moved);
    mgn_request_free(stolen);
}

/* A registry attached to an audit log records its events there. */
static void test_audited(mgn_pool *pool) {
    mgn_audit *audit = NULL;
    mgn_sessions *s = NULL;
    mgn_request *login = request("203.0.113.7", FIREFOX, NULL);
    mgn_request *moved = request("198.51.100.2", SAFARI, NULL);
    mgn_audit_filter f;
    mgn_audit_events *events = NULL;
    mgn_audit_record_view v;
    mgn_assessment a;
    mgn_session_info info;
    char *token = NULL;
    size_t n = 0;

    CHECK_OK(mgn_audit_open(pool, AUDIT_KEY, 32, NULL, &audit));
    CHECK_OK(mgn_sessions_open(pool, KEY, 32, NULL, audit, &s));
    /* The registry keeps the log open: the handle can go first. */
    mgn_audit_free(audit);
    CHECK_OK(mgn_sessions_create(s, "grace", login, &token, &info));
    CHECK_OK(mgn_sessions_validate(s, token, moved, &a, NULL));
    CHECK(a.decision == MGN_DECISION_STEP_UP);
    mgn_assessment_clear(&a);
    CHECK_OK(mgn_sessions_revoke(s, token));
    mgn_sessions_free(s);

    CHECK_OK(mgn_audit_open(pool, AUDIT_KEY, 32, NULL, &audit));
    memset(&f, 0, sizeof f);
    f.user_id = "grace";
    CHECK_OK(mgn_audit_query(audit, &f, &events));
    CHECK_OK(mgn_audit_events_count(events, &n));
    CHECK(n == 3);
    if (n == 3) {
        CHECK_OK(mgn_audit_events_get(events, 0, &v));
        CHECK(strcmp(v.action, "session.create") == 0 && strcmp(v.resource_type, "session") == 0 &&
              strcmp(v.resource_id, info.id) == 0 && strcmp(v.ip, "203.0.113.7") == 0);
        CHECK_OK(mgn_audit_events_get(events, 1, &v));
        CHECK(strcmp(v.action, "session.step_up") == 0 && strcmp(v.status, "step_up") == 0);
        CHECK_OK(mgn_audit_events_get(events, 2, &v));
        CHECK(strcmp(v.action, "session.revoke") == 0);
    }
    mgn_audit_events_free(events);
    mgn_audit_free(audit);
    mgn_session_info_clear(&info);
    mgn_string_free(token);
    mgn_request_free(login);
    mgn_request_free(moved);
}

/* mgn_sessions_validate_request: refusals are an outcome, recorded in the registry's log
 * with the request's IP and User-Agent and the reason; allowed requests are recorded on
 * request. */
static void test_validate_request(mgn_pool *pool) {
    static const char unknown[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    mgn_audit *audit = NULL;
    mgn_sessions *s = NULL;
    mgn_request *home = request("203.0.113.7", FIREFOX, NULL);
    mgn_request *stranger = request("198.51.100.2", SAFARI, NULL);
    mgn_audit_filter f;
    mgn_audit_events *events = NULL;
    mgn_audit_record_view v;
    mgn_assessment a;
    mgn_session_info info;
    mgn_status refusal = MGN_PANIC;
    char *token = NULL;
    size_t n = 0;

    CHECK_OK(mgn_audit_open(pool, AUDIT_KEY, 32, NULL, &audit));
    CHECK_OK(mgn_sessions_open(pool, KEY, 32, NULL, audit, &s));
    CHECK_OK(mgn_sessions_create(s, "ivan", home, &token, NULL));
    CHECK_OK(mgn_sessions_validate_request(s, token, home, true, &refusal, &a, &info));
    CHECK(refusal == MGN_OK && a.decision == MGN_DECISION_ALLOW &&
          strcmp(info.user_id, "ivan") == 0);
    mgn_assessment_clear(&a);
    /* Without audit_allow, and without the session. */
    CHECK_OK(mgn_sessions_validate_request(s, token, home, false, &refusal, &a, NULL));
    CHECK(refusal == MGN_OK && a.decision == MGN_DECISION_ALLOW);
    mgn_assessment_clear(&a);

    /* Refused: the call succeeds, says why, and writes nothing else. */
    a.score = -1.0;
    CHECK_OK(mgn_sessions_validate_request(s, unknown, stranger, true, &refusal, &a, NULL));
    CHECK(refusal == MGN_SESSION_NOT_FOUND && a.score == -1.0);
    CHECK_OK(mgn_sessions_validate_request(s, "short", stranger, true, &refusal, &a, NULL));
    CHECK(refusal == MGN_INVALID_ARGUMENT && a.score == -1.0);
    CHECK_OK(mgn_sessions_revoke(s, token));
    CHECK_OK(mgn_sessions_validate_request(s, token, home, true, &refusal, &a, NULL));
    CHECK(refusal == MGN_SESSION_REVOKED && a.score == -1.0);

    refusal = MGN_PANIC;
    CHECK_STATUS(mgn_sessions_validate_request(NULL, token, home, true, &refusal, &a, NULL),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_validate_request(s, NULL, home, true, &refusal, &a, NULL),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_validate_request(s, token, NULL, true, &refusal, &a, NULL),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_validate_request(s, token, home, true, NULL, &a, NULL),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_validate_request(s, token, home, true, &refusal, NULL, NULL),
                 MGN_INVALID_ARGUMENT);
    CHECK(refusal == MGN_PANIC);
    mgn_sessions_free(s);

    memset(&f, 0, sizeof f);
    f.action = "session.allow";
    CHECK_OK(mgn_audit_query(audit, &f, &events));
    CHECK_OK(mgn_audit_events_count(events, &n));
    CHECK(n == 1);
    if (n == 1) {
        CHECK_OK(mgn_audit_events_get(events, 0, &v));
        CHECK(strcmp(v.user_id, "ivan") == 0 && strcmp(v.status, "allow") == 0 &&
              strcmp(v.details_json, "{\"score\":0.0}") == 0);
    }
    mgn_audit_events_free(events);
    f.action = "session.refused";
    CHECK_OK(mgn_audit_query(audit, &f, &events));
    CHECK_OK(mgn_audit_events_count(events, &n));
    CHECK(n == 3);
    if (n == 3) {
        CHECK_OK(mgn_audit_events_get(events, 0, &v));
        CHECK(v.user_id == NULL && v.resource_id == NULL && v.details_json == NULL &&
              strcmp(v.resource_type, "session") == 0 &&
              strcmp(v.status, "session_not_found") == 0 &&
              strcmp(v.ip, "198.51.100.2") == 0 && strcmp(v.user_agent, SAFARI) == 0);
        CHECK_OK(mgn_audit_events_get(events, 1, &v));
        CHECK(strcmp(v.status, "invalid_input") == 0);
        CHECK_OK(mgn_audit_events_get(events, 2, &v));
        CHECK(strcmp(v.status, "session_revoked") == 0 && strcmp(v.ip, "203.0.113.7") == 0);
    }
    mgn_audit_events_free(events);
    mgn_audit_free(audit);
    mgn_session_info_clear(&info);
    mgn_string_free(token);
    mgn_request_free(home);
    mgn_request_free(stranger);
}

/* The device list and the User-Agent parser. */
static void test_list_and_user_agent(mgn_pool *pool) {
    mgn_sessions *s = NULL;
    mgn_request *login = request("203.0.113.7", FIREFOX, NULL);
    mgn_session_info *list = (mgn_session_info *)0x1;
    mgn_user_agent ua;
    char *t1 = NULL, *t2 = NULL;
    size_t n = 99;

    CHECK_OK(mgn_sessions_open(pool, KEY, 32, NULL, NULL, &s));
    CHECK_OK(mgn_sessions_list(s, "heidi", &list, &n));
    CHECK(n == 0 && list == NULL);
    CHECK_OK(mgn_sessions_create(s, "heidi", login, &t1, NULL));
    CHECK_OK(mgn_sessions_create(s, "heidi", login, &t2, NULL));
    CHECK_OK(mgn_sessions_revoke(s, t1));
    CHECK_OK(mgn_sessions_list(s, "heidi", &list, &n));
    CHECK(n == 1 && list != NULL);
    if (n == 1 && list != NULL) {
        CHECK(strcmp(list[0].user_id, "heidi") == 0 && !list[0].revoked &&
              strcmp(list[0].ip, "203.0.113.7") == 0);
    }
    mgn_session_list_free(list, n);
    mgn_session_list_free(NULL, 0);
    CHECK_STATUS(mgn_sessions_list(s, "", &list, &n), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_list(s, NULL, &list, &n), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_list(NULL, "heidi", &list, &n), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_list(s, "heidi", NULL, &n), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_sessions_list(s, "heidi", &list, NULL), MGN_INVALID_ARGUMENT);
    mgn_string_free(t1);
    mgn_string_free(t2);
    mgn_sessions_free(s);
    mgn_request_free(login);

    CHECK_OK(mgn_user_agent_parse(FIREFOX, &ua));
    CHECK(strcmp(ua.family, "Firefox") == 0 && strncmp(ua.version, "120", 3) == 0 &&
          strcmp(ua.kind, "browser") == 0);
    mgn_user_agent_clear(&ua);
    CHECK(ua.family == NULL && ua.kind == NULL);
    mgn_user_agent_clear(&ua);
    mgn_user_agent_clear(NULL);
    CHECK_OK(mgn_user_agent_parse("", &ua));
    CHECK(strcmp(ua.kind, "unknown") == 0 && strcmp(ua.family, "") == 0);
    mgn_user_agent_clear(&ua);
    CHECK_STATUS(mgn_user_agent_parse(NULL, &ua), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_user_agent_parse("\xff", &ua), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_user_agent_parse(FIREFOX, NULL), MGN_INVALID_ARGUMENT);
}

int main(void) {
    char path[512];
    mgn_pool *pool = NULL;

    scratch_make();
    test_requests_and_score();
    CHECK_OK(mgn_pool_open(scratch_path(path, sizeof path, "sessions.db"), NULL, &pool));
    if (pool != NULL) {
        /* The registry keeps its own reference: the pool handle can go first. */
        mgn_sessions *s = NULL;
        mgn_request *r = request("192.0.2.1", "curl/8.0", NULL);
        char *token = NULL;
        CHECK_OK(mgn_sessions_open(pool, KEY, 32, NULL, NULL, &s));
        test_registry(pool);
        test_audited(pool);
        test_validate_request(pool);
        test_list_and_user_agent(pool);
        mgn_pool_free(pool);
        CHECK_OK(mgn_sessions_create(s, "frank", r, &token, NULL));
        mgn_string_free(token);
        mgn_sessions_free(s);
        mgn_request_free(r);
    }
    scratch_cleanup();
    return test_summary("test_session");
}
