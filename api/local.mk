libgtm_a_SOURCES += \
	%reldir%/account.c \
	%reldir%/api.h \
	%reldir%/arm.c \
	%reldir%/arm_doc.c %reldir%/arm_doc.h \
	%reldir%/arm_extra.c %reldir%/arm_extra.h \
	%reldir%/arm_render.c \
	%reldir%/conn.c %reldir%/conn.h \
	%reldir%/http.c %reldir%/http.h \
	%reldir%/issuer.c %reldir%/issuer.h \
	%reldir%/lab.c \
	%reldir%/obs.c \
	%reldir%/server.c \
	%reldir%/status.c %reldir%/status.h \
	%reldir%/text.c %reldir%/text.h \
	%reldir%/tls.c %reldir%/tls.h
