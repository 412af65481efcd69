# Observability unit tests (cmocka, TAP): the transition ring, the probe
# duration histogram, Prometheus/HTML escaping, and the monitor's drill
# override, history and listeners.
OBS_UNIT_TESTS = %reldir%/test_obs
check_PROGRAMS += $(OBS_UNIT_TESTS)
TESTS += $(OBS_UNIT_TESTS)

%canon_reldir%_test_obs_SOURCES = %reldir%/test_obs.c
%canon_reldir%_test_obs_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_obs_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
