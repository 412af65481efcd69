# Profiles: ATM profile JSON (jansson) -> validated struct profile; the
# profiles directory; checks across profiles (names, nesting).
libgtm_a_SOURCES += \
	%reldir%/profile.c %reldir%/profile_read.h \
	%reldir%/profile_endpoint.c \
	%reldir%/profile_dir.c %reldir%/profile_dir.h \
	%reldir%/profile_link.c
