libgtm_a_SOURCES += \
	%reldir%/build.c \
	%reldir%/tm.c %reldir%/tm.h \
	%reldir%/zonefile.c %reldir%/zonefile.h
