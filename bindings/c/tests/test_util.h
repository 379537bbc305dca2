/* Shared helpers for Magnetar's C tests: checks that count failures instead of aborting,
 * status assertions that print the library's message, and a scratch directory. */
#ifndef MGN_TEST_UTIL_H
#define MGN_TEST_UTIL_H

#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>

#include "magnetar.h"

static int mgn_checks_passed = 0;
static int mgn_checks_failed = 0;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (cond) {                                                                    \
            mgn_checks_passed++;                                                       \
        } else {                                                                       \
            mgn_checks_failed++;                                                       \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);          \
        }                                                                              \
    } while (0)

/* Checks that `call` returns `expected`; prints both names and the message otherwise. */
#define CHECK_STATUS(call, expected)                                                   \
    do {                                                                               \
        mgn_status check_status_ = (call);                                             \
        if (check_status_ == (mgn_status)(expected)) {                                 \
            mgn_checks_passed++;                                                       \
        } else {                                                                       \
            mgn_checks_failed++;                                                       \
            fprintf(stderr, "FAIL %s:%d: %s\n  returned %s, expected %s: %s\n",        \
                    __FILE__, __LINE__, #call, mgn_status_name(check_status_),         \
                    mgn_status_name(expected), mgn_last_error_message());              \
        }                                                                              \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, MGN_OK)

/* Checks that the thread's last error message contains `needle`. */
#define CHECK_MESSAGE(needle)                                                          \
    do {                                                                               \
        const char *check_msg_ = mgn_last_error_message();                             \
        if (check_msg_ != NULL && strstr(check_msg_, (needle)) != NULL) {              \
            mgn_checks_passed++;                                                       \
        } else {                                                                       \
            mgn_checks_failed++;                                                       \
            fprintf(stderr, "FAIL %s:%d: message \"%s\" lacks \"%s\"\n", __FILE__,     \
                    __LINE__, check_msg_ ? check_msg_ : "(null)", (needle));           \
        }                                                                              \
    } while (0)

/* A text value for a NUL-terminated string. */
static inline mgn_value text_value(const char *s) {
    mgn_value v;
    memset(&v, 0, sizeof v);
    v.kind = MGN_TEXT;
    v.data = s;
    v.len = strlen(s);
    return v;
}

static inline mgn_value int_value(int64_t i) {
    mgn_value v;
    memset(&v, 0, sizeof v);
    v.kind = MGN_INTEGER;
    v.integer = i;
    return v;
}

/* A fresh scratch directory; files made in it are removed by `scratch_cleanup`. */
static char scratch_dir[64];

static inline const char *scratch_make(void) {
    strcpy(scratch_dir, "/tmp/mgn-c-XXXXXX");
    if (mkdtemp(scratch_dir) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
    return scratch_dir;
}

/* Writes scratch_dir/name into `out` (of `size` bytes). */
static inline const char *scratch_path(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", scratch_dir, name);
    return out;
}

/* Removes every file in the scratch directory, then the directory. */
static inline void scratch_cleanup(void) {
    DIR *dir = opendir(scratch_dir);
    struct dirent *entry;
    char path[512];
    if (dir == NULL) {
        return;
    }
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
            snprintf(path, sizeof path, "%s/%s", scratch_dir, entry->d_name);
            unlink(path);
        }
    }
    closedir(dir);
    if (rmdir(scratch_dir) != 0) {
        fprintf(stderr, "warning: could not remove %s\n", scratch_dir);
    }
}

/* Prints the summary line and returns the process exit status. */
static inline int test_summary(const char *name) {
    printf("%s: %d checks passed, %d failed\n", name, mgn_checks_passed, mgn_checks_failed);
    return mgn_checks_failed == 0 ? 0 : 1;
}

#endif /* MGN_TEST_UTIL_H */
