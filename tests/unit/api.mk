# The management API's JSON handling (api/arm_doc.c, api/arm_render.c):
# fuzz target fuzz_api_arm, libFuzzer with --enable-fuzzing, else a corpus
# replay (tests/fuzz/main.c) under make check, as tests/local.mk wires the
# others. Inputs: a profile document, optionally NUL and a PATCH body.
EXTRA_DIST += tests/fuzz/fuzz_api_arm.in

tests_fuzz_fuzz_api_arm_SOURCES = tests/fuzz/fuzz_api_arm.c
tests_fuzz_fuzz_api_arm_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_api_arm_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_api_arm_LDADD = $(GTM_LIBS)
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_api_arm
else
check_PROGRAMS += tests/fuzz/fuzz_api_arm
TESTS += tests/fuzz/fuzz_api_arm
tests_fuzz_fuzz_api_arm_SOURCES += tests/fuzz/main.c
endif

# The API's token issuer (api/issuer.c): clients file, tokens, Basic
# credentials (cmocka, TAP).
API_UNIT_TESTS = %reldir%/test_issuer
check_PROGRAMS += $(API_UNIT_TESTS)
TESTS += $(API_UNIT_TESTS)
%canon_reldir%_test_issuer_SOURCES = %reldir%/test_issuer.c
%canon_reldir%_test_issuer_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_issuer_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)

# The token issuer on any input (tests/fuzz/fuzz_issuer.c): tokens, Basic
# credentials, grants.
EXTRA_DIST += tests/fuzz/fuzz_issuer.in
tests_fuzz_fuzz_issuer_SOURCES = tests/fuzz/fuzz_issuer.c
tests_fuzz_fuzz_issuer_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_issuer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_issuer_LDADD = $(GTM_LIBS)
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_issuer
else
check_PROGRAMS += tests/fuzz/fuzz_issuer
TESTS += tests/fuzz/fuzz_issuer
tests_fuzz_fuzz_issuer_SOURCES += tests/fuzz/main.c
endif

# api/arm_extra.c (cmocka, TAP): the geographic hierarchy, the user metrics
# keys through arm_route, the heat map and its query parameters.
check_PROGRAMS += tests/unit/test_api_extra
TESTS += tests/unit/test_api_extra
tests_unit_test_api_extra_SOURCES = tests/unit/test_api_extra.c
tests_unit_test_api_extra_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_api_extra_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
