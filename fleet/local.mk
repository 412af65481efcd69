libgtm_a_SOURCES += %reldir%/fleet.c %reldir%/fleet.h %reldir%/map.c %reldir%/map.h %reldir%/quorum.c %reldir%/quorum.h
