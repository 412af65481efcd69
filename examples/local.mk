EXTRA_DIST += \
	%reldir%/gtmd.conf \
	%reldir%/gtmd.service \
	%reldir%/zones/example.com.zone
