# The reload path and an API route, linked from libgtm.a (cmocka, TAP):
# profiles changed one at a time through reload_profile and arm_route;
# the API's list orders of a snapshot (zones/owners.c).
RELOAD_UNIT_TESTS = %reldir%/test_reload %reldir%/test_owners
check_PROGRAMS += $(RELOAD_UNIT_TESTS)
TESTS += $(RELOAD_UNIT_TESTS)

%canon_reldir%_test_reload_SOURCES = %reldir%/test_reload.c
%canon_reldir%_test_reload_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_reload_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
%canon_reldir%_test_owners_SOURCES = %reldir%/test_owners.c
%canon_reldir%_test_owners_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_owners_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
