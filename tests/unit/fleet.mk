# The etcd client (fleet/etcd.c) against a real etcd started by the test
# (cmocka, TAP; skipped when /usr/bin/etcd is missing); the quorum rule,
# the sync steps and the fleet's tables (fleet/quorum.c, fleet/map.c),
# pure, without etcd.
FLEET_UNIT_TESTS = %reldir%/test_etcd %reldir%/test_quorum
check_PROGRAMS += $(FLEET_UNIT_TESTS)
TESTS += $(FLEET_UNIT_TESTS)

%canon_reldir%_test_etcd_SOURCES = %reldir%/test_etcd.c
%canon_reldir%_test_etcd_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_etcd_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)

%canon_reldir%_test_quorum_SOURCES = %reldir%/test_quorum.c
%canon_reldir%_test_quorum_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_quorum_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
