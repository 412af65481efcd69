libgtm_a_SOURCES += \
	%reldir%/curlev.c %reldir%/curlev.h \
	%reldir%/health.c \
	%reldir%/history.c %reldir%/history.h \
	%reldir%/monitor.c %reldir%/monitor.h \
	%reldir%/probe.c %reldir%/probe.h
