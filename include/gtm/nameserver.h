/* nameserver.h: a name server of the --domain zone, as --ns gives it
 * (conf/) and the zone's synthesised apex uses it (zones/). Types only. */
#ifndef GTM_NAMESERVER_H
#define GTM_NAMESERVER_H

#define GTM_NS_MAX      16 /* --ns options */
#define GTM_NS_MAX_ADDR 8  /* addresses of one */

struct gtm_ns_addr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
};

struct gtm_nameserver {
    char *name; /* as written (absolute or not; a trailing dot optional); NULL: ns1.<domain> */
    unsigned naddr;
    struct gtm_ns_addr addr[GTM_NS_MAX_ADDR];
};

#endif
