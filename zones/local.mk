libgtm_a_SOURCES += \
	%reldir%/build.c \
	%reldir%/conf.c %reldir%/conf.h \
	%reldir%/dname.c \
	%reldir%/geoip.c \
	%reldir%/nettable.c \
	%reldir%/schema.c \
	%reldir%/tm.c %reldir%/tm.h \
	%reldir%/zonefile.c %reldir%/zonefile.h
