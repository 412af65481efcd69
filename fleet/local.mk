# fleet/: the fleet of gtmd nodes sharing state through etcd (SPEC §11):
# the etcd v3 client (its JSON gateway over libcurl).
libgtm_a_SOURCES += %reldir%/etcd.c %reldir%/etcd.h
