# GeoIP unit tests (cmocka, TAP): --geoip lookups over MaxMind DB files
# written at test time by tests/system/mmdb.py, and Geographic routing from
# them. Skipped when gtmd was built without libmaxminddb.
GEOIP_UNIT_TESTS = %reldir%/test_geoip
check_PROGRAMS += $(GEOIP_UNIT_TESTS)
TESTS += $(GEOIP_UNIT_TESTS)

%canon_reldir%_test_geoip_SOURCES = %reldir%/test_geoip.c
%canon_reldir%_test_geoip_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_geoip_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
