/* obs.c: GET /metrics (Prometheus text format 0.0.4) and GET / (the status
 * page: one self-contained HTML page that reloads itself, drawn from the
 * same JSON as GET /gtmd/v1/status). Endpoints that share a probe report
 * that probe's numbers each. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "api/http.h"
#include "api/issuer.h"
#include "api/status.h"
#include "fleet/fleet.h"
#include "api/text.h"
#include "gtm/ctx.h"
#include "gtm/health.h"
#include "gtm/snapshot.h"
#include "gtm/stats.h"
#include "monitor/monitor.h"
#include "policy/policy.h"
#include "zones/stats.h"
#include "dns/dnssec.h"
#include "dns/server.h"

/* ---- /metrics ---- */

static const char *const outcome_names[TM_OUTCOMES] = {"answer", "nodata", "nxdomain"};

/* The endpoint states gauges are written for, in enum ep_status order. */
#define EP_STATES 7
/* The profile states, in enum profile_status order. */
#define PROFILE_STATES 5

static void
family(struct evbuffer *b, const char *name, const char *type, const char *help)
{
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* `name{profile="..",endpoint=".."` without the closing brace. */
static void
series_pe(struct evbuffer *b, const char *name, const struct profile *p, const struct endpoint *e)
{
    evbuffer_add_printf(b, "%s{profile=\"", name);
    prom_label_value(b, p->name);
    if (e) {
        evbuffer_add(b, "\",endpoint=\"", 12);
        prom_label_value(b, e->name);
    }
    evbuffer_add(b, "\"", 1);
}

/* Calls fn for every probed endpoint of every profile. */
typedef void (*probed_fn)(struct evbuffer *b, const struct profile *p, const struct endpoint *e,
                          const struct probe_info *pi);

static void
each_probed(struct evbuffer *b, const struct gtm_ctx *ctx, const struct gtm_snapshot *s,
            probed_fn fn)
{
    for (uint32_t i = 0; i < s->nprofiles; i++) {
        const struct profile *p = s->profiles[i];
        for (uint32_t k = 0; k < p->nendpoints; k++) {
            const struct probe_info *pi = obs_probe(ctx, &p->endpoints[k]);
            if (pi)
                fn(b, p, &p->endpoints[k], pi);
        }
    }
}

static void
m_probes(struct evbuffer *b, const struct profile *p, const struct endpoint *e,
         const struct probe_info *pi)
{
    series_pe(b, "gtmd_probes_total", p, e);
    evbuffer_add_printf(b, ",result=\"ok\"} %llu\n", (unsigned long long)pi->probes_ok);
    series_pe(b, "gtmd_probes_total", p, e);
    evbuffer_add_printf(b, ",result=\"fail\"} %llu\n", (unsigned long long)pi->probes_failed);
}

static void
m_duration(struct evbuffer *b, const struct profile *p, const struct endpoint *e,
           const struct probe_info *pi)
{
    for (unsigned i = 0; i <= LATENCY_BUCKETS; i++) {
        series_pe(b, "gtmd_probe_duration_seconds_bucket", p, e);
        if (i < LATENCY_BUCKETS)
            evbuffer_add_printf(b, ",le=\"%g\"} ", latency_bounds_us[i] / 1e6);
        else
            evbuffer_add_printf(b, ",le=\"+Inf\"} ");
        evbuffer_add_printf(b, "%llu\n", (unsigned long long)latency_cumulative(&pi->latency, i));
    }
    series_pe(b, "gtmd_probe_duration_seconds_sum", p, e);
    evbuffer_add_printf(b, "} %.6f\n", pi->latency.sum_us / 1e6);
    series_pe(b, "gtmd_probe_duration_seconds_count", p, e);
    evbuffer_add_printf(b, "} %llu\n", (unsigned long long)pi->latency.count);
}

static void
m_transitions(struct evbuffer *b, const struct profile *p, const struct endpoint *e,
              const struct probe_info *pi)
{
    static const uint8_t pairs[][2] = {{EPS_CHECKING, EPS_ONLINE},
                                       {EPS_CHECKING, EPS_DEGRADED},
                                       {EPS_ONLINE, EPS_DEGRADED},
                                       {EPS_DEGRADED, EPS_ONLINE}};
    for (size_t i = 0; i < GTM_ARRAY_LEN(pairs); i++) {
        series_pe(b, "gtmd_transitions_total", p, e);
        evbuffer_add_printf(b, ",from=\"%s\",to=\"%s\"} %llu\n",
                            ep_status_name((enum ep_status)pairs[i][0]),
                            ep_status_name((enum ep_status)pairs[i][1]),
                            (unsigned long long)pi->transitions[pairs[i][0]][pairs[i][1]]);
    }
}

static void
m_failures(struct evbuffer *b, const struct profile *p, const struct endpoint *e,
           const struct probe_info *pi)
{
    series_pe(b, "gtmd_endpoint_failures", p, e);
    evbuffer_add_printf(b, "} %u\n", (unsigned)pi->fails);
}

static void
m_override(struct evbuffer *b, const struct profile *p, const struct endpoint *e,
           const struct probe_info *pi)
{
    static const uint8_t forced[] = {EPS_ONLINE, EPS_DEGRADED};
    for (size_t i = 0; i < GTM_ARRAY_LEN(forced); i++) {
        series_pe(b, "gtmd_endpoint_override", p, e);
        evbuffer_add_printf(b, ",state=\"%s\"} %d\n", ep_status_name((enum ep_status)forced[i]),
                            pi->forced && pi->forced_state == forced[i]);
    }
}

/* Process metrics as the Prometheus client libraries name them, from /proc. */
static void
process_metrics(struct evbuffer *b)
{
    long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    char buf[1024];
    FILE *fp = fopen("/proc/self/stat", "r");
    size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    if (fp)
        fclose(fp);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    unsigned long utime = 0, stime = 0, vsize = 0;
    unsigned long long start = 0;
    long rss = 0;
    bool have = p && tck > 0 &&
                sscanf(p + 2,
                       "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d "
                       "%*d %llu %lu %ld",
                       &utime, &stime, &start, &vsize, &rss) == 5;
    unsigned long long btime = 0;
    fp = fopen("/proc/stat", "r");
    while (fp && fgets(buf, sizeof buf, fp))
        if (sscanf(buf, "btime %llu", &btime) == 1)
            break;
    if (fp)
        fclose(fp);
    if (have) {
        family(b, "process_cpu_seconds_total", "counter", "User and system CPU time spent.");
        evbuffer_add_printf(b, "process_cpu_seconds_total %.2f\n",
                            (double)(utime + stime) / (double)tck);
        family(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size.");
        evbuffer_add_printf(b, "process_virtual_memory_bytes %lu\n", vsize);
        family(b, "process_resident_memory_bytes", "gauge", "Resident memory size.");
        evbuffer_add_printf(b, "process_resident_memory_bytes %lld\n", (long long)rss * page);
        if (btime) {
            family(b, "process_start_time_seconds", "gauge",
                   "Start time of the process since the epoch, in seconds.");
            evbuffer_add_printf(b, "process_start_time_seconds %.2f\n",
                                (double)btime + (double)start / (double)tck);
        }
    }
    unsigned fds = 0;
    DIR *d = opendir("/proc/self/fd");
    for (struct dirent *de; d && (de = readdir(d)) != NULL;)
        fds += de->d_name[0] != '.';
    if (d) {
        closedir(d);
        family(b, "process_open_fds", "gauge", "Open file descriptors.");
        evbuffer_add_printf(b, "process_open_fds %u\n", fds ? fds - 1 : 0); /* less opendir's */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        family(b, "process_max_fds", "gauge", "Limit on open file descriptors.");
        evbuffer_add_printf(b, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
    }
}

static void
metrics(struct api_req *r)
{
    struct gtm_ctx *ctx = r->ctx;
    const struct gtm_snapshot *s = atomic_load(&ctx->snap);
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        api_error(r, 500, "InternalServerError", "Out of memory.");
        return;
    }

    family(b, "gtmd_build_info", "gauge", "gtmd's version; always 1.");
    evbuffer_add_printf(b, "gtmd_build_info{version=\"");
    prom_label_value(b, PACKAGE_VERSION);
    evbuffer_add_printf(b, "\"} 1\n");

    family(b, "gtmd_queries_total", "counter",
           "DNS queries by the response code sent (dropped: none sent).");
    for (int rc = 0; rc < QR_RCODES; rc++)
        evbuffer_add_printf(b, "gtmd_queries_total{rcode=\"%s\"} %llu\n",
                            stats_rcode_name((enum q_rcode)rc),
                            (unsigned long long)server_rcodes(ctx, (enum q_rcode)rc));

    static const char *const cookie_seen[] = {"client_only", "valid", "invalid"};
    family(b, "gtmd_cookie_queries_total", "counter",
           "DNS queries with a COOKIE option (RFC 7873), by the server cookie they held.");
    for (unsigned k = 0; k < 3; k++)
        evbuffer_add_printf(b, "gtmd_cookie_queries_total{server_cookie=\"%s\"} %llu\n",
                            cookie_seen[k], (unsigned long long)server_cookies(ctx, k));

    uint64_t tap_sent, tap_dropped;
    if (server_dnstap(ctx, &tap_sent, &tap_dropped)) {
        family(b, "gtmd_dnstap_messages_total", "counter",
               "dnstap messages (--dnstap) handed to the writer (which discards them while no "
               "reader is connected).");
        evbuffer_add_printf(b, "gtmd_dnstap_messages_total %llu\n", (unsigned long long)tap_sent);
        family(b, "gtmd_dnstap_dropped_total", "counter",
               "dnstap messages dropped: an answering thread's queue was full (the writer or its "
               "reader was behind).");
        evbuffer_add_printf(b, "gtmd_dnstap_dropped_total %llu\n", (unsigned long long)tap_dropped);
    }
    family(b, "gtmd_rrl_responses_total", "counter",
           "UDP responses response rate limiting (--rrl) dropped or sent truncated.");
    evbuffer_add_printf(b, "gtmd_rrl_responses_total{action=\"dropped\"} %llu\n",
                        (unsigned long long)server_rrl(ctx, DNS_RRL_DROPPED));
    evbuffer_add_printf(b, "gtmd_rrl_responses_total{action=\"slipped\"} %llu\n",
                        (unsigned long long)server_rrl(ctx, DNS_RRL_SLIPPED));
    family(b, "gtmd_rrl_limited_total", "counter",
           "Times a client network started being rate limited (per answer class and name).");
    evbuffer_add_printf(b, "gtmd_rrl_limited_total %llu\n",
                        (unsigned long long)server_rrl(ctx, DNS_RRL_LIMITED));

    family(b, "gtmd_profile_queries_total", "counter",
           "Queries for a traffic manager name, by outcome.");
    for (uint32_t i = 0; i < s->nprofiles; i++)
        for (int o = 0; o < TM_OUTCOMES; o++) {
            series_pe(b, "gtmd_profile_queries_total", s->profiles[i], NULL);
            evbuffer_add_printf(
                b, ",outcome=\"%s\"} %llu\n", outcome_names[o],
                (unsigned long long)stats_profile(ctx, s->profiles[i], (enum tm_outcome)o));
        }

    family(b, "gtmd_endpoint_answers_total", "counter", "Answers that returned the endpoint.");
    for (uint32_t i = 0; i < s->nprofiles; i++)
        for (uint32_t k = 0; k < s->profiles[i]->nendpoints; k++) {
            series_pe(b, "gtmd_endpoint_answers_total", s->profiles[i],
                      &s->profiles[i]->endpoints[k]);
            evbuffer_add_printf(b, "} %llu\n",
                                (unsigned long long)stats_endpoint(ctx, s->profiles[i], k));
        }

    family(b, "gtmd_probes_total", "counter", "Health probes of the endpoint, by result.");
    each_probed(b, ctx, s, m_probes);
    family(b, "gtmd_probe_duration_seconds", "histogram", "How long health probes took.");
    each_probed(b, ctx, s, m_duration);

    family(b, "gtmd_endpoint_state", "gauge",
           "The endpoint's monitor status (endpointMonitorStatus): 1 for the current one.");
    for (uint32_t i = 0; i < s->nprofiles; i++) {
        const struct profile *p = s->profiles[i];
        for (uint32_t k = 0; k < p->nendpoints; k++) {
            enum ep_status st = endpoint_status(p, &p->endpoints[k], s->health);
            for (int x = 0; x < EP_STATES; x++) {
                series_pe(b, "gtmd_endpoint_state", p, &p->endpoints[k]);
                evbuffer_add_printf(b, ",state=\"%s\"} %d\n", ep_status_name((enum ep_status)x),
                                    (int)st == x);
            }
        }
    }
    family(b, "gtmd_endpoint_override", "gauge",
           "1 while a drill override forces the endpoint to the state.");
    each_probed(b, ctx, s, m_override);
    family(b, "gtmd_endpoint_failures", "gauge", "Consecutive failed probes of the endpoint.");
    each_probed(b, ctx, s, m_failures);

    family(b, "gtmd_profile_state", "gauge",
           "The profile's monitor status (profileMonitorStatus): 1 for the current one.");
    for (uint32_t i = 0; i < s->nprofiles; i++) {
        enum profile_status st = profile_status(s->profiles[i], s->health);
        for (int x = 0; x < PROFILE_STATES; x++) {
            series_pe(b, "gtmd_profile_state", s->profiles[i], NULL);
            evbuffer_add_printf(b, ",state=\"%s\"} %d\n",
                                profile_status_name((enum profile_status)x), (int)st == x);
        }
    }

    family(b, "gtmd_transitions_total", "counter", "Changes of the endpoint's monitor status.");
    each_probed(b, ctx, s, m_transitions);

    family(b, "gtmd_reloads_total", "counter", "Reloads of the configuration, by result.");
    evbuffer_add_printf(b, "gtmd_reloads_total{result=\"ok\"} %llu\n",
                        (unsigned long long)ctx->reloads_ok);
    evbuffer_add_printf(b, "gtmd_reloads_total{result=\"failed\"} %llu\n",
                        (unsigned long long)ctx->reloads_failed);
    family(b, "gtmd_notifies_total", "counter",
           "NOTIFY messages to --notify targets: sent (every try), acked, failed (given up).");
    static const char *const notify_result[3] = {"sent", "acked", "failed"};
    for (int i = 0; i < 3; i++)
        evbuffer_add_printf(b, "gtmd_notifies_total{result=\"%s\"} %llu\n", notify_result[i],
                            (unsigned long long)ctx->notifies[i]);
    family(b, "gtmd_config_generation", "gauge", "Generation of the configuration served.");
    evbuffer_add_printf(b, "gtmd_config_generation %llu\n", (unsigned long long)s->generation);
    family(b, "gtmd_config_loaded_seconds", "gauge", "When it was loaded, since the epoch.");
    evbuffer_add_printf(b, "gtmd_config_loaded_seconds %lld\n", (long long)s->loaded);
    family(b, "gtmd_profiles", "gauge", "Profiles served.");
    evbuffer_add_printf(b, "gtmd_profiles %u\n", (unsigned)s->nprofiles);
    family(b, "gtmd_probes", "gauge", "Distinct health probes running.");
    evbuffer_add_printf(b, "gtmd_probes %u\n", (unsigned)s->nprobes);
    struct monitor_counts mc;
    monitor_counts(ctx->monitor, &mc);
    family(b, "gtmd_probes_in_flight", "gauge", "Health probes under way now.");
    evbuffer_add_printf(b, "gtmd_probes_in_flight %u\n", (unsigned)mc.in_flight);
    family(b, "gtmd_probes_in_flight_max", "gauge",
           "The most health probes allowed under way at once (--max-probes-in-flight).");
    evbuffer_add_printf(b, "gtmd_probes_in_flight_max %u\n",
                        ctx->monitor ? (unsigned)monitor_max_in_flight(ctx->monitor) : 0u);
    family(b, "gtmd_probe_runs_pooled", "gauge",
           "Probe runs (curl handles) pooled: the most ever under way at once.");
    evbuffer_add_printf(b, "gtmd_probe_runs_pooled %u\n", (unsigned)mc.runs);
    family(b, "gtmd_probes_skipped_total", "counter",
           "Health probes not run when due, --max-probes-in-flight being reached; each was "
           "moved to another time of its interval.");
    evbuffer_add_printf(b, "gtmd_probes_skipped_total %llu\n", (unsigned long long)mc.skipped);
    family(b, "gtmd_dnssec_answer_signatures_total", "counter",
           "RRSIGs made at answer time (several endpoints' records answered as one RRset).");
    evbuffer_add_printf(b, "gtmd_dnssec_answer_signatures_total %llu\n",
                        (unsigned long long)dns_dnssec_signed_now());
    family(b, "gtmd_workers", "gauge", "Answering threads.");
    evbuffer_add_printf(b, "gtmd_workers %u\n", ctx->nworkers);
    process_metrics(b);
    if (r->issuer) {
        unsigned long long granted, refused;
        issuer_counts(r->issuer, &granted, &refused);
        family(b, "gtmd_api_tokens_total", "counter",
               "Token requests to the built-in issuer, by result (refused: unknown client or "
               "wrong secret).");
        evbuffer_add_printf(b, "gtmd_api_tokens_total{result=\"granted\"} %llu\n", granted);
        evbuffer_add_printf(b, "gtmd_api_tokens_total{result=\"refused\"} %llu\n", refused);
    }
    if (ctx->fleet)
        fleet_metrics(ctx->fleet, b);

    size_t len = evbuffer_get_length(b);
    api_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8",
              (const char *)evbuffer_pullup(b, -1), len);
    evbuffer_free(b);
}

/* ---- the status page ---- */

static const char page_style[] =
    "body{font:14px/1.45 'DejaVu Sans',system-ui,sans-serif;margin:0;background:#f3f4f6;"
    "color:#1f2430}"
    "header{background:#1f2430;color:#fff;padding:10px 20px;display:flex;flex-wrap:wrap;"
    "gap:6px 22px;align-items:baseline}"
    "header h1{font-size:19px;margin:0 8px 0 0}header span{color:#c9cedb}"
    "header b{color:#fff}"
    "main{padding:14px 20px}"
    "section{background:#fff;border:1px solid #d9dde5;border-radius:6px;margin:0 0 14px;"
    "padding:10px 14px}"
    "h2{font-size:16px;margin:0 0 2px;display:flex;gap:10px;align-items:center}"
    ".sub{color:#5b6270;font-size:12.5px;margin:0 0 8px}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;padding:4px 10px 4px 0;border-bottom:1px solid #edf0f3;"
    "white-space:nowrap;vertical-align:middle}"
    "th{font-weight:600;color:#5b6270;font-size:12px}"
    "td.num,th.num{text-align:right}"
    ".b{display:inline-block;padding:1px 9px;border-radius:10px;font-weight:700;font-size:12px;"
    "color:#fff;background:#8a919e}"
    ".Online{background:#2e7d32}.Degraded{background:#d32f2f}"
    ".CheckingEndpoint,.CheckingEndpoints{background:#f2b705;color:#222}"
    ".Unmonitored{background:#1565c0}.forced{background:#6a1b9a}"
    ".fail{color:#b35900;font-weight:600}.muted{color:#8a919e}"
    "footer{padding:0 20px 16px;color:#8a919e;font-size:12px}"
    "a{color:inherit}";

/* "1.2 s ago", "3 min ago" from an ISO 8601 time of the status JSON. */
static void
ago(struct evbuffer *b, const char *iso, int64_t now_ms)
{
    struct tm tm = {0};
    int ms = 0;
    if (!iso || sscanf(iso, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                       &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
        evbuffer_add_printf(b, "<span class=\"muted\">never</span>");
        return;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    int64_t at = (int64_t)timegm(&tm) * 1000 + ms;
    double s = (double)(now_ms - at) / 1000.0;
    if (s < 0)
        s = 0;
    if (s < 60)
        evbuffer_add_printf(b, "%.1f s ago", s);
    else if (s < 3600)
        evbuffer_add_printf(b, "%.0f min ago", s / 60);
    else
        evbuffer_add_printf(b, "%.1f h ago", s / 3600);
}

static void
badge(struct evbuffer *b, const char *state)
{
    evbuffer_add_printf(b, "<span class=\"b ");
    html_text(b, state);
    evbuffer_add_printf(b, "\">");
    html_text(b, state);
    evbuffer_add_printf(b, "</span>");
}

static const char *
jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static json_int_t
jint(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* Fleet mode: each node's verdict and the quorum, under the last probe. */
static void
page_fleet(struct evbuffer *b, const json_t *f)
{
    if (!json_is_object(f))
        return;
    evbuffer_add_printf(b, "<br><span class=\"muted\">fleet %lld of %lld Degraded (quorum %lld):",
                        (long long)jint(f, "degraded"), (long long)jint(f, "voters"),
                        (long long)jint(f, "quorum"));
    const char *node;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(f, "nodes"), node, v)
    {
        evbuffer_add_printf(b, " ");
        html_text(b, node);
        evbuffer_add_printf(b, " ");
        html_text(b, jstr(v, "state"));
    }
    evbuffer_add_printf(b, "</span>");
}

static void
page_endpoint(struct evbuffer *b, const json_t *e, int64_t now)
{
    const json_t *pr = json_object_get(e, "probe");
    evbuffer_add_printf(b, "<tr><td><b>");
    html_text(b, jstr(e, "name"));
    evbuffer_add_printf(b, "</b></td><td>");
    if (json_object_get(e, "child")) {
        evbuffer_add_printf(b, "&#8627; ");
        html_text(b, jstr(e, "child"));
    } else {
        html_text(b, jstr(e, "target"));
    }
    evbuffer_add_printf(b, "</td><td class=\"num\">%lld</td><td>", (long long)jint(e, "priority"));
    html_text(b, jstr(e, "endpointStatus"));
    evbuffer_add_printf(b, "</td><td>");
    badge(b, jstr(e, "endpointMonitorStatus"));
    evbuffer_add_printf(b, "</td>");
    if (json_is_object(pr)) {
        bool ok = json_is_true(json_object_get(pr, "lastOk"));
        const json_t *lat = json_object_get(pr, "latencyMs");
        evbuffer_add_printf(b, "<td><span class=\"%s\">", ok ? "" : "fail");
        html_text(b, jstr(pr, "lastResult"));
        evbuffer_add_printf(b, "</span> <span class=\"muted\">");
        ago(b, json_string_value(json_object_get(pr, "lastProbe")), now);
        evbuffer_add_printf(b, "</span>");
        page_fleet(b, json_object_get(e, "fleet"));
        evbuffer_add_printf(b, "</td>");
        if (json_is_number(lat))
            evbuffer_add_printf(b, "<td class=\"num\">%.1f ms</td>", json_number_value(lat));
        else
            evbuffer_add_printf(b, "<td class=\"num muted\">&#8212;</td>");
        evbuffer_add_printf(b, "<td class=\"num\">%lld</td><td class=\"num\">%lld / %lld</td><td>",
                            (long long)jint(pr, "failures"), (long long)jint(pr, "probesOk"),
                            (long long)jint(pr, "probesFailed"));
        const char *forced = json_string_value(json_object_get(pr, "override"));
        if (forced) {
            evbuffer_add_printf(b, "<span class=\"b forced\">forced ");
            html_text(b, forced);
            evbuffer_add_printf(b, "</span> <span class=\"muted\">probes: ");
            html_text(b, jstr(pr, "probed"));
            evbuffer_add_printf(b, "</span>");
        } else {
            evbuffer_add_printf(b, "<span class=\"muted\">&#8212;</span>");
        }
        evbuffer_add_printf(b, "</td>");
    } else {
        evbuffer_add_printf(b, "<td class=\"muted\">not probed</td><td></td><td></td><td></td>"
                               "<td></td>");
    }
    evbuffer_add_printf(b, "<td class=\"num\">%lld</td></tr>\n", (long long)jint(e, "answers"));
}

static void
page_profile(struct evbuffer *b, const json_t *p, int64_t now)
{
    const json_t *mc = json_object_get(p, "monitorConfig");
    const json_t *q = json_object_get(p, "queries");
    evbuffer_add_printf(b, "<section><h2>");
    html_text(b, jstr(p, "name"));
    evbuffer_add_printf(b, " ");
    badge(b, jstr(p, "profileMonitorStatus"));
    evbuffer_add_printf(b, "</h2><p class=\"sub\"><b>");
    html_text(b, jstr(p, "method"));
    evbuffer_add_printf(b, "</b> &#183; ");
    html_text(b, jstr(p, "fqdn"));
    evbuffer_add_printf(b, " &#183; TTL %lld &#183; ", (long long)jint(p, "ttl"));
    html_text(b, jstr(mc, "protocol"));
    evbuffer_add_printf(b, " port %lld ", (long long)jint(mc, "port"));
    html_text(b, jstr(mc, "path"));
    evbuffer_add_printf(b, " every %lld s, timeout %lld s",
                        (long long)jint(mc, "intervalInSeconds"),
                        (long long)jint(mc, "timeoutInSeconds"));
    if (strcmp(jstr(p, "profileStatus"), "Enabled") != 0)
        evbuffer_add_printf(b, " &#183; profile Disabled");
    evbuffer_add_printf(b,
                        " &#183; answers %lld, NODATA %lld, NXDOMAIN %lld</p>\n"
                        "<table><tr><th>Endpoint</th><th>Target</th><th class=\"num\">Priority</th>"
                        "<th>Status</th><th>Monitor</th><th>Last probe</th>"
                        "<th class=\"num\">Latency</th><th class=\"num\">Failures</th>"
                        "<th class=\"num\">OK / failed</th><th>Override</th>"
                        "<th class=\"num\">Answers</th></tr>\n",
                        (long long)jint(q, "answer"), (long long)jint(q, "nodata"),
                        (long long)jint(q, "nxdomain"));
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(p, "endpoints"), i, e)
    {
        page_endpoint(b, e, now);
    }
    evbuffer_add_printf(b, "</table></section>\n");
}

static void
page_transitions(struct evbuffer *b, const json_t *list, int64_t now)
{
    evbuffer_add_printf(b, "<section><h2>Recent transitions</h2>\n");
    if (json_array_size(list) == 0) {
        evbuffer_add_printf(b, "<p class=\"muted\">none yet</p></section>\n");
        return;
    }
    evbuffer_add_printf(b, "<table><tr><th>When</th><th>Endpoint</th><th>Change</th>"
                           "<th class=\"num\">Failures</th><th>Reason</th></tr>\n");
    size_t i;
    const json_t *t;
    json_array_foreach(list, i, t)
    {
        const char *time = jstr(t, "time");
        evbuffer_add_printf(b, "<tr><td>%.8s <span class=\"muted\">",
                            strlen(time) > 11 ? time + 11 : "");
        ago(b, time, now);
        evbuffer_add_printf(b, "</span></td><td>");
        html_text(b, jstr(t, "profile"));
        evbuffer_add_printf(b, " / <b>");
        html_text(b, jstr(t, "endpoint"));
        evbuffer_add_printf(b, "</b></td><td>");
        badge(b, jstr(t, "from"));
        evbuffer_add_printf(b, " &#8594; ");
        badge(b, jstr(t, "to"));
        evbuffer_add_printf(b, "</td><td class=\"num\">%lld</td><td>",
                            (long long)jint(t, "failures"));
        html_text(b, jstr(t, "reason"));
        evbuffer_add_printf(b, "</td></tr>\n");
    }
    evbuffer_add_printf(b, "</table></section>\n");
}

static void
status_page(struct api_req *r)
{
    json_t *st = obs_status(r->ctx);
    struct evbuffer *b = evbuffer_new();
    if (!st || !b) {
        json_decref(st);
        if (b)
            evbuffer_free(b);
        api_error(r, 500, "InternalServerError", "Out of memory.");
        return;
    }
    struct timeval tv;
    gettimeofday(&tv, NULL);
    int64_t now = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    const json_t *profiles = json_object_get(st, "profiles");

    unsigned counts[EP_STATES] = {0}, nep = 0;
    size_t i, k;
    const json_t *p, *e;
    json_array_foreach(profiles, i, p)
    {
        json_array_foreach(json_object_get(p, "endpoints"), k, e)
        {
            const char *s = jstr(e, "endpointMonitorStatus");
            for (int x = 0; x < EP_STATES; x++)
                if (strcmp(s, ep_status_name((enum ep_status)x)) == 0)
                    counts[x]++;
            nep++;
        }
    }

    evbuffer_add_printf(b,
                        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                        "<meta http-equiv=\"refresh\" content=\"2\">"
                        "<meta name=\"viewport\" content=\"width=device-width\">"
                        "<title>gtmd status</title><style>%s</style></head><body>\n",
                        page_style);
    evbuffer_add_printf(b, "<header><h1>gtmd</h1><span><b>%zu</b> profiles, <b>%u</b> endpoints",
                        json_array_size(profiles), nep);
    for (int x = 0; x < EP_STATES; x++)
        if (counts[x])
            evbuffer_add_printf(b, " &#183; %u %s", counts[x], ep_status_name((enum ep_status)x));
    evbuffer_add_printf(b, "</span><span>domain <b>");
    html_text(b, jstr(st, "domain"));
    evbuffer_add_printf(b, "</b></span><span>generation %lld, loaded ",
                        (long long)jint(st, "generation"));
    ago(b, json_string_value(json_object_get(st, "loaded")), now);
    const json_t *rl = json_object_get(st, "reloads");
    evbuffer_add_printf(b, "</span><span>reloads %lld ok, %lld failed</span>",
                        (long long)jint(rl, "ok"), (long long)jint(rl, "failed"));
    evbuffer_add_printf(b, "<span>updated %.8s</span></header>\n<main>\n",
                        strlen(jstr(st, "now")) > 11 ? jstr(st, "now") + 11 : "");
    if (json_array_size(profiles) == 0)
        evbuffer_add_printf(b, "<section><p class=\"muted\">No profiles.</p></section>\n");
    json_array_foreach(profiles, i, p)
    {
        page_profile(b, p, now);
    }
    page_transitions(b, json_object_get(st, "transitions"), now);
    evbuffer_add_printf(b, "</main><footer>gtmd ");
    html_text(b, jstr(st, "version"));
    evbuffer_add_printf(b, " &#183; this page reloads every 2 s &#183; "
                           "<a href=\"/metrics\">metrics</a> &#183; "
                           "<a href=\"/gtmd/v1/status\">status JSON</a></footer>\n"
                           "</body></html>\n");
    json_decref(st);
    size_t len = evbuffer_get_length(b);
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Security-Policy",
                      "default-src 'none'; style-src 'unsafe-inline'");
    api_reply(r, 200, "text/html; charset=utf-8", (const char *)evbuffer_pullup(b, -1), len);
    evbuffer_free(b);
}

bool
obs_route(struct api_req *r)
{
    bool root = r->nseg == 0;
    bool metrics_path = r->nseg == 1 && strcmp(r->seg[0], "metrics") == 0;
    if (!root && !metrics_path)
        return false;
    if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "Allow", "GET, HEAD");
        api_error(r, 405, "MethodNotAllowed", "Only GET is supported here.");
        return true;
    }
    if (root)
        status_page(r);
    else
        metrics(r);
    return true;
}
