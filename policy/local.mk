libgtm_a_SOURCES += \
	%reldir%/policy.c %reldir%/policy.h
