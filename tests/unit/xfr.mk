# Zone transfer configuration unit tests (cmocka, TAP): the TSIG key file,
# --allow-transfer matching, --notify targets.
XFR_UNIT_TESTS = %reldir%/test_xfr
check_PROGRAMS += $(XFR_UNIT_TESTS)
TESTS += $(XFR_UNIT_TESTS)

%canon_reldir%_test_xfr_SOURCES = %reldir%/test_xfr.c
%canon_reldir%_test_xfr_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_xfr_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
