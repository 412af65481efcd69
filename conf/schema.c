/* schema.c: every option of gtmd, once. Defaults live here and nowhere else;
 * man/gtmd.conf.5 is checked against this table by a unit test. */
#include "config.h"
#include "conf/conf.h"

const struct opt_def opt_schema[OPT_ID_COUNT] = {
    [OPT_ID_CONFIG] = {"config", 'c', OPT_STRING, false, 0, 0, NULL, "FILE",
                       "read options from FILE (name = value lines)"},
    [OPT_ID_LISTEN] = {"listen", 'l', OPT_ADDR, true, 0, 0, "127.0.0.1:5353 [::1]:5353",
                       "ADDR[:PORT]", "answer DNS on UDP and TCP there; repeatable"},
    [OPT_ID_DOMAIN] = {"domain", 0, OPT_STRING, true, 0, 0, "trafficmanager.net", "NAME",
                       "parent domain of profile names; SOA and NS at its apex"},
    [OPT_ID_PROFILES] = {"profiles", 'p', OPT_STRING, true, 0, 0, NULL, "DIR",
                         "Azure Traffic Manager profiles, one JSON file each (default: "
                         "STATE-DIR/profiles)"},
    [OPT_ID_STATE_DIR] = {"state-dir", 0, OPT_STRING, true, 0, 0, ".", "DIR",
                          "where gtmd keeps its state (profiles/ by default)"},
    [OPT_ID_STRICT] = {"strict", 0, OPT_BOOL, true, 0, 0, NULL, NULL,
                       "reject profile values that Azure Traffic Manager rejects"},
    [OPT_ID_API] = {"api", 0, OPT_STRING, true, 0, 0, "127.0.0.1:8443", "ADDR:PORT|off",
                    "management API (HTTPS): Azure's REST surface, /metrics, status page"},
    [OPT_ID_API_TOKEN_FILE] = {"api-token-file", 0, OPT_STRING, true, 0, 0, NULL, "FILE",
                               "bearer tokens, one per line (without it: read-only, loopback)"},
    [OPT_ID_TLS_CERT] = {"tls-cert", 0, OPT_STRING, true, 0, 0, NULL, "FILE",
                         "API certificate chain, PEM (default: self-signed)"},
    [OPT_ID_TLS_KEY] = {"tls-key", 0, OPT_STRING, true, 0, 0, NULL, "FILE", "API private key, PEM"},
    [OPT_ID_LATENCY_TABLE] = {"latency-table", 0, OPT_STRING, true, 0, 0, NULL, "FILE",
                              "Performance routing: rows 'CIDR region latency_ms'"},
    [OPT_ID_GEO_TABLE] = {"geo-table", 0, OPT_STRING, true, 0, 0, NULL, "FILE",
                          "Geographic routing: rows 'CIDR code' (US, US-CA, ...)"},
#ifdef HAVE_MAXMINDDB
    [OPT_ID_GEOIP] = {"geoip", 0, OPT_STRING, true, 0, 0, NULL, "FILE.mmdb",
                      "Geographic routing: a MaxMind DB (country, subdivision) for clients "
                      "the geo table does not cover"},
#else
    [OPT_ID_GEOIP] = {"geoip", 0, OPT_STRING, true, 0, 0, NULL, "FILE.mmdb",
                      "Geographic routing from a MaxMind DB (not available: gtmd was built "
                      "without libmaxminddb)"},
#endif
    [OPT_ID_ON_CHANGE] = {"on-change", 0, OPT_STRING, true, 0, 0, NULL, "CMD",
                          "run CMD (split on blanks, no shell) on every endpoint state "
                          "transition"},
    [OPT_ID_ZONES] = {"zones", 'z', OPT_STRING, true, 0, 0, NULL, "DIR",
                      "serve the static zone files DIR/*.zone"},
    [OPT_ID_WORKERS] = {"workers", 0, OPT_UINT, true, 1, 64, NULL, "N",
                        "workers, each with its own sockets (default: number of CPUs)"},
    [OPT_ID_TCP_TIMEOUT] = {"tcp-timeout", 0, OPT_UINT, true, 1, 3600, "10", "SECONDS",
                            "close a TCP connection idle this long"},
    [OPT_ID_TCP_CLIENTS] = {"tcp-clients", 0, OPT_UINT, true, 1, 65536, "256", "N",
                            "at most N TCP connections per worker"},
    [OPT_ID_LOG_LEVEL] = {"log-level", 0, OPT_LEVEL, true, 0, 0, "info", "LEVEL",
                          "debug, info, warn or error"},
    [OPT_ID_CHECK_CONFIG] = {"check-config", 0, OPT_FLAG, false, 0, 0, NULL, NULL,
                             "validate the configuration and zones, print errors, exit 0 or 1"},
    [OPT_ID_DEMO] =
        {"demo", 0, OPT_FLAG, false, 0, 0, NULL, NULL,
         "the embedded demo: example.com, and app.<domain> over two endpoints gtmd runs"},
    [OPT_ID_HELP] = {"help", 'h', OPT_FLAG, false, 0, 0, NULL, NULL, "print this help and exit"},
    [OPT_ID_VERSION] = {"version", 'V', OPT_FLAG, false, 0, 0, NULL, NULL,
                        "print the version and exit"},
};
