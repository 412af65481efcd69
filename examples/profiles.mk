# One example profile per routing method (ARM and `az` shapes), and the
# database DR switch of docs/DR-SWITCH.md (mirror-dr.json), loadable
# together as one --profiles directory.
EXTRA_DIST += \
	%reldir%/profiles/priority.json \
	%reldir%/profiles/mirror-dr.json \
	%reldir%/profiles/weighted.json \
	%reldir%/profiles/roundrobin.json \
	%reldir%/profiles/performance.json \
	%reldir%/profiles/geographic.json \
	%reldir%/profiles/multivalue.json \
	%reldir%/profiles/subnet.json \
	%reldir%/profiles/nested.json \
	%reldir%/profiles/nested-europe.json
