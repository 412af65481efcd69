# lib/: small shared pieces under everything (STYLE.md §1): allocation and
# arenas, logging, configuration errors (file:line: error:), wire names,
# client keys for connection shares, network tables, the GeoIP reader,
# JSON helpers (a member in any case, a nesting bound), a directory's
# files in name order.
# Their headers are contracts in include/gtm/; nothing here includes a
# header of a folder above it.
libgtm_a_SOURCES += \
	%reldir%/alloc.c \
	%reldir%/client.c \
	%reldir%/curlev.c \
	%reldir%/dname.c \
	%reldir%/err.c \
	%reldir%/files.c \
	%reldir%/geoip.c \
	%reldir%/json.c \
	%reldir%/log.c \
	%reldir%/nettable.c \
	%reldir%/nsec3.c \
	%reldir%/rrset.c \
	%reldir%/rrsig.c
