# Unit tests (cmocka, TAP) of lib/: the shared pieces under everything;
# and the layering of the tree.
LIB_UNIT_TESTS = %reldir%/test_nettable %reldir%/test_lib
check_PROGRAMS += $(LIB_UNIT_TESTS)
TESTS += $(LIB_UNIT_TESTS)

%canon_reldir%_test_nettable_SOURCES = %reldir%/test_nettable.c
%canon_reldir%_test_nettable_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_nettable_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)
%canon_reldir%_test_lib_SOURCES = %reldir%/test_lib.c
%canon_reldir%_test_lib_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
%canon_reldir%_test_lib_LDADD = $(GTM_LIBS) $(CMOCKA_LIBS)

# The include graph between source folders has no circle (STYLE.md §1):
# a Python script over the tree, TAP.
TESTS += %reldir%/check-layers
EXTRA_DIST += %reldir%/check-layers
