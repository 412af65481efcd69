# profiles/: the Azure Traffic Manager profile document: its lifetime when
# snapshots share it, and the checks of one profile against the others.
libgtm_a_SOURCES += \
	%reldir%/check.c %reldir%/check.h \
	%reldir%/fields.c %reldir%/fields.h \
	%reldir%/own.c
