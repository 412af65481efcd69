# The reload path and an API route, linked from libgtm.a (cmocka, TAP):
# profiles changed one at a time through reload_profile and arm_route.
RELOAD_UNIT_TESTS = %reldir%/test_reload
check_PROGRAMS += $(RELOAD_UNIT_TESTS)
TESTS += $(RELOAD_UNIT_TESTS)

%canon_reldir%_test_reload_SOURCES = %reldir%/test_reload.c
%canon_reldir%_test_reload_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_reload_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
