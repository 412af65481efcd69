libgtm_a_SOURCES += \
	%reldir%/answer.c %reldir%/answer.h \
	%reldir%/cookie.c %reldir%/cookie.h \
	%reldir%/dnssec.c %reldir%/dnssec.h \
	%reldir%/handle.c %reldir%/handle.h \
	%reldir%/plan.c %reldir%/plan.h \
	%reldir%/query.c %reldir%/query.h \
	%reldir%/rrl.c %reldir%/rrl.h \
	%reldir%/server.c %reldir%/server.h \
	%reldir%/share.c %reldir%/share.h \
	%reldir%/tcp.c \
	%reldir%/udp.c \
	%reldir%/worker.h \
	%reldir%/xfr.c %reldir%/xfr.h
