# conf/: the daemon's options, one table (schema.c) through which the
# command line and the config file are parsed (conf.c).
libgtm_a_SOURCES += \
	%reldir%/conf.c %reldir%/conf.h \
	%reldir%/schema.c \
	%reldir%/xfr.c %reldir%/xfr.h
