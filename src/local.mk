sbin_PROGRAMS += gtmd
gtmd_SOURCES = %reldir%/gtmd.c
gtmd_LDADD = $(GTM_LIBS)

libgtm_a_SOURCES += \
	%reldir%/ctx.c %reldir%/ctx.h \
	%reldir%/daemon.h \
	%reldir%/demo.c %reldir%/demo.h \
	%reldir%/dnsnotify.c %reldir%/dnsnotify.h \
	%reldir%/hook.c %reldir%/hook.h \
	%reldir%/notify.c %reldir%/notify.h \
	%reldir%/reload.c
nodist_libgtm_a_SOURCES = %reldir%/demo_zone.c

# The --demo zone is examples/zones/example.com.zone, embedded at build time.
%reldir%/demo_zone.c: $(top_srcdir)/examples/zones/example.com.zone $(top_srcdir)/%reldir%/embed.awk
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(AWK) -v name=demo_zone_text -v origin=example.com. -f $(top_srcdir)/%reldir%/embed.awk \
	  $(top_srcdir)/examples/zones/example.com.zone > $@.tmp && mv $@.tmp $@
BUILT_SOURCES += %reldir%/demo_zone.c
CLEANFILES += %reldir%/demo_zone.c
EXTRA_DIST += %reldir%/embed.awk
