libgtm_a_SOURCES += \
	%reldir%/client.c \
	%reldir%/explain.c %reldir%/explain.h \
	%reldir%/geo.c \
	%reldir%/methods.h \
	%reldir%/policy.h \
	%reldir%/select.c \
	%reldir%/simple.c
