# gtmctl: the command-line client of the management API (libcurl, jansson), and
# of a fleet's etcd for `fleet import` (fleet/etcd.c, from libgtm.a).
# Everything but main() is in libgtmctl.a, so that unit tests link it.
noinst_LIBRARIES += libgtmctl.a
libgtmctl_a_SOURCES = \
	%reldir%/args.c %reldir%/args.h \
	%reldir%/client.c %reldir%/client.h \
	%reldir%/import.c %reldir%/import.h \
	%reldir%/path.c %reldir%/path.h \
	%reldir%/render.c %reldir%/render.h \
	%reldir%/table.c %reldir%/table.h
libgtmctl_a_CPPFLAGS = -I$(top_srcdir) -I$(top_srcdir)/include -I$(top_builddir) \
	$(HARDEN_CPPFLAGS) $(LIBCURL_CFLAGS) $(JANSSON_CFLAGS) $(LIBEVENT_CFLAGS)

bin_PROGRAMS += gtmctl
gtmctl_SOURCES = %reldir%/gtmctl.c
gtmctl_CPPFLAGS = $(libgtmctl_a_CPPFLAGS)
# fleet import writes to etcd itself and checks each profile as gtmd does
gtmctl_LDADD = libgtmctl.a $(GTM_LIBS)
