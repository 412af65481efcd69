# profiles/: the Azure Traffic Manager profile document: the field table,
# parsing (jansson) into a validated struct profile, the profiles directory
# and its atomic store, the checks across profiles (names, nesting), for a
# whole directory or one change, and the lifetime of a profile shared by
# snapshots.
libgtm_a_SOURCES += \
	%reldir%/check.c %reldir%/check.h \
	%reldir%/dir.c %reldir%/dir.h \
	%reldir%/endpoint.c \
	%reldir%/fields.c %reldir%/fields.h \
	%reldir%/link.c \
	%reldir%/own.c %reldir%/profile.h \
	%reldir%/parse.c %reldir%/read.h \
	%reldir%/store.c %reldir%/store.h
