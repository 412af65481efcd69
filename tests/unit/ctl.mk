# gtmctl unit tests (cmocka, TAP): argument parsing, paths, tables and the
# rendering of the API's JSON; no network.
check_PROGRAMS += %reldir%/test_gtmctl
TESTS += %reldir%/test_gtmctl
%canon_reldir%_test_gtmctl_SOURCES = %reldir%/test_gtmctl.c
%canon_reldir%_test_gtmctl_CPPFLAGS = $(libgtmctl_a_CPPFLAGS)
%canon_reldir%_test_gtmctl_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_gtmctl_LDADD = libgtmctl.a $(GTM_LIBS) $(CMOCKA_LIBS)
