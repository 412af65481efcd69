# bench/: performance measurements, run by hand (never by make check; see
# bench/README.md). The helpers echo.c, backend.c and connect.c are compiled by the
# scripts themselves into their temporary directory.
EXTRA_DIST += \
	%reldir%/README.md \
	%reldir%/run \
	%reldir%/instructions \
	%reldir%/monitor-scale \
	%reldir%/failover \
	%reldir%/reload-saturation \
	%reldir%/api-latency \
	%reldir%/api-write \
	%reldir%/api-scale \
	%reldir%/dnssec-memory \
	%reldir%/soak \
	%reldir%/fleet \
	%reldir%/scale \
	%reldir%/probe-floor \
	%reldir%/lib.sh \
	%reldir%/dnsclient.py \
	%reldir%/echo.c \
	%reldir%/backend.c \
	%reldir%/connect.c
