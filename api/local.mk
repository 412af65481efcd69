libgtm_a_SOURCES += \
	%reldir%/api.h \
	%reldir%/arm.c \
	%reldir%/http.h \
	%reldir%/lab.c \
	%reldir%/obs.c \
	%reldir%/server.c \
	%reldir%/tls.c %reldir%/tls.h
