# Policy unit tests (cmocka, TAP): every routing method over hand-built
# health tables with a seeded PRNG, and scenario tests that run the real
# monitor on a stepped clock with scripted probe results and ask dns_handle
# (STYLE "The test pyramid").
POLICY_UNIT_TESTS = \
	%reldir%/test_policy \
	%reldir%/test_scenario
check_PROGRAMS += $(POLICY_UNIT_TESTS)
TESTS += $(POLICY_UNIT_TESTS)

%canon_reldir%_test_policy_SOURCES = %reldir%/test_policy.c
%canon_reldir%_test_policy_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_policy_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
%canon_reldir%_test_scenario_SOURCES = %reldir%/test_scenario.c
%canon_reldir%_test_scenario_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_scenario_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
