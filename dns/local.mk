libgtm_a_SOURCES += \
	%reldir%/answer.c %reldir%/answer.h \
	%reldir%/cookie.c %reldir%/cookie.h \
	%reldir%/dnssec.c %reldir%/dnssec.h \
	%reldir%/dnstap.c %reldir%/dnstap.h \
	%reldir%/handle.c %reldir%/handle.h \
	%reldir%/plan.c %reldir%/plan.h \
	%reldir%/query.c %reldir%/query.h \
	%reldir%/rrl.c %reldir%/rrl.h \
	%reldir%/server.c %reldir%/server.h \
	%reldir%/share.c %reldir%/share.h \
	%reldir%/tcp.c \
	%reldir%/udp.c \
	%reldir%/worker.h \
	%reldir%/xfr.c %reldir%/xfr.h

# dnstap (--dnstap): the C of the protobuf schema, made by protoc-c at build
# time into the build tree (not distributed: the .proto is).
EXTRA_DIST += %reldir%/dnstap.proto
if HAVE_DNSTAP
nodist_libgtm_a_SOURCES += %reldir%/dnstap.pb-c.c %reldir%/dnstap.pb-c.h
BUILT_SOURCES += %reldir%/dnstap.pb-c.c %reldir%/dnstap.pb-c.h
CLEANFILES += %reldir%/dnstap.pb-c.c %reldir%/dnstap.pb-c.h
%reldir%/dnstap.pb-c.c: $(top_srcdir)/%reldir%/dnstap.proto
	$(AM_V_GEN)$(MKDIR_P) %reldir% && \
	$(PROTOC_C) --c_out=%reldir% --proto_path=$(top_srcdir)/%reldir% \
	  $(top_srcdir)/%reldir%/dnstap.proto
%reldir%/dnstap.pb-c.h: %reldir%/dnstap.pb-c.c
	@test -f $@ || { rm -f $<; $(MAKE) $(AM_MAKEFLAGS) $<; }
# Also when a target is made alone (make gtmd), without BUILT_SOURCES.
%reldir%/dnstap.$(OBJEXT): %reldir%/dnstap.pb-c.h
endif
