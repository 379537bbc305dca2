/* mgn_version, mgn_status_name, mgn_last_error_message and mgn_string_free. */
#include "test_util.h"

int main(void) {
    mgn_pool_options options;
    const char *version = mgn_version();
    CHECK(version != NULL && strcmp(version, "1.0.0") >= 0 && strchr(version, '.') != NULL);

    /* Names of known codes, and of unknown ones. */
    CHECK(strcmp(mgn_status_name(MGN_OK), "MGN_OK") == 0);
    CHECK(strcmp(mgn_status_name(MGN_INVALID_ARGUMENT), "MGN_INVALID_ARGUMENT") == 0);
    CHECK(strcmp(mgn_status_name(MGN_POOL_TIMEOUT), "MGN_POOL_TIMEOUT") == 0);
    CHECK(strcmp(mgn_status_name(MGN_UNAVAILABLE), "MGN_UNAVAILABLE") == 0);
    CHECK(strcmp(mgn_status_name(MGN_WRONG_KEY), "MGN_WRONG_KEY") == 0);
    CHECK(strcmp(mgn_status_name(MGN_PANIC), "MGN_PANIC") == 0);
    CHECK(strcmp(mgn_status_name(12345), "MGN_UNKNOWN") == 0);
    CHECK(MGN_OK == 0 && MGN_INVALID_ARGUMENT / 100 == 1 && MGN_POOL_CLOSED / 100 == 2);

    /* No message before any failure; a failure sets one; the next call clears it. */
    CHECK(strcmp(mgn_last_error_message(), "") == 0);
    CHECK_STATUS(mgn_pool_options_default(NULL), MGN_INVALID_ARGUMENT);
    CHECK_MESSAGE("out is NULL");
    /* Reading the message again does not clear it. */
    CHECK_MESSAGE("out is NULL");
    CHECK_OK(mgn_pool_options_default(&options));
    CHECK(strcmp(mgn_last_error_message(), "") == 0);

    /* Freeing NULL is a no-op. */
    mgn_string_free(NULL);
    mgn_result_free(NULL);
    mgn_pool_free(NULL);
    return test_summary("test_basics");
}
