noinst_HEADERS = \
	%reldir%/gtm/compiler.h \
	%reldir%/gtm/err.h \
	%reldir%/gtm/files.h \
	%reldir%/gtm/log.h \
	%reldir%/gtm/alloc.h \
	%reldir%/gtm/client.h \
	%reldir%/gtm/clock.h \
	%reldir%/gtm/curlev.h \
	%reldir%/gtm/dname.h \
	%reldir%/gtm/snapshot.h \
	%reldir%/gtm/ctx.h \
	%reldir%/gtm/health.h \
	%reldir%/gtm/json.h \
	%reldir%/gtm/probe.h \
	%reldir%/gtm/geoip.h \
	%reldir%/gtm/guid.h \
	%reldir%/gtm/nameserver.h \
	%reldir%/gtm/nsec3.h \
	%reldir%/gtm/nettable.h \
	%reldir%/gtm/policy.h \
	%reldir%/gtm/profile.h \
	%reldir%/gtm/rand.h \
	%reldir%/gtm/rrsig.h \
	%reldir%/gtm/stats.h
