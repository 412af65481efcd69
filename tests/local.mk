# Unit tests (cmocka, TAP), the fuzz corpus replay, and the system tests (pytest).
TEST_EXTENSIONS = .py
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
# cmocka 1.1.5 prints a skipped test as "not ok N # SKIP", a FAIL for the TAP
# driver: tap-skip.sh rewrites it as "ok N # SKIP" and keeps the exit status.
LOG_COMPILER = $(SHELL) $(top_srcdir)/%reldir%/unit/tap-skip.sh
AM_TESTS_ENVIRONMENT = CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	GTMD=$(abs_top_builddir)/gtmd; export GTMD; \
	GTM_SRCDIR=$(abs_top_srcdir); export GTM_SRCDIR;

# ---- unit tests: one cmocka binary per file, linked against libgtm.a ----
UNIT_TESTS = \
	%reldir%/unit/test_dns_query \
	%reldir%/unit/test_dns_cookie \
	%reldir%/unit/test_dnstap \
	%reldir%/unit/test_dns_rrl \
	%reldir%/unit/test_dns_handle \
	%reldir%/unit/test_dns_plan \
	%reldir%/unit/test_dns_alias \
	%reldir%/unit/test_zonefile \
	%reldir%/unit/test_dnssec \
	%reldir%/unit/test_conf \
	%reldir%/unit/test_schema_man
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
unit_cflags = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
unit_ldadd = $(GTM_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += %reldir%/unit/unit.h %reldir%/unit/tap-skip.sh

%canon_reldir%_unit_test_dns_query_SOURCES = %reldir%/unit/test_dns_query.c
%canon_reldir%_unit_test_dns_query_CFLAGS = $(unit_cflags)
%canon_reldir%_unit_test_dns_query_LDADD = $(unit_ldadd)
%canon_reldir%_unit_test_dns_cookie_SOURCES = %reldir%/unit/test_dns_cookie.c
%canon_reldir%_unit_test_dns_cookie_CFLAGS = $(unit_cflags)
%canon_reldir%_unit_test_dns_cookie_LDADD = $(unit_ldadd)
%canon_reldir%_unit_test_dnstap_SOURCES = %reldir%/unit/test_dnstap.c
%canon_reldir%_unit_test_dnstap_CFLAGS = $(unit_cflags)
%canon_reldir%_unit_test_dnstap_LDADD = $(unit_ldadd)
if HAVE_DNSTAP
%reldir%/unit/test_dnstap-test_dnstap.$(OBJEXT): dns/dnstap.pb-c.h
endif
%canon_reldir%_unit_test_dns_rrl_SOURCES = %reldir%/unit/test_dns_rrl.c
%canon_reldir%_unit_test_dns_rrl_CFLAGS = $(unit_cflags)
%canon_reldir%_unit_test_dns_rrl_LDADD = $(unit_ldadd)
%canon_reldir%_unit_test_dns_handle_SOURCES = %reldir%/unit/test_dns_handle.c
%canon_reldir%_unit_test_dns_handle_CFLAGS = $(unit_cflags)
%canon_reldir%_unit_test_dns_handle_LDADD = $(unit_ldadd)
%canon_reldir%_unit_test_dns_plan_SOURCES = %reldir%/unit/test_dns_plan.c
%canon_reldir%_unit_test_dns_plan_CFLAGS = $(unit_cflags)
%canon_reldir%_unit_test_dns_plan_LDADD = $(unit_ldadd)
%canon_reldir%_unit_test_dns_alias_SOURCES = %reldir%/unit/test_dns_alias.c
%canon_reldir%_unit_test_dns_alias_CFLAGS = $(unit_cflags)
%canon_reldir%_unit_test_dns_alias_LDADD = $(unit_ldadd)
%canon_reldir%_unit_test_dnssec_SOURCES = %reldir%/unit/test_dnssec.c
%canon_reldir%_unit_test_dnssec_CFLAGS = $(unit_cflags)
%canon_reldir%_unit_test_dnssec_LDADD = $(unit_ldadd)
%canon_reldir%_unit_test_zonefile_SOURCES = %reldir%/unit/test_zonefile.c
%canon_reldir%_unit_test_zonefile_CFLAGS = $(unit_cflags)
%canon_reldir%_unit_test_zonefile_LDADD = $(unit_ldadd)
%canon_reldir%_unit_test_conf_SOURCES = %reldir%/unit/test_conf.c
%canon_reldir%_unit_test_conf_CFLAGS = $(unit_cflags)
%canon_reldir%_unit_test_conf_LDADD = $(unit_ldadd)
%canon_reldir%_unit_test_schema_man_SOURCES = %reldir%/unit/test_schema_man.c
%canon_reldir%_unit_test_schema_man_CFLAGS = $(unit_cflags)
%canon_reldir%_unit_test_schema_man_LDADD = $(unit_ldadd)

# ---- fuzz targets (STYLE "Fuzz targets") ----
# --enable-fuzzing (CC=clang): libFuzzer binaries with libFuzzer's own main,
# run by hand: tests/fuzz/fuzz_dns_query tests/fuzz/fuzz_dns_query.in
# Otherwise: the same targets linked with tests/fuzz/main.c, which replays
# tests/fuzz/<name>.in/ (found through GTM_SRCDIR) as a TAP test.
FUZZ_TARGETS = \
	%reldir%/fuzz/fuzz_dns_query \
	%reldir%/fuzz/fuzz_conf \
	%reldir%/fuzz/fuzz_zonefile
fuzz_cflags = $(AM_CFLAGS) $(FUZZ_CFLAGS)
fuzz_ldflags = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
EXTRA_DIST += \
	%reldir%/fuzz/make_seeds.py \
	%reldir%/fuzz/fuzz_dns_query.in \
	%reldir%/fuzz/fuzz_conf.in \
	%reldir%/fuzz/fuzz_zonefile.in

%canon_reldir%_fuzz_fuzz_dns_query_SOURCES = %reldir%/fuzz/fuzz_dns_query.c
%canon_reldir%_fuzz_fuzz_dns_query_CFLAGS = $(fuzz_cflags)
%canon_reldir%_fuzz_fuzz_dns_query_LDFLAGS = $(fuzz_ldflags)
%canon_reldir%_fuzz_fuzz_dns_query_LDADD = $(GTM_LIBS)
%canon_reldir%_fuzz_fuzz_conf_SOURCES = %reldir%/fuzz/fuzz_conf.c
%canon_reldir%_fuzz_fuzz_conf_CFLAGS = $(fuzz_cflags)
%canon_reldir%_fuzz_fuzz_conf_LDFLAGS = $(fuzz_ldflags)
%canon_reldir%_fuzz_fuzz_conf_LDADD = $(GTM_LIBS)
%canon_reldir%_fuzz_fuzz_zonefile_SOURCES = %reldir%/fuzz/fuzz_zonefile.c
%canon_reldir%_fuzz_fuzz_zonefile_CFLAGS = $(fuzz_cflags)
%canon_reldir%_fuzz_fuzz_zonefile_LDFLAGS = $(fuzz_ldflags)
%canon_reldir%_fuzz_fuzz_zonefile_LDADD = $(GTM_LIBS)

if FUZZING
noinst_PROGRAMS = $(FUZZ_TARGETS)
else
check_PROGRAMS += $(FUZZ_TARGETS)
TESTS += $(FUZZ_TARGETS)
%canon_reldir%_fuzz_fuzz_dns_query_SOURCES += %reldir%/fuzz/main.c
%canon_reldir%_fuzz_fuzz_conf_SOURCES += %reldir%/fuzz/main.c
%canon_reldir%_fuzz_fuzz_zonefile_SOURCES += %reldir%/fuzz/main.c
endif
