/* Unit tests of the names of errors, stages and certificate verdicts
 * (core/src/smtpc_err.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/err.h"
#include "smtpc/types.h"

typedef struct {
    int value;
    const char *name;
} err_entry_t;

static const err_entry_t err_table[] = {
#define ERR_ENTRY_(name, val) {(val), "SMTPC_" #name},
    SMTPC_ERR_LIST(ERR_ENTRY_)
#undef ERR_ENTRY_
};

#define ERR_COUNT (sizeof(err_table) / sizeof(err_table[0]))

static void test_err_every_code_has_its_own_name(void **state)
{
    size_t i;
    size_t j;
    (void)state;
    for (i = 0; i < ERR_COUNT; i++) {
        const char *s = smtpc_strerror(err_table[i].value);
        assert_non_null(s);
        assert_string_equal(s, err_table[i].name);
        assert_int_equal(strncmp(s, "SMTPC_", 6), 0);
        assert_string_not_equal(s, "SMTPC_ERR_UNKNOWN");
        for (j = 0; j < i; j++) {
            if (err_table[j].value == err_table[i].value) {
                fail_msg("%s and %s share the value %d", err_table[j].name, err_table[i].name,
                         err_table[i].value);
            }
            assert_string_not_equal(smtpc_strerror(err_table[j].value), s);
        }
    }
}

static void test_err_ranges_follow_the_sign_rule(void **state)
{
    size_t i;
    (void)state;
    assert_int_equal(SMTPC_OK, 0);
    assert_int_equal(SMTPC_IN_PROGRESS, 1);
    for (i = 0; i < ERR_COUNT; i++) {
        int v = err_table[i].value;
        if (strncmp(err_table[i].name, "SMTPC_ERR_", 10) == 0) {
            assert_true(v < 0);
            assert_true(v > (int)SMTPC_ERR_MIN_);
        } else {
            assert_true(v == SMTPC_OK || v == SMTPC_IN_PROGRESS);
        }
        /* result fields keep errors in int16_t */
        assert_true(v >= INT16_MIN && v <= INT16_MAX);
    }
}

static void test_err_unknown_values_named_unknown(void **state)
{
    static const int unknown[] = {2,   100,  -12,  -19,   -25,   -84,
                                  -99, -200, -255, -1000, 32767, -32768};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_string_equal(smtpc_strerror(unknown[i]), "SMTPC_ERR_UNKNOWN");
    }
}

typedef struct {
    int stage;
    const char *name;
} stage_entry_t;

static void test_err_stage_names_exact(void **state)
{
    static const stage_entry_t stages[] = {
        {SMTPC_STAGE_NONE, "NONE"},
        {SMTPC_STAGE_DNS, "DNS"},
        {SMTPC_STAGE_STS, "STS"},
        {SMTPC_STAGE_CONNECT, "CONNECT"},
        {SMTPC_STAGE_TLS_IMPLICIT, "TLS_IMPLICIT"},
        {SMTPC_STAGE_GREETING, "GREETING"},
        {SMTPC_STAGE_EHLO, "EHLO"},
        {SMTPC_STAGE_STARTTLS, "STARTTLS"},
        {SMTPC_STAGE_TLS_HANDSHAKE, "TLS_HANDSHAKE"},
        {SMTPC_STAGE_EHLO_TLS, "EHLO_TLS"},
        {SMTPC_STAGE_AUTH, "AUTH"},
        {SMTPC_STAGE_MAIL, "MAIL"},
        {SMTPC_STAGE_RCPT, "RCPT"},
        {SMTPC_STAGE_DATA, "DATA"},
        {SMTPC_STAGE_BODY, "BODY"},
        {SMTPC_STAGE_DATA_END, "DATA_END"},
        {SMTPC_STAGE_QUIT, "QUIT"},
        {SMTPC_STAGE_DONE, "DONE"},
    };
    size_t i;
    size_t j;
    int s;
    (void)state;
    for (i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
        assert_string_equal(smtpc_stage_name(stages[i].stage), stages[i].name);
    }
    /* every stage has a distinct, known name */
    for (s = 0; s < (int)SMTPC_STAGE_COUNT_; s++) {
        assert_string_not_equal(smtpc_stage_name(s), "UNKNOWN");
        for (j = 0; j < (size_t)s; j++) {
            assert_string_not_equal(smtpc_stage_name((int)j), smtpc_stage_name(s));
        }
    }
    assert_string_equal(smtpc_stage_name(-1), "UNKNOWN");
    assert_string_equal(smtpc_stage_name(SMTPC_STAGE_COUNT_), "UNKNOWN");
    assert_string_equal(smtpc_stage_name(255), "UNKNOWN");
}

static void test_err_cert_names_exact(void **state)
{
    (void)state;
    assert_string_equal(smtpc_cert_name(SMTPC_CERT_NOT_CHECKED), "not-checked");
    assert_string_equal(smtpc_cert_name(SMTPC_CERT_OK), "ok");
    assert_string_equal(smtpc_cert_name(SMTPC_CERT_EXPIRED), "expired");
    assert_string_equal(smtpc_cert_name(SMTPC_CERT_NOT_YET_VALID), "not-yet-valid");
    assert_string_equal(smtpc_cert_name(SMTPC_CERT_UNTRUSTED), "untrusted");
    assert_string_equal(smtpc_cert_name(SMTPC_CERT_HOSTNAME), "host-mismatch");
    assert_string_equal(smtpc_cert_name(SMTPC_CERT_OTHER), "invalid");
    assert_string_equal(smtpc_cert_name(-1), "unknown");
    assert_string_equal(smtpc_cert_name(SMTPC_CERT_OTHER + 1), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_every_code_has_its_own_name),
        cmocka_unit_test(test_err_ranges_follow_the_sign_rule),
        cmocka_unit_test(test_err_unknown_values_named_unknown),
        cmocka_unit_test(test_err_stage_names_exact),
        cmocka_unit_test(test_err_cert_names_exact),
    };
    return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
