libgtm_a_SOURCES += \
	%reldir%/alias.c %reldir%/alias.h \
	%reldir%/build.c %reldir%/build.h \
	%reldir%/dnssec.c %reldir%/dnssec.h \
	%reldir%/owners.c %reldir%/owners.h \
	%reldir%/stats.c %reldir%/stats.h \
	%reldir%/tm.c %reldir%/tm.h \
	%reldir%/zonefile.c %reldir%/zonefile.h
