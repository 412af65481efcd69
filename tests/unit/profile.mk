# Profile unit tests (cmocka, TAP): profile_parse errors, defaults and both
# JSON shapes; profile_load_dir and profile_link. Fuzz target fuzz_profile.
PROFILE_UNIT_TESTS = \
	%reldir%/test_profile \
	%reldir%/test_profile_link
check_PROGRAMS += $(PROFILE_UNIT_TESTS)
TESTS += $(PROFILE_UNIT_TESTS)

%canon_reldir%_test_profile_SOURCES = %reldir%/test_profile.c
%canon_reldir%_test_profile_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_profile_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
%canon_reldir%_test_profile_link_SOURCES = %reldir%/test_profile_link.c
%canon_reldir%_test_profile_link_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_profile_link_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)

EXTRA_DIST += \
	%reldir%/data/profiles/contoso-dr.json \
	%reldir%/data/profiles/contoso-dr-arm.json \
	tests/fuzz/fuzz_profile.in

# The fuzz target: libFuzzer with --enable-fuzzing, else a corpus replay
# (tests/fuzz/main.c) under make check, as tests/local.mk wires the others.
tests_fuzz_fuzz_profile_SOURCES = tests/fuzz/fuzz_profile.c
tests_fuzz_fuzz_profile_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_profile_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_profile_LDADD = $(GTM_LIBS)
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_profile
else
check_PROGRAMS += tests/fuzz/fuzz_profile
TESTS += tests/fuzz/fuzz_profile
tests_fuzz_fuzz_profile_SOURCES += tests/fuzz/main.c
endif

# The profile field table against man/gtmd.8.
PROFILE_MAN_TESTS = %reldir%/test_profile_man
check_PROGRAMS += $(PROFILE_MAN_TESTS)
TESTS += $(PROFILE_MAN_TESTS)
%canon_reldir%_test_profile_man_SOURCES = %reldir%/test_profile_man.c
%canon_reldir%_test_profile_man_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_profile_man_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
