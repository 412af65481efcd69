/* import.h: gtmctl fleet import: profile files put into a fleet's etcd
 * (SPEC §11), once: each file checked as gtmd checks it, then written to
 * PREFIX/profiles/<name> only where etcd holds no such profile (unless
 * force). Talks to etcd directly (fleet/etcd.h), not to a gtmd. */
#ifndef GTM_CTL_IMPORT_H
#define GTM_CTL_IMPORT_H

#include <stdio.h>

#include "ctl/args.h"

/* ctl_fleet_import: imports a->operand[1] (a directory: its *.json files;
 * or one file) into the etcd of a->etcd. Reports each file on out (done,
 * kept) or err (refused). Returns CTL_OK, CTL_USAGE when a file was
 * refused (the others are still imported), or CTL_UNREACHABLE when etcd
 * could not be reached. */
enum ctl_status ctl_fleet_import(const struct ctl_args *a, FILE *out, FILE *err);

#endif
