EXTRA_DIST += \
	%reldir%/gtmd.conf \
	%reldir%/gtmd.service \
	%reldir%/zones/example.com.zone \
	%reldir%/zones/example.org.zone \
	%reldir%/keys/README \
	%reldir%/keys/Kexample.org.+013+19368.key \
	%reldir%/keys/Kexample.org.+013+19368.private \
	%reldir%/keys/Kexample.org.+013+19368.ds \
	%reldir%/fleet/run \
	%reldir%/fleet/backend.py \
	%reldir%/fleet/n1.conf \
	%reldir%/fleet/n2.conf \
	%reldir%/fleet/n3.conf \
	%reldir%/fleet/profiles/app.json \
	%reldir%/dr/standin.py \
	%reldir%/dr/page-oncall \
	%reldir%/vanity/example.org.zone \
	%reldir%/lab/python/conftest.py \
	%reldir%/lab/python/test_failover.py \
	%reldir%/lab/js/package.json \
	%reldir%/lab/js/package-lock.json \
	%reldir%/lab/js/lab.mjs \
	%reldir%/lab/js/failover.test.mjs \
	%reldir%/lab/az/failover.sh \
	%reldir%/lab/az/backend.py
