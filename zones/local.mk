libgtm_a_SOURCES += \
	%reldir%/build.c \
	%reldir%/dname.c \
	%reldir%/geoip.c \
	%reldir%/lookup.c %reldir%/lookup.h \
	%reldir%/nettable.c \
	%reldir%/tm.c %reldir%/tm.h \
	%reldir%/zonefile.c %reldir%/zonefile.h
