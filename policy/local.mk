libgtm_a_SOURCES += \
	%reldir%/candidates.c \
	%reldir%/explain.c %reldir%/explain.h \
	%reldir%/geo.c \
	%reldir%/geographic.c \
	%reldir%/methods.h \
	%reldir%/multivalue.c \
	%reldir%/performance.c \
	%reldir%/policy.c %reldir%/policy.h \
	%reldir%/priority.c \
	%reldir%/roundrobin.c \
	%reldir%/subnet.c \
	%reldir%/weighted.c
