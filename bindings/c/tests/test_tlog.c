/* The audit log as a transparency log: checkpoint signers (the Go note example
 * included), signed checkpoints with a witness, RFC 9162 roots and inclusion and
 * consistency proofs checked against an independent implementation written here from
 * the RFC text (its own SHA-256, the recursive MTH, PATH and PROOF definitions and the
 * verification algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2), flipped proof bytes,
 * sealed exports, a key holder's rewrite caught against an earlier checkpoint, and the
 * error paths. */
#include "test_util.h"

#include <stdint.h>

static const uint8_t KEY[32] = {0x3c, 0x91, 0x5e, 0x07, 0xa2, 0x44, 0xd8, 0x1b,
                                0x6f, 0xc3, 0x2a, 0x90, 0x5d, 0xe1, 0x78, 0x0e,
                                0x99, 0x14, 0xbb, 0x62, 0x3f, 0xd0, 0x85, 0x27,
                                0x4c, 0xfa, 0x11, 0x6b, 0xe9, 0x30, 0xa7, 0x58};
static const uint8_t SEED[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const char *ORIGIN = "magnetar.test/audit";

/* ---- SHA-256 (FIPS 180-4), small and independent of the library ---------------------- */

typedef struct {
    uint32_t h[8];
    uint8_t block[64];
    size_t used;
    uint64_t total;
} sha256_ctx;

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(sha256_ctx *c, const uint8_t *p) {
    uint32_t w[64], a, b, cc, d, e, f, g, h, t1, t2;
    int i;
    for (i = 0; i < 16; i++) {
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    }
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3];
    e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
    for (i = 0; i < 64; i++) {
        t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
        h = g, g = f, f = e, e = d + t1, d = cc, cc = b, b = a, a = t1 + t2;
    }
    c->h[0] += a, c->h[1] += b, c->h[2] += cc, c->h[3] += d;
    c->h[4] += e, c->h[5] += f, c->h[6] += g, c->h[7] += h;
}

static void sha256_init(sha256_ctx *c) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, iv, sizeof iv);
    c->used = 0;
    c->total = 0;
}

static void sha256_update(sha256_ctx *c, const uint8_t *p, size_t n) {
    c->total += n;
    while (n > 0) {
        size_t take = 64 - c->used < n ? 64 - c->used : n;
        memcpy(c->block + c->used, p, take);
        c->used += take, p += take, n -= take;
        if (c->used == 64) {
            sha256_block(c, c->block);
            c->used = 0;
        }
    }
}

static void sha256_final(sha256_ctx *c, uint8_t out[32]) {
    uint64_t bits = c->total * 8;
    uint8_t pad = 0x80, zero = 0, len[8];
    int i;
    sha256_update(c, &pad, 1);
    while (c->used != 56) {
        sha256_update(c, &zero, 1);
    }
    for (i = 0; i < 8; i++) {
        len[i] = (uint8_t)(bits >> (56 - 8 * i));
    }
    sha256_update(c, len, 8);
    for (i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24), out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8), out[4 * i + 3] = (uint8_t)c->h[i];
    }
}

/* ---- RFC 9162 from the text ------------------------------------------------------------ */

typedef uint8_t hash32[32];

#define MAX_LEAVES 16

static void leaf_hash(const uint8_t *data, size_t len, uint8_t out[32]) {
    sha256_ctx c;
    uint8_t prefix = 0x00;
    sha256_init(&c);
    sha256_update(&c, &prefix, 1);
    sha256_update(&c, data, len);
    sha256_final(&c, out);
}

static void node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]) {
    sha256_ctx c;
    uint8_t prefix = 0x01;
    sha256_init(&c);
    sha256_update(&c, &prefix, 1);
    sha256_update(&c, left, 32);
    sha256_update(&c, right, 32);
    sha256_final(&c, out);
}

/* The largest power of two smaller than n (n > 1). */
static size_t split_point(size_t n) {
    size_t k = 1;
    while (k << 1 < n) {
        k <<= 1;
    }
    return k;
}

/* MTH(D[n]) over leaf hashes (section 2.1.1). */
static void mth(hash32 *leaves, size_t n, uint8_t out[32]) {
    uint8_t l[32], r[32];
    size_t k;
    if (n == 0) {
        sha256_ctx c;
        sha256_init(&c);
        sha256_final(&c, out);
        return;
    }
    if (n == 1) {
        memcpy(out, leaves[0], 32);
        return;
    }
    k = split_point(n);
    mth(leaves, k, l);
    mth(leaves + k, n - k, r);
    node_hash(l, r, out);
}

/* PATH(m, D[n]) (section 2.1.3.1), appended to proof[*count]. */
static void path(size_t m, hash32 *leaves, size_t n, hash32 *proof, size_t *count) {
    size_t k;
    if (n == 1) {
        return;
    }
    k = split_point(n);
    if (m < k) {
        path(m, leaves, k, proof, count);
        mth(leaves + k, n - k, proof[(*count)++]);
    } else {
        path(m - k, leaves + k, n - k, proof, count);
        mth(leaves, k, proof[(*count)++]);
    }
}

/* SUBPROOF(m, D[n], b) (section 2.1.4.1). */
static void subproof(size_t m, hash32 *leaves, size_t n, int b, hash32 *proof,
                     size_t *count) {
    size_t k;
    if (m == n) {
        if (!b) {
            mth(leaves, n, proof[(*count)++]);
        }
        return;
    }
    k = split_point(n);
    if (m <= k) {
        subproof(m, leaves, k, b, proof, count);
        mth(leaves + k, n - k, proof[(*count)++]);
    } else {
        subproof(m - k, leaves + k, n - k, 0, proof, count);
        mth(leaves, k, proof[(*count)++]);
    }
}

/* Section 2.1.3.2: verifying an inclusion proof. */
static int verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[32],
                            hash32 *proof, size_t count, const uint8_t root[32]) {
    uint64_t fn = index, sn = size - 1;
    uint8_t r[32];
    size_t i;
    if (index >= size) {
        return 0;
    }
    memcpy(r, leaf, 32);
    for (i = 0; i < count; i++) {
        if (sn == 0) {
            return 0;
        }
        if ((fn & 1) || fn == sn) {
            node_hash(proof[i], r, r);
            if (!(fn & 1)) {
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1, sn >>= 1;
                }
            }
        } else {
            node_hash(r, proof[i], r);
        }
        fn >>= 1, sn >>= 1;
    }
    return sn == 0 && memcmp(r, root, 32) == 0;
}

/* Section 2.1.4.2: verifying a consistency proof (first < second). */
static int verify_consistency(uint64_t first, uint64_t second, const uint8_t first_root[32],
                              const uint8_t second_root[32], hash32 *proof, size_t count) {
    hash32 path_[MGN_MAX_PROOF_HASHES + 1];
    size_t n = 0, i;
    uint64_t fn, sn;
    uint8_t fr[32], sr[32];
    if (first == 0 || first >= second || count == 0 || count > MGN_MAX_PROOF_HASHES) {
        return 0;
    }
    if ((first & (first - 1)) == 0) {
        memcpy(path_[n++], first_root, 32);
    }
    for (i = 0; i < count; i++) {
        memcpy(path_[n++], proof[i], 32);
    }
    fn = first - 1, sn = second - 1;
    while (fn & 1) {
        fn >>= 1, sn >>= 1;
    }
    memcpy(fr, path_[0], 32);
    memcpy(sr, path_[0], 32);
    for (i = 1; i < n; i++) {
        if (sn == 0) {
            return 0;
        }
        if ((fn & 1) || fn == sn) {
            node_hash(path_[i], fr, fr);
            node_hash(path_[i], sr, sr);
            if (!(fn & 1)) {
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1, sn >>= 1;
                }
            }
        } else {
            node_hash(sr, path_[i], sr);
        }
        fn >>= 1, sn >>= 1;
    }
    return memcmp(fr, first_root, 32) == 0 && memcmp(sr, second_root, 32) == 0 && sn == 0;
}

/* Standard base64 (RFC 4648 section 4, padded) of n bytes into out. */
static void base64(const uint8_t *in, size_t n, char *out) {
    static const char *abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, o = 0;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = abc[v >> 18], out[o++] = abc[(v >> 12) & 63];
        out[o++] = abc[(v >> 6) & 63], out[o++] = abc[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = abc[v >> 18], out[o++] = abc[(v >> 12) & 63], out[o++] = '=', out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = abc[v >> 18], out[o++] = abc[(v >> 12) & 63];
        out[o++] = abc[(v >> 6) & 63], out[o++] = '=';
    }
    out[o] = '\0';
}

/* ---- helpers ---------------------------------------------------------------------------- */

static void record(mgn_audit *audit, const char *action, const char *user, const char *status) {
    mgn_audit_event e;
    memset(&e, 0, sizeof e);
    e.action = action;
    e.user_id = user;
    e.status = status;
    CHECK_OK(mgn_audit_record(audit, &e, NULL));
}

static int starts_with(const char *s, const char *prefix) {
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int verifies(const char *note, const char *vkey) {
    bool valid = false;
    mgn_status s = mgn_verify_checkpoint(note, vkey, &valid);
    CHECK(s == MGN_OK);
    return s == MGN_OK && valid;
}

/* Reads the whole file at path into a malloc'd string (NULL on failure). */
static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long len;
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)len + 1);
    if (buf != NULL && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    if (buf != NULL) {
        buf[len] = '\0';
    }
    fclose(f);
    return buf;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f != NULL) {
        CHECK(fwrite(text, 1, strlen(text), f) == strlen(text));
        fclose(f);
    }
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_signers(void) {
    /* golang.org/x/mod/sumdb/note's example key, read and written unchanged. */
    static const char *PETER_SIGNER =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    static const char *PETER_VERIFIER =
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    mgn_checkpoint_signer *s = NULL, *again = NULL, *fresh = NULL, *peter = NULL;
    char *vkey = NULL, *vkey2 = NULL, *priv = NULL, *text = NULL;

    CHECK_OK(mgn_checkpoint_signer_parse(PETER_SIGNER, &peter));
    CHECK_OK(mgn_checkpoint_signer_verifier_key(peter, &text));
    CHECK(text != NULL && strcmp(text, PETER_VERIFIER) == 0);
    mgn_string_free(text);
    text = NULL;
    CHECK_OK(mgn_checkpoint_signer_private_key(peter, &text));
    CHECK(text != NULL && strcmp(text, PETER_SIGNER) == 0);
    mgn_string_free(text);
    mgn_checkpoint_signer_free(peter);
    peter = NULL;

    CHECK_OK(mgn_checkpoint_signer_from_seed(ORIGIN, SEED, sizeof SEED, &s));
    CHECK_OK(mgn_checkpoint_signer_verifier_key(s, &vkey));
    CHECK(starts_with(vkey, "magnetar.test/audit+") && strlen(vkey) == 20 + 9 + 44);
    CHECK_OK(mgn_checkpoint_signer_private_key(s, &priv));
    CHECK(starts_with(priv, "PRIVATE+KEY+magnetar.test/audit+"));
    /* The private key text round-trips to the same key. */
    CHECK_OK(mgn_checkpoint_signer_parse(priv, &again));
    CHECK_OK(mgn_checkpoint_signer_verifier_key(again, &vkey2));
    CHECK(vkey != NULL && vkey2 != NULL && strcmp(vkey, vkey2) == 0);
    mgn_string_free(vkey2);
    vkey2 = NULL;
    /* A generated key is another key. */
    CHECK_OK(mgn_checkpoint_signer_generate(ORIGIN, &fresh));
    CHECK_OK(mgn_checkpoint_signer_verifier_key(fresh, &vkey2));
    CHECK(vkey != NULL && vkey2 != NULL && strcmp(vkey, vkey2) != 0);

    /* Errors: nothing is written. */
    text = NULL;
    CHECK_STATUS(mgn_checkpoint_signer_from_seed(ORIGIN, SEED, 31, &peter), MGN_INVALID_KEY);
    CHECK_MESSAGE("32 bytes");
    CHECK_STATUS(mgn_checkpoint_signer_from_seed(ORIGIN, NULL, 32, &peter), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_checkpoint_signer_from_seed(ORIGIN, SEED, 1u << 20, &peter),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_checkpoint_signer_from_seed("a b", SEED, 32, &peter), MGN_INVALID_KEY);
    CHECK_STATUS(mgn_checkpoint_signer_generate("", &peter), MGN_INVALID_KEY);
    CHECK_STATUS(mgn_checkpoint_signer_generate(NULL, &peter), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_checkpoint_signer_generate(ORIGIN, NULL), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_checkpoint_signer_parse("not a key", &peter), MGN_INVALID_KEY);
    CHECK_STATUS(mgn_checkpoint_signer_parse(vkey, &peter), MGN_INVALID_KEY);
    CHECK_STATUS(mgn_checkpoint_signer_parse("\xff", &peter), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_checkpoint_signer_verifier_key(NULL, &text), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_checkpoint_signer_verifier_key(s, NULL), MGN_INVALID_ARGUMENT);
    CHECK(peter == NULL && text == NULL);
    mgn_checkpoint_signer_free(NULL);

    mgn_string_free(vkey);
    mgn_string_free(vkey2);
    mgn_string_free(priv);
    mgn_checkpoint_signer_free(s);
    mgn_checkpoint_signer_free(again);
    mgn_checkpoint_signer_free(fresh);
}

static void test_checkpoints_proofs_exports(void) {
    char db[512], export_path[512], doctored_path[512];
    mgn_pool *pool = NULL;
    mgn_audit *audit = NULL;
    mgn_checkpoint_signer *signer = NULL, *witness = NULL, *stranger = NULL;
    const mgn_checkpoint_signer *both[2], *with_null[2];
    char *vkey = NULL, *wkey = NULL, *skey = NULL, *note7 = NULL, *note13 = NULL, *note = NULL;
    char expected[256], b64[96], *export_text;
    hash32 leaves[MAX_LEAVES], proof[MGN_MAX_PROOF_HASHES], expected_proof[MGN_MAX_PROOF_HASHES];
    uint8_t leaf[MAX_LEAVES][MGN_AUDIT_LEAF_LEN], root[32], mine[32], root_m[32], root_n[32];
    size_t count = 0, want = 0, n, m, seq, i;
    uint64_t lines = 0;
    bool valid = true;
    mgn_audit_report report;
    const size_t total = 13;

    CHECK_OK(mgn_pool_open(scratch_path(db, sizeof db, "tlog.db"), NULL, &pool));
    CHECK_OK(mgn_audit_open(pool, KEY, 32, NULL, &audit));
    if (audit == NULL) {
        mgn_pool_free(pool);
        return;
    }
    CHECK_OK(mgn_checkpoint_signer_from_seed(ORIGIN, SEED, 32, &signer));
    CHECK_OK(mgn_checkpoint_signer_generate("witness.example", &witness));
    CHECK_OK(mgn_checkpoint_signer_generate(ORIGIN, &stranger));
    CHECK_OK(mgn_checkpoint_signer_verifier_key(signer, &vkey));
    CHECK_OK(mgn_checkpoint_signer_verifier_key(witness, &wkey));
    CHECK_OK(mgn_checkpoint_signer_verifier_key(stranger, &skey));
    both[0] = signer, both[1] = witness;

    /* A checkpoint of 7 events, signed by the log's key and a witness. */
    for (i = 0; i < 7; i++) {
        record(audit, "login", i % 2 ? "alice" : "bob", "success");
    }
    CHECK_OK(mgn_audit_checkpoint(audit, both, 2, &note7));
    CHECK(note7 != NULL && verifies(note7, vkey) && verifies(note7, wkey) &&
          !verifies(note7, skey));
    /* A malformed verifier key is an error, not "false"; nothing is written. */
    CHECK_STATUS(mgn_verify_checkpoint(note7, "not a key", &valid), MGN_INVALID_KEY);
    CHECK_STATUS(mgn_verify_checkpoint(note7, NULL, &valid), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_verify_checkpoint(note7, vkey, NULL), MGN_INVALID_ARGUMENT);
    CHECK(valid);

    for (; i < total; i++) {
        record(audit, i == 9 ? "password.change" : "login", "carol", "success");
    }
    CHECK_OK(mgn_audit_checkpoint(audit, both, 1, &note13));
    /* The log keeps every checkpoint it issued, oldest first. */
    {
        char **notes = NULL;
        size_t n_notes = 0;
        CHECK_OK(mgn_audit_checkpoints(audit, &notes, &n_notes));
        CHECK(n_notes == 2 && notes != NULL);
        if (n_notes == 2 && notes != NULL) {
            CHECK(strcmp(notes[0], note7) == 0 && strcmp(notes[1], note13) == 0);
        }
        mgn_string_list_free(notes, n_notes);
        mgn_string_list_free(NULL, 0);
        CHECK_STATUS(mgn_audit_checkpoints(NULL, &notes, &n_notes), MGN_INVALID_ARGUMENT);
        CHECK_STATUS(mgn_audit_checkpoints(audit, NULL, &n_notes), MGN_INVALID_ARGUMENT);
        CHECK_STATUS(mgn_audit_checkpoints(audit, &notes, NULL), MGN_INVALID_ARGUMENT);
    }

    /* Leaves: version 1, then the sequence number big-endian. */
    for (seq = 1; seq <= total; seq++) {
        uint64_t got = 0;
        CHECK_OK(mgn_audit_leaf(audit, seq, leaf[seq - 1]));
        for (i = 1; i <= 8; i++) {
            got = got << 8 | leaf[seq - 1][i];
        }
        CHECK(leaf[seq - 1][0] == 1 && got == seq);
        leaf_hash(leaf[seq - 1], MGN_AUDIT_LEAF_LEN, leaves[seq - 1]);
    }
    CHECK_STATUS(mgn_audit_leaf(audit, total + 1, leaf[0]), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_leaf(audit, 1, NULL), MGN_INVALID_ARGUMENT);

    /* Roots: the library's equal MTH over its leaves, for every size. */
    for (n = 0; n <= total; n++) {
        CHECK_OK(mgn_audit_tree_root(audit, n, root));
        mth(leaves, n, mine);
        CHECK(memcmp(root, mine, 32) == 0);
    }
    CHECK_STATUS(mgn_audit_tree_root(audit, total + 1, root), MGN_INVALID_ARGUMENT);

    /* The checkpoints commit to those roots: origin, size, base64 root, blank line. */
    mth(leaves, 7, mine);
    base64(mine, 32, b64);
    snprintf(expected, sizeof expected, "%s\n7\n%s\n\n\xe2\x80\x94 %s ", ORIGIN, b64, ORIGIN);
    CHECK(starts_with(note7, expected));
    CHECK(strstr(note7, "\n\xe2\x80\x94 witness.example ") != NULL);
    mth(leaves, total, mine);
    base64(mine, 32, b64);
    snprintf(expected, sizeof expected, "%s\n13\n%s\n\n", ORIGIN, b64);
    CHECK(starts_with(note13, expected) && strstr(note13, "witness.example") == NULL);
    /* One character of the root changed: the signature no longer verifies. */
    if (note7 != NULL) {
        size_t at = strlen(ORIGIN) + 3;
        char was = note7[at];
        note7[at] = was == 'A' ? 'B' : 'A';
        CHECK(!verifies(note7, vkey));
        note7[at] = was;
        CHECK(verifies(note7, vkey));
    }

    /* Inclusion proofs for every event in every tree: byte for byte PATH(m, D[n]),
     * accepted by the RFC verifier here and by the library's, and a flipped byte or
     * another position refused by both. */
    for (n = 1; n <= total; n++) {
        mth(leaves, n, root_n);
        for (seq = 1; seq <= n; seq++) {
            count = 999;
            CHECK_OK(mgn_audit_inclusion_proof(audit, seq, n, &proof[0][0], MGN_MAX_PROOF_HASHES,
                                               &count));
            want = 0;
            path(seq - 1, leaves, n, expected_proof, &want);
            CHECK(count == want && memcmp(proof, expected_proof, 32 * count) == 0);
            CHECK(verify_inclusion(seq - 1, n, leaves[seq - 1], proof, count, root_n));
            CHECK_OK(mgn_verify_inclusion(leaf[seq - 1], MGN_AUDIT_LEAF_LEN, seq, n, &proof[0][0],
                                          count, root_n, &valid));
            CHECK(valid);
            if (count > 0) {
                proof[count - 1][7] ^= 0x20;
                CHECK(!verify_inclusion(seq - 1, n, leaves[seq - 1], proof, count, root_n));
                CHECK_OK(mgn_verify_inclusion(leaf[seq - 1], MGN_AUDIT_LEAF_LEN, seq, n,
                                              &proof[0][0], count, root_n, &valid));
                CHECK(!valid);
                proof[count - 1][7] ^= 0x20;
                CHECK_OK(mgn_verify_inclusion(leaf[seq - 1], MGN_AUDIT_LEAF_LEN, seq % n + 1, n,
                                              &proof[0][0], count, root_n, &valid));
                CHECK(!valid);
                /* A proof one hash short. */
                CHECK_OK(mgn_verify_inclusion(leaf[seq - 1], MGN_AUDIT_LEAF_LEN, seq, n,
                                              &proof[0][0], count - 1, root_n, &valid));
                CHECK(!valid);
            }
        }
    }

    /* Consistency proofs between every pair of sizes: byte for byte PROOF(m, D[n]). */
    for (m = 1; m <= total; m++) {
        mth(leaves, m, root_m);
        for (n = m; n <= total; n++) {
            mth(leaves, n, root_n);
            count = 999;
            CHECK_OK(mgn_audit_consistency_proof(audit, m, n, &proof[0][0], MGN_MAX_PROOF_HASHES,
                                                 &count));
            want = 0;
            subproof(m, leaves, n, 1, expected_proof, &want);
            CHECK(count == want && memcmp(proof, expected_proof, 32 * count) == 0);
            CHECK_OK(mgn_verify_consistency(m, n, root_m, root_n, &proof[0][0], count, &valid));
            CHECK(valid);
            if (m < n) {
                CHECK(verify_consistency(m, n, root_m, root_n, proof, count));
                proof[0][31] ^= 1;
                CHECK(!verify_consistency(m, n, root_m, root_n, proof, count));
                CHECK_OK(mgn_verify_consistency(m, n, root_m, root_n, &proof[0][0], count,
                                                &valid));
                CHECK(!valid);
                proof[0][31] ^= 1;
                /* Roots swapped. */
                CHECK_OK(mgn_verify_consistency(m, n, root_n, root_m, &proof[0][0], count,
                                                &valid));
                CHECK(!valid);
            }
        }
    }

    /* Proof errors: arguments out of range, a buffer too small (nothing written). */
    count = 999;
    CHECK_STATUS(mgn_audit_inclusion_proof(audit, 0, 5, &proof[0][0], MGN_MAX_PROOF_HASHES, &count),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_inclusion_proof(audit, 6, 5, &proof[0][0], MGN_MAX_PROOF_HASHES, &count),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_inclusion_proof(audit, 1, total + 1, &proof[0][0], MGN_MAX_PROOF_HASHES,
                                           &count),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_inclusion_proof(audit, 1, total, &proof[0][0], 2, &count),
                 MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("out_capacity");
    CHECK_STATUS(mgn_audit_inclusion_proof(audit, 1, total, NULL, MGN_MAX_PROOF_HASHES, &count),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_inclusion_proof(audit, 1, total, &proof[0][0], MGN_MAX_PROOF_HASHES, NULL),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_consistency_proof(audit, 0, 5, &proof[0][0], MGN_MAX_PROOF_HASHES, &count),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_consistency_proof(audit, 6, 5, &proof[0][0], MGN_MAX_PROOF_HASHES, &count),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_consistency_proof(NULL, 1, 5, &proof[0][0], MGN_MAX_PROOF_HASHES, &count),
                 MGN_INVALID_ARGUMENT);
    CHECK(count == 999);
    valid = true;
    CHECK_STATUS(mgn_verify_inclusion(leaf[0], MGN_AUDIT_LEAF_LEN, 0, 5, &proof[0][0], 3, root,
                                      &valid),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_verify_inclusion(leaf[0], MGN_AUDIT_LEAF_LEN, 1, 5, &proof[0][0],
                                      MGN_MAX_PROOF_HASHES + 1, root, &valid),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_verify_inclusion(leaf[0], MGN_AUDIT_LEAF_LEN, 1, 5, NULL, 3, root, &valid),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_verify_inclusion(NULL, 0, 1, 5, &proof[0][0], 3, root, &valid),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_verify_inclusion(leaf[0], MGN_AUDIT_LEAF_LEN, 1, 5, &proof[0][0], 3, NULL,
                                      &valid),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_verify_consistency(6, 5, root, root, &proof[0][0], 1, &valid),
                 MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_verify_consistency(1, 5, root, root, &proof[0][0], 1, NULL),
                 MGN_INVALID_ARGUMENT);
    CHECK(valid);

    /* Checkpoint errors: no signer, a NULL signer, too many. */
    note = NULL;
    with_null[0] = signer, with_null[1] = NULL;
    CHECK_STATUS(mgn_audit_checkpoint(audit, both, 0, &note), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_checkpoint(audit, NULL, 1, &note), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_checkpoint(audit, with_null, 2, &note), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("signers[1]");
    CHECK_STATUS(mgn_audit_checkpoint(audit, both, 101, &note), MGN_INVALID_ARGUMENT);
    CHECK_STATUS(mgn_audit_checkpoint(audit, both, 1, NULL), MGN_INVALID_ARGUMENT);
    CHECK(note == NULL);

    /* The log against its checkpoints. */
    CHECK_OK(mgn_audit_verify_checkpoint(audit, note7, vkey, &report));
    CHECK(report.ok && report.problem == MGN_AUDIT_OK && report.checked == total);
    mgn_audit_report_clear(&report);
    /* note13 carries no witness signature. */
    CHECK_STATUS(mgn_audit_verify_checkpoint(audit, note13, wkey, &report), MGN_TAMPERED);
    CHECK_STATUS(mgn_audit_verify_checkpoint(audit, note13, skey, &report), MGN_TAMPERED);
    CHECK_STATUS(mgn_audit_verify_checkpoint(audit, note13, "x", &report), MGN_INVALID_KEY);
    CHECK_STATUS(mgn_audit_verify_checkpoint(audit, NULL, vkey, &report), MGN_INVALID_ARGUMENT);

    /* Sealed export: written once, never over a file unless asked, verified from public
     * data only. */
    scratch_path(export_path, sizeof export_path, "sealed.jsonl");
    CHECK_OK(mgn_audit_export_sealed(audit, export_path, false, &lines));
    CHECK(lines == total);
    CHECK_STATUS(mgn_audit_export_sealed(audit, export_path, false, NULL), MGN_IO);
    CHECK_OK(mgn_audit_export_sealed(audit, export_path, true, NULL));
    CHECK_OK(mgn_verify_sealed_export(export_path, note13, vkey, &report));
    CHECK(report.ok && report.checked == total);
    mgn_audit_report_clear(&report);
    CHECK_OK(mgn_verify_sealed_export(export_path, note7, wkey, &report));
    CHECK(report.ok && report.checked == total);
    mgn_audit_report_clear(&report);
    CHECK_STATUS(mgn_verify_sealed_export(export_path, note13, skey, &report), MGN_TAMPERED);
    CHECK_STATUS(mgn_verify_sealed_export(scratch_path(doctored_path, sizeof doctored_path, "none"),
                                          note13, vkey, &report),
                 MGN_IO);
    /* The export's first line is the leaf of event 1, in standard base64. */
    export_text = read_file(export_path);
    base64(leaf[0], MGN_AUDIT_LEAF_LEN, b64);
    snprintf(expected, sizeof expected, "{\"seq\":1,\"leaf\":\"%s\"}\n", b64);
    CHECK(starts_with(export_text, expected));
    /* One character of event 3's commitment changed: the root no longer matches. */
    if (export_text != NULL) {
        char *line3 = strstr(export_text, "{\"seq\":3,\"leaf\":\"");
        CHECK(line3 != NULL);
        if (line3 != NULL) {
            char *c = line3 + strlen("{\"seq\":3,\"leaf\":\"") + 50;
            *c = *c == 'Q' ? 'R' : 'Q';
            write_file(scratch_path(doctored_path, sizeof doctored_path, "doctored.jsonl"),
                       export_text);
            CHECK_OK(mgn_verify_sealed_export(doctored_path, note13, vkey, &report));
            CHECK(!report.ok && report.problem == MGN_AUDIT_CHECKPOINT_MISMATCH &&
                  report.problem_detail != NULL);
            mgn_audit_report_clear(&report);
        }
    }
    free(export_text);

    /* The key holder deletes events 10 to 13 and records a doctored history in their
     * place: the chain is rebuilt, so mgn_audit_verify passes; the checkpoint of 13
     * events names event 10, and the checkpoint of 7 still holds. */
    CHECK_OK(mgn_pool_execute(pool, "DELETE FROM audit_events WHERE seq >= 10", NULL, NULL, 0,
                              NULL));
    CHECK_OK(mgn_pool_execute(pool, "DELETE FROM audit_lookup WHERE seq >= 10", NULL, NULL, 0,
                              NULL));
    record(audit, "password.change", "carol", "denied");
    for (i = 11; i <= total; i++) {
        record(audit, "login", "carol", "success");
    }
    CHECK_OK(mgn_audit_verify(audit, &report));
    CHECK(report.ok);
    mgn_audit_report_clear(&report);
    CHECK_OK(mgn_audit_verify_checkpoint(audit, note13, vkey, &report));
    CHECK(!report.ok && report.problem == MGN_AUDIT_CHECKPOINT_MISMATCH && report.problem_seq == 10);
    mgn_audit_report_clear(&report);
    CHECK_OK(mgn_audit_verify_checkpoint(audit, note7, vkey, &report));
    CHECK(report.ok);
    mgn_audit_report_clear(&report);
    mgn_audit_report_clear(NULL);

    mgn_string_free(vkey);
    mgn_string_free(wkey);
    mgn_string_free(skey);
    mgn_string_free(note7);
    mgn_string_free(note13);
    mgn_checkpoint_signer_free(signer);
    mgn_checkpoint_signer_free(witness);
    mgn_checkpoint_signer_free(stranger);
    mgn_audit_free(audit);
    mgn_pool_free(pool);
}

static void test_sha256(void) {
    /* FIPS 180-4 example "abc", so the verifier above is checked on its own. */
    static const uint8_t abc_digest[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
        0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    sha256_ctx c;
    uint8_t out[32];
    sha256_init(&c);
    sha256_update(&c, (const uint8_t *)"abc", 3);
    sha256_final(&c, out);
    CHECK(memcmp(out, abc_digest, 32) == 0);
}

int main(void) {
    scratch_make();
    test_sha256();
    test_signers();
    test_checkpoints_proofs_exports();
    scratch_cleanup();
    return test_summary("test_tlog");
}
