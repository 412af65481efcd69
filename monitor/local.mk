libgtm_a_SOURCES += \
	%reldir%/fsm.c %reldir%/fsm.h \
	%reldir%/history.c %reldir%/history.h \
	%reldir%/monitor.c %reldir%/monitor.h \
	%reldir%/probe.c %reldir%/probe.h
