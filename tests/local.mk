# Unit tests (cmocka, TAP), the fuzz corpus replay, and the system tests (pytest).
TEST_EXTENSIONS = .py
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
AM_TESTS_ENVIRONMENT = CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	GTMD=$(abs_top_builddir)/gtmd; export GTMD; \
	GTM_SRCDIR=$(abs_top_srcdir); export GTM_SRCDIR;
