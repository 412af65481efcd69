# fleet/: the fleet of gtmd nodes sharing state through etcd (SPEC §11):
# the etcd v3 client (its JSON gateway over libcurl), the node's part in
# the fleet (fleet.c), its tables, and the pure quorum and sync rules.
libgtm_a_SOURCES += \
	%reldir%/cookies.c %reldir%/cookies.h \
	%reldir%/etcd.c %reldir%/etcd.h \
	%reldir%/fleet.c %reldir%/fleet.h \
	%reldir%/map.c %reldir%/map.h \
	%reldir%/quorum.c %reldir%/quorum.h
