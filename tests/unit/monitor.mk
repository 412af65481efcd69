# Monitor unit tests (cmocka, TAP): fsm_next (monitor/fsm.h) as a table, and the monitor
# against real servers on 127.0.0.1 in the same process.
MONITOR_UNIT_TESTS = \
	%reldir%/test_health \
	%reldir%/test_monitor
check_PROGRAMS += $(MONITOR_UNIT_TESTS)
TESTS += $(MONITOR_UNIT_TESTS)

%canon_reldir%_test_health_SOURCES = %reldir%/test_health.c
%canon_reldir%_test_health_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_health_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
%canon_reldir%_test_monitor_SOURCES = %reldir%/test_monitor.c
%canon_reldir%_test_monitor_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_monitor_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
