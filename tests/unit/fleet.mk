# The etcd client (fleet/etcd.c) against a real etcd started by the test
# (cmocka, TAP; skipped when /usr/bin/etcd is missing).
FLEET_UNIT_TESTS = %reldir%/test_etcd
check_PROGRAMS += $(FLEET_UNIT_TESTS)
TESTS += $(FLEET_UNIT_TESTS)

%canon_reldir%_test_etcd_SOURCES = %reldir%/test_etcd.c
%canon_reldir%_test_etcd_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_etcd_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
