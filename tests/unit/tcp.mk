# DNS over TCP unit tests (cmocka, TAP): the per-client connection counts.
TCP_UNIT_TESTS = %reldir%/test_tcp_share
check_PROGRAMS += $(TCP_UNIT_TESTS)
TESTS += $(TCP_UNIT_TESTS)

%canon_reldir%_test_tcp_share_SOURCES = %reldir%/test_tcp_share.c
%canon_reldir%_test_tcp_share_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_tcp_share_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
