/* dnssec.h: DNSSEC at load time (--keys DIR): BIND key files read with
 * ldns, every RRset an answer can hold signed once, and each signed zone's
 * NSEC3 chain (RFC 5155 with RFC 9276's parameters: SHA-1, no extra
 * iterations, no salt, no opt-out), all put in the snapshot beside what
 * they cover. Build time only; loop (or reload) thread. */
#ifndef GTM_ZONES_DNSSEC_H
#define GTM_ZONES_DNSSEC_H

#include <stdint.h>
#include <time.h>

#include "gtm/snapshot.h"

struct arena;
struct config_errors;
struct dnssec_keys;

/* Default signature lifetime (Knot's rrsig-lifetime): 14 days. */
#define DNSSEC_LIFETIME_DEFAULT (14u * 86400u)

/* dnssec_keys_load: reads every K<zone>+<alg>+<id>.key/.private pair in
 * dir (algorithms 13 and 15 only; the .key's owner must be <zone> and its
 * public key the .private's). Signatures made with them are valid from an
 * hour before they are made to lifetime seconds after. Every problem is
 * reported through errs naming the file; returns 0 and *out (free with
 * dnssec_keys_free), or GTM_ECONFIG. */
int dnssec_keys_load(const char *dir, uint32_t lifetime, struct dnssec_keys **out,
                     struct config_errors *errs);

/* dnssec_keys_free: NULL is a no-op. */
void dnssec_keys_free(struct dnssec_keys *k);

/* dnssec_keys_unused: reports (as warnings) the zones of keys that no
 * loaded zone used. */
void dnssec_keys_unused(const struct dnssec_keys *k);

/* dnssec_zone_sign: when k has keys for z's apex: adds DNSKEY and
 * NSEC3PARAM at the apex, signs every authoritative RRset (at a delegation
 * only DS; nothing below one), the negative SOA, and builds the NSEC3
 * chain, in a. A zone without keys is left as it is. 0, or GTM_ECONFIG
 * after reporting through errs (a zone file that already holds DNSSEC
 * records, a signing failure). */
int dnssec_zone_sign(struct arena *a, struct zone *z, const struct dnssec_keys *k,
                     struct config_errors *errs);

/* dnssec_snapshot_sign: when s's --domain zone is signed: signs the
 * endpoint RRsets of each profile not signed yet (under the profile's
 * name; a profile shared with an earlier snapshot keeps its signatures),
 * and a nested profile's descendants' answers under its name, in a: the
 * arena of the load, which outlives every profile of its snapshots (a
 * profile's own arena is sized for its document: a signature there would
 * take a new chunk per profile). Then makes the zone's NSEC3 chain over
 * its names and the profiles', in s's arena, taking from prev's chain
 * (NULL: none) every record that did not change, signature included.
 * The ALIASes that lead to a profile (profile->aliases, made by
 * zones/alias.c) have their own copies of its answers, owned by the ALIAS:
 * those in a signed zone are signed here too, with that zone's keys, once
 * per profile version, whether the --domain zone is signed or not (a
 * signed vanity domain may follow an unsigned traffic manager). */
void dnssec_snapshot_sign(struct gtm_snapshot *s, const struct gtm_snapshot *prev, struct arena *a);

/* dnssec_alias_sign: an ALIAS to a static name, in a signed zone: its
 * copies of the target's A and AAAA signed under its owner, in a. Others
 * are left alone (a profile's are signed with the snapshot). */
void dnssec_alias_sign(struct arena *a, const struct alias *al);

#endif
