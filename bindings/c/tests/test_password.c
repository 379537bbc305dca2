/* Passwords: policy, hasher, hash/verify/verify_and_update/needs_rehash/identify/
 * wrap_legacy, peppers, every error path, and the shared vectors in
 * tests/vectors/passwords.json (all of them natively; a sample under valgrind). */
#include "test_util.h"
#include "json.h"

/* A cheap policy for tests that are not about the default cost. */
static mgn_password_policy fast_policy(void) {
    mgn_password_policy p;
    mgn_password_policy_default(&p);
    p.memory_kib = 64;
    p.iterations = 1;
    return p;
}

static mgn_hasher *new_hasher(const mgn_password_policy *policy) {
    mgn_hasher *h = NULL;
    CHECK_OK(mgn_hasher_new(policy, &h));
    return h;
}

static void test_defaults(void) {
    mgn_password_policy p;
    mgn_hasher *h;
    char *hash = NULL;
    bool valid = false;

    CHECK_OK(mgn_password_policy_default(&p));
    CHECK(p.memory_kib == 19456 && p.iterations == 2 && p.parallelism == 1);
    CHECK(p.salt_len == 16 && p.output_len == 32 && p.max_password_bytes == 4096);
    CHECK(p.pepper == NULL && p.n_old_peppers == 0 && p.n_legacy_digests == 0);
    CHECK_STATUS(mgn_password_policy_default(NULL), MGN_INVALID_ARGUMENT);

    /* NULL policy: core's default (OWASP) parameters. Two 19 MiB Argon2id runs take minutes
     * under valgrind's emulation, so they run natively only. */
    h = new_hasher(NULL);
    if (getenv("MGN_UNDER_VALGRIND") == NULL) {
        CHECK_OK(mgn_hasher_hash(h, "correct horse", &hash));
        CHECK(hash != NULL && strncmp(hash, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
        CHECK_OK(mgn_hasher_verify(h, "correct horse", hash, &valid));
        CHECK(valid);
        mgn_string_free(hash);
    }
    mgn_hasher_free(h);
}

static void test_round_trips(void) {
    mgn_password_policy p = fast_policy();
    mgn_hasher *h = new_hasher(&p);
    char *hash = NULL, *other = NULL, *name = NULL, *new_hash = NULL, *wrapped = NULL;
    bool valid = false, rehash = true;
    const char *md5_crypt = "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"; /* "Hello world!" */
    const char *sha256_hex = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
    const char *digests[1] = {"sha256"};
    mgn_hasher *hd;

    CHECK_OK(mgn_hasher_hash(h, "p\xc3\xa4ss", &hash));
    CHECK(strncmp(hash, "$argon2id$v=19$m=64,t=1,p=1$", 28) == 0);
    CHECK_OK(mgn_hasher_hash(h, "p\xc3\xa4ss", &other));
    CHECK(strcmp(hash, other) != 0); /* fresh salts */
    CHECK_OK(mgn_hasher_verify(h, "p\xc3\xa4ss", hash, &valid));
    CHECK(valid);
    CHECK_OK(mgn_hasher_verify(h, "pass", hash, &valid));
    CHECK(!valid);
    CHECK_OK(mgn_hasher_needs_rehash(h, hash, &rehash));
    CHECK(!rehash);
    CHECK_OK(mgn_hasher_identify(h, hash, &name));
    CHECK(strcmp(name, "argon2id") == 0);
    mgn_string_free(name);
    name = NULL;

    /* Up to date: valid, nothing to replace. */
    new_hash = (char *)"sentinel";
    CHECK_OK(mgn_hasher_verify_and_update(h, "p\xc3\xa4ss", hash, &valid, &new_hash));
    CHECK(valid && new_hash == NULL);

    /* Legacy: upgrade on login. */
    CHECK_OK(mgn_hasher_identify(h, md5_crypt, &name));
    CHECK(strcmp(name, "md5_crypt") == 0);
    mgn_string_free(name);
    CHECK_OK(mgn_hasher_needs_rehash(h, md5_crypt, &rehash));
    CHECK(rehash);
    CHECK_OK(mgn_hasher_verify_and_update(h, "Hello world!", md5_crypt, &valid, &new_hash));
    CHECK(valid && new_hash != NULL && strncmp(new_hash, "$argon2id$", 10) == 0);
    if (new_hash != NULL) {
        CHECK_OK(mgn_hasher_verify(h, "Hello world!", new_hash, &valid));
        CHECK(valid);
    }
    mgn_string_free(new_hash);
    new_hash = (char *)"sentinel";
    CHECK_OK(mgn_hasher_verify_and_update(h, "hello world!", md5_crypt, &valid, &new_hash));
    CHECK(!valid && new_hash == NULL);

    /* Bare digests need an opt-in; wrapping upgrades them without the password. */
    CHECK_STATUS(mgn_hasher_verify(h, "password", sha256_hex, &valid), MGN_INVALID_HASH);
    CHECK_MESSAGE("sha256");
    p.legacy_digests = digests;
    p.n_legacy_digests = 1;
    hd = new_hasher(&p);
    CHECK_OK(mgn_hasher_verify(hd, "password", sha256_hex, &valid));
    CHECK(valid);
    CHECK_OK(mgn_hasher_wrap_legacy(hd, sha256_hex, &wrapped));
    CHECK(wrapped != NULL && strncmp(wrapped, "$magnetar-wrap$", 15) == 0 &&
          strstr(wrapped, sha256_hex) == NULL);
    if (wrapped != NULL) {
        CHECK_OK(mgn_hasher_identify(hd, wrapped, &name));
        CHECK(strcmp(name, "wrapped_hex_sha256") == 0);
        mgn_string_free(name);
        CHECK_OK(mgn_hasher_verify(h, "password", wrapped, &valid)); /* self-describing */
        CHECK(valid);
        CHECK_OK(mgn_hasher_verify(hd, "Password", wrapped, &valid));
        CHECK(!valid);
        CHECK_STATUS(mgn_hasher_wrap_legacy(hd, wrapped, &name), MGN_INVALID_ARGUMENT);
        CHECK_MESSAGE("already wrapped");
    }
    CHECK_STATUS(mgn_hasher_wrap_legacy(hd, hash, &name), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("already Argon2");
    mgn_string_free(wrapped);
    mgn_hasher_free(hd);
    mgn_string_free(hash);
    mgn_string_free(other);
    mgn_hasher_free(h);
}

static void test_peppers(void) {
    static const uint8_t secret1[32] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    static const uint8_t secret2[32] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
                                        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
    mgn_pepper k1 = {"k1", secret1, sizeof secret1};
    mgn_pepper k2 = {"k2", secret2, sizeof secret2};
    mgn_pepper bad = {"k1", secret1, 8};
    mgn_password_policy p = fast_policy();
    mgn_hasher *plain = new_hasher(&p), *h1, *h2, *h = NULL;
    char *s1 = NULL, *s2 = NULL;
    bool valid = false, rehash = false;

    p.pepper = &k1;
    h1 = new_hasher(&p);
    CHECK_OK(mgn_hasher_hash(h1, "pw", &s1));
    CHECK(s1 != NULL && strstr(s1, "keyid=") != NULL);
    CHECK_STATUS(mgn_hasher_verify(plain, "pw", s1, &valid), MGN_INVALID_KEY);

    /* Rotation: k2 current, k1 retired. */
    p.pepper = &k2;
    p.old_peppers = &k1;
    p.n_old_peppers = 1;
    h2 = new_hasher(&p);
    CHECK_OK(mgn_hasher_verify(h2, "pw", s1, &valid));
    CHECK(valid);
    CHECK_OK(mgn_hasher_needs_rehash(h2, s1, &rehash));
    CHECK(rehash);
    CHECK_OK(mgn_hasher_verify_and_update(h2, "pw", s1, &valid, &s2));
    CHECK(valid && s2 != NULL);
    if (s2 != NULL) {
        CHECK_OK(mgn_hasher_needs_rehash(h2, s2, &rehash));
        CHECK(!rehash);
    }

    /* Bad peppers. */
    p.pepper = &bad;
    p.n_old_peppers = 0;
    CHECK_STATUS(mgn_hasher_new(&p, &h), MGN_INVALID_KEY);
    CHECK_MESSAGE("at least 16");
    bad.secret_len = sizeof secret1;
    bad.id = "not valid!";
    CHECK_STATUS(mgn_hasher_new(&p, &h), MGN_INVALID_KEY);
    bad.id = NULL;
    CHECK_STATUS(mgn_hasher_new(&p, &h), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("pepper.id is NULL");
    bad.id = "k3";
    bad.secret = NULL;
    CHECK_STATUS(mgn_hasher_new(&p, &h), MGN_INVALID_ARGUMENT);
    p.pepper = &k1;
    p.old_peppers = &k1;
    p.n_old_peppers = 1;
    CHECK_STATUS(mgn_hasher_new(&p, &h), MGN_INVALID_CONFIG);
    CHECK_MESSAGE("used twice");
    p.old_peppers = NULL;
    CHECK_STATUS(mgn_hasher_new(&p, &h), MGN_INVALID_ARGUMENT);
    CHECK(h == NULL);

    mgn_string_free(s1);
    mgn_string_free(s2);
    mgn_hasher_free(plain);
    mgn_hasher_free(h1);
    mgn_hasher_free(h2);
}

static void test_errors(void) {
    mgn_password_policy p = fast_policy();
    mgn_hasher *h = new_hasher(&p), *bad = NULL;
    char *out = NULL;
    bool valid = false;
    const char *digests[2] = {"sha256", "crc32"};
    char long_password[64];

    CHECK_STATUS(mgn_hasher_new(&p, NULL), MGN_INVALID_ARGUMENT);
    p.memory_kib = 4;
    CHECK_STATUS(mgn_hasher_new(&p, &bad), MGN_INVALID_CONFIG);
    CHECK_MESSAGE("memory_kib");
    p = fast_policy();
    p.legacy_digests = digests;
    p.n_legacy_digests = 2;
    CHECK_STATUS(mgn_hasher_new(&p, &bad), MGN_INVALID_CONFIG);
    CHECK_MESSAGE("crc32");
    p.legacy_digests = NULL;
    CHECK_STATUS(mgn_hasher_new(&p, &bad), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("legacy_digests is NULL");
    digests[0] = "\xff";
    p.legacy_digests = digests;
    CHECK_STATUS(mgn_hasher_new(&p, &bad), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("legacy_digests[0] is not valid UTF-8");
    CHECK(bad == NULL);

    CHECK_STATUS(mgn_hasher_hash(NULL, "pw", &out), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("hasher is NULL");
    CHECK_STATUS(mgn_hasher_hash(h, NULL, &out), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("password is NULL");
    CHECK_STATUS(mgn_hasher_hash(h, "pw", NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_hash(h, "p\xffw", &out), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("password is not valid UTF-8");
    CHECK(out == NULL);

    p = fast_policy();
    p.max_password_bytes = 8;
    bad = new_hasher(&p);
    memset(long_password, 'a', sizeof long_password - 1);
    long_password[sizeof long_password - 1] = '\0';
    CHECK_STATUS(mgn_hasher_hash(bad, long_password, &out), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("max_password_bytes");
    CHECK_STATUS(mgn_hasher_verify(bad, long_password, "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1",
                                   &valid),
                 MGN_INVALID_ARGUMENT);
    mgn_hasher_free(bad);

    CHECK_STATUS(mgn_hasher_verify(h, "pw", "$argon2id$v=19$m=64,t=1,p=1$garbage", &valid),
                 MGN_INVALID_HASH);
    CHECK_STATUS(mgn_hasher_verify(h, "pw", "", &valid), MGN_INVALID_HASH);
    CHECK_STATUS(mgn_hasher_verify(h, "pw", "$2b$31$" "abcdefghijklmnopqrstuu" "abcdefghijklmnopqrstuvwxyz01234",
                                   &valid),
                 MGN_INVALID_HASH);
    CHECK_STATUS(mgn_hasher_verify(NULL, "pw", "x", &valid), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_verify(h, NULL, "x", &valid), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_verify(h, "pw", NULL, &valid), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("stored is NULL");
    CHECK_STATUS(mgn_hasher_verify(h, "pw", "\xfe", &valid), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_verify(h, "pw", "x", NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_verify_and_update(h, "pw", "x", &valid, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_verify_and_update(h, "pw", "x", NULL, &out), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_verify_and_update(NULL, "pw", "x", &valid, &out),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_verify_and_update(h, "pw", "nonsense", &valid, &out),
                 MGN_INVALID_HASH);
    CHECK_STATUS(mgn_hasher_needs_rehash(NULL, "x", &valid), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_needs_rehash(h, NULL, &valid), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_needs_rehash(h, "x", NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_needs_rehash(h, "nonsense", &valid), MGN_INVALID_HASH);
    CHECK_STATUS(mgn_hasher_identify(NULL, "x", &out), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_identify(h, NULL, &out), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_identify(h, "x", NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_identify(h, "nonsense", &out), MGN_INVALID_HASH);
    CHECK_STATUS(mgn_hasher_wrap_legacy(NULL, "x", &out), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_wrap_legacy(h, NULL, &out), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_wrap_legacy(h, "x", NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_wrap_legacy(h, "nonsense", &out), MGN_INVALID_HASH);
    CHECK(out == NULL);
    mgn_hasher_free(h);
}

/* The shared vectors: verify, identify and needs_rehash under the default policy (with the
 * vector's bare-digest opt-ins), and verify_and_update / wrap_legacy under a cheap one.
 * Under valgrind (MGN_UNDER_VALGRIND set) only the first vector of each scheme runs: every
 * format still goes through the C boundary, in a fraction of the time. */
static void test_vectors(void) {
    char path[1024];
    const char *root = getenv("MGN_REPO_ROOT");
    int sampled = getenv("MGN_UNDER_VALGRIND") != NULL;
    json *doc;
    const json *vectors;
    size_t i, ran = 0, n_seen = 0;
    const char *seen[64];

    snprintf(path, sizeof path, "%s/tests/vectors/passwords.json", root ? root : ".");
    doc = json_load(path);
    CHECK(doc != NULL);
    if (doc == NULL) {
        return;
    }
    vectors = json_get(doc, "vectors");
    CHECK(vectors != NULL && vectors->type == JSON_ARRAY && vectors->count > 300);
    for (i = 0; vectors != NULL && i < vectors->count; i++) {
        const json *v = &vectors->items[i];
        const char *scheme = json_string(v, "scheme");
        const char *hash = json_string(v, "hash");
        const char *password = json_string(v, "password");
        int expect_valid = json_bool(v, "valid", -1);
        int expect_rehash = json_bool(v, "needs_rehash", -1);
        const json *digests = json_get(v, "legacy_digests");
        const char *names[8];
        size_t n_names = 0, k;
        mgn_password_policy p;
        mgn_hasher *h = NULL, *cheap = NULL;
        bool valid = false, rehash = false;
        char *name = NULL, *new_hash = NULL, *wrapped = NULL;
        int failed_before = mgn_checks_failed;

        if (scheme == NULL || hash == NULL || password == NULL || expect_valid < 0 ||
            expect_rehash < 0) {
            CHECK(!"vector with missing fields");
            continue;
        }
        if (sampled) {
            for (k = 0; k < n_seen && strcmp(seen[k], scheme) != 0; k++) {
            }
            if (k < n_seen) {
                continue;
            }
            if (n_seen < 64) {
                seen[n_seen++] = scheme;
            }
        }
        for (k = 0; digests != NULL && k < digests->count && k < 8; k++) {
            names[n_names++] = digests->items[k].string;
        }
        mgn_password_policy_default(&p);
        p.legacy_digests = n_names ? names : NULL;
        p.n_legacy_digests = n_names;
        CHECK_OK(mgn_hasher_new(&p, &h));
        p.memory_kib = 64;
        p.iterations = 1;
        CHECK_OK(mgn_hasher_new(&p, &cheap));

        CHECK_OK(mgn_hasher_verify(h, password, hash, &valid));
        CHECK(valid == (expect_valid != 0));
        CHECK_OK(mgn_hasher_identify(h, hash, &name));
        CHECK(name != NULL && strcmp(name, scheme) == 0);
        mgn_string_free(name);
        CHECK_OK(mgn_hasher_needs_rehash(h, hash, &rehash));
        CHECK(rehash == (expect_rehash != 0));
        /* Upgrades follow the cheap policy: a hash stronger than it is kept. */
        CHECK_OK(mgn_hasher_needs_rehash(cheap, hash, &rehash));
        CHECK_OK(mgn_hasher_verify_and_update(cheap, password, hash, &valid, &new_hash));
        CHECK(valid == (expect_valid != 0));
        CHECK((new_hash != NULL) == (expect_valid && rehash));
        if (new_hash != NULL) {
            CHECK_OK(mgn_hasher_verify(cheap, password, new_hash, &valid));
            CHECK(valid);
            mgn_string_free(new_hash);
        }
        if (strncmp(scheme, "argon2", 6) != 0 && strcmp(scheme, "django_argon2") != 0) {
            CHECK_OK(mgn_hasher_wrap_legacy(cheap, hash, &wrapped));
            if (wrapped != NULL) {
                CHECK_OK(mgn_hasher_verify(cheap, password, wrapped, &valid));
                CHECK(valid == (expect_valid != 0));
                mgn_string_free(wrapped);
            }
        }
        if (mgn_checks_failed != failed_before) {
            fprintf(stderr, "  in vector %zu (%s: %s)\n", i, scheme, hash);
        }
        mgn_hasher_free(h);
        mgn_hasher_free(cheap);
        ran++;
    }
    printf("test_password: %zu password vectors run%s\n", ran,
           sampled ? " (the first of each scheme, under valgrind)" : "");
    json_free(doc);
}

/* Wrapping a whole table of legacy hashes. */
static void test_upgrade_table(void) {
    char path[512];
    const char *digests[1] = {"sha256"};
    /* sha256("password") */
    const char *legacy = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
    mgn_password_policy p = fast_policy();
    mgn_hasher *h;
    mgn_pool *pool = NULL;
    mgn_table_upgrade r;
    mgn_result *result = NULL;
    const mgn_value *row;
    mgn_value v = text_value(legacy);
    bool valid = false;
    char stored[256];

    p.legacy_digests = digests;
    p.n_legacy_digests = 1;
    h = new_hasher(&p);
    scratch_make();
    CHECK_OK(mgn_pool_open(scratch_path(path, sizeof path, "users.db"), NULL, &pool));
    CHECK_OK(mgn_pool_execute(pool, "CREATE TABLE users (id INTEGER PRIMARY KEY, pw TEXT)", NULL,
                              NULL, 0, NULL));
    CHECK_OK(mgn_pool_execute(pool, "INSERT INTO users (pw) VALUES (?)", &v, NULL, 1, NULL));
    CHECK_OK(mgn_pool_execute(pool, "INSERT INTO users (pw) VALUES (NULL)", NULL, NULL, 0, NULL));
    CHECK_OK(mgn_hasher_upgrade_table(h, pool, "users", "pw", NULL, 10, &r));
    CHECK(r.total == 2 && r.wrapped == 1 && r.empty == 1 && r.unrecognised == 0);
    CHECK_OK(mgn_pool_query(pool, "SELECT pw FROM users WHERE id = 1", NULL, NULL, 0, &result));
    CHECK_OK(mgn_result_row(result, 0, &row));
    if (row != NULL && row[0].kind == MGN_TEXT && row[0].len < sizeof stored) {
        memcpy(stored, row[0].data, row[0].len);
        stored[row[0].len] = '\0';
        CHECK(strncmp(stored, "$magnetar-wrap$", 15) == 0);
        CHECK_OK(mgn_hasher_verify(h, "password", stored, &valid));
        CHECK(valid);
    }
    mgn_result_free(result);
    CHECK_OK(mgn_hasher_upgrade_table(h, pool, "users", "pw", "id", 10, NULL));
    CHECK_STATUS(mgn_hasher_upgrade_table(h, pool, "nope", "pw", NULL, 10, &r),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_upgrade_table(h, pool, "users", "pw", NULL, 0, &r),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_upgrade_table(NULL, pool, "users", "pw", NULL, 10, &r),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_upgrade_table(h, NULL, "users", "pw", NULL, 10, &r),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_upgrade_table(h, pool, NULL, "pw", NULL, 10, &r),
                 MGN_INVALID_ARGUMENT);
    mgn_pool_free(pool);
    mgn_hasher_free(h);
    scratch_cleanup();
}

/* mgn_hasher_get_policy reports what the hasher runs with: pepper ids, never secrets. */
static void test_get_policy(void) {
    static const uint8_t secret1[32] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    static const uint8_t secret2[32] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
                                        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
    mgn_pepper k1 = {"k1", secret1, sizeof secret1};
    mgn_pepper k2 = {"k2", secret2, sizeof secret2};
    const char *digests[] = {"sha1", "md5"};
    mgn_password_policy p = fast_policy();
    mgn_password_policy_info info;
    mgn_hasher *h = new_hasher(NULL);

    CHECK_OK(mgn_hasher_get_policy(h, &info));
    CHECK(info.memory_kib == 19456 && info.iterations == 2 && info.parallelism == 1 &&
          info.salt_len == 16 && info.output_len == 32 && info.max_password_bytes == 4096);
    CHECK(info.pepper_id == NULL && info.old_pepper_ids == NULL && info.n_old_peppers == 0 &&
          info.legacy_digests == NULL && info.n_legacy_digests == 0);
    mgn_hasher_free(h);

    p.pepper = &k2;
    p.old_peppers = &k1;
    p.n_old_peppers = 1;
    p.legacy_digests = digests;
    p.n_legacy_digests = 2;
    h = new_hasher(&p);
    /* The host's policy may go: the hasher lends its own copies. */
    memset(&p, 0, sizeof p);
    CHECK_OK(mgn_hasher_get_policy(h, &info));
    CHECK(info.memory_kib == 64 && info.iterations == 1);
    CHECK(info.pepper_id != NULL && strcmp(info.pepper_id, "k2") == 0);
    CHECK(info.n_old_peppers == 1 && strcmp(info.old_pepper_ids[0], "k1") == 0);
    CHECK(info.n_legacy_digests == 2 && strcmp(info.legacy_digests[0], "sha1") == 0 &&
          strcmp(info.legacy_digests[1], "md5") == 0);

    CHECK_STATUS(mgn_hasher_get_policy(NULL, &info), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_hasher_get_policy(h, NULL), MGN_INVALID_ARGUMENT);
    mgn_hasher_free(h);
}

int main(void) {
    test_defaults();
    test_round_trips();
    test_peppers();
    test_get_policy();
    test_errors();
    test_upgrade_table();
    test_vectors();
    return test_summary("test_password");
}
