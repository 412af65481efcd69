/* demo.c: the endpoints of `gtmd --demo`: evhttp servers on the control
 * loop, each one switchable between healthy and failing over HTTP itself. */
#include "config.h"
#include "src/demo.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "gtm/alloc.h"
#include "gtm/log.h"
#include "conf/conf.h"

struct demo_ep {
    struct evhttp *http;
    const char *name, *addr;
    bool up;
};

struct demo {
    struct demo_ep ep[2];
};

const char *
demo_profile_json(void)
{
    return "{\n"
           "  \"name\": \"demo\",\n"
           "  \"type\": \"Microsoft.Network/trafficManagerProfiles\",\n"
           "  \"location\": \"global\",\n"
           "  \"properties\": {\n"
           "    \"profileStatus\": \"Enabled\",\n"
           "    \"trafficRoutingMethod\": \"Priority\",\n"
           "    \"dnsConfig\": { \"relativeName\": \"app\", \"ttl\": 5 },\n"
           "    \"monitorConfig\": { \"protocol\": \"HTTP\", \"port\": 18080, \"path\": \"/\",\n"
           "      \"intervalInSeconds\": 1, \"timeoutInSeconds\": 1,\n"
           "      \"toleratedNumberOfFailures\": 2 },\n"
           "    \"endpoints\": [\n"
           "      { \"name\": \"primary\",\n"
           "        \"type\": \"Microsoft.Network/trafficManagerProfiles/externalEndpoints\",\n"
           "        \"properties\": { \"target\": \"" DEMO_PRIMARY "\", \"priority\": 1,\n"
           "          \"endpointStatus\": \"Enabled\" } },\n"
           "      { \"name\": \"secondary\",\n"
           "        \"type\": \"Microsoft.Network/trafficManagerProfiles/externalEndpoints\",\n"
           "        \"properties\": { \"target\": \"" DEMO_SECONDARY "\", \"priority\": 2,\n"
           "          \"endpointStatus\": \"Enabled\" } }\n"
           "    ]\n"
           "  }\n"
           "}\n";
}

static void
reply(struct evhttp_request *req, int code, const char *reason, const char *text)
{
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    evbuffer_add_printf(b, "%s\n", text);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
    evhttp_send_reply(req, code, reason, b);
    evbuffer_free(b);
}

static void
handle(struct evhttp_request *req, void *arg)
{
    struct demo_ep *e = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    char text[160];
    if (path && (strcmp(path, "/fail") == 0 || strcmp(path, "/recover") == 0)) {
        e->up = strcmp(path, "/recover") == 0;
        log_info("demo: endpoint %s (%s) now answers %s", e->name, e->addr,
                 e->up ? "200 OK" : "503");
        snprintf(text, sizeof text, "demo endpoint %s is now %s", e->name,
                 e->up ? "healthy" : "failing (503)");
        reply(req, 200, "OK", text);
        return;
    }
    snprintf(text, sizeof text, "demo endpoint %s (%s): %s", e->name, e->addr,
             e->up ? "OK" : "failing");
    if (e->up)
        reply(req, 200, "OK", text);
    else
        reply(req, 503, "Service Unavailable", text);
}

struct demo *
demo_start(struct event_base *base)
{
    struct demo *d = xcalloc(1, sizeof *d);
    static const char *const names[] = {"primary", "secondary"};
    static const char *const addrs[] = {DEMO_PRIMARY, DEMO_SECONDARY};
    for (int i = 0; i < 2; i++) {
        struct demo_ep *e = &d->ep[i];
        e->name = names[i];
        e->addr = addrs[i];
        e->up = true;
        e->http = evhttp_new(base);
        if (!e->http || evhttp_bind_socket(e->http, e->addr, DEMO_PORT) != 0) {
            log_err("demo: cannot listen on %s:%d for the %s endpoint", e->addr, DEMO_PORT,
                    e->name);
            demo_free(d);
            return NULL;
        }
        evhttp_set_gencb(e->http, handle, e);
        log_info("demo: %s endpoint on http://%s:%d/", e->name, e->addr, DEMO_PORT);
    }
    return d;
}

void
demo_free(struct demo *d)
{
    if (!d)
        return;
    for (int i = 0; i < 2; i++)
        if (d->ep[i].http)
            evhttp_free(d->ep[i].http);
    free(d);
}

void
demo_banner(const struct gtm_options *o)
{
    char at[80];
    const struct listen_addr *la = &o->listen[0];
    if (la->family == AF_INET)
        snprintf(at, sizeof at, "@%.*s -p %u", (int)strcspn(la->text, ":"), la->text, la->port);
    else
        snprintf(at, sizeof at, "@::1 -p %u", la->port);
    fprintf(stderr,
            "\n"
            "gtmd demo: app.%s is a Priority profile over two endpoints that gtmd runs itself:\n"
            "  primary   http://%s:%d/  (priority 1)\n"
            "  secondary http://%s:%d/  (priority 2)\n"
            "probed every second; 3 failures in a row make an endpoint Degraded.\n"
            "\n"
            "Watch the answer (another terminal):\n"
            "  watch -n 1 dig %s app.%s A +short\n"
            "Make the primary fail, and see the answer move to %s within ~4 s:\n"
            "  curl http://%s:%d/fail\n"
            "Bring it back (one good probe is enough):\n"
            "  curl http://%s:%d/recover\n"
            "Also: dig %s www.example.com A, dig %s app.example.com A (a CNAME into the profile),\n"
            "      dig %s %s SOA.  Stop with Ctrl-C.\n\n",
            o->domain, DEMO_PRIMARY, DEMO_PORT, DEMO_SECONDARY, DEMO_PORT, at, o->domain,
            DEMO_SECONDARY, DEMO_PRIMARY, DEMO_PORT, DEMO_PRIMARY, DEMO_PORT, at, at, at,
            o->domain);
}
