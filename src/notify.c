/* notify.c: sd_notify(3) messages, through libsystemd (the protocol is
 * libsystemd's business, not ours). */
#include "config.h"
#include "src/notify.h"

#include <stdio.h>
#include <string.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "gtm/log.h"

static void
say(const char *state)
{
#ifdef HAVE_LIBSYSTEMD
    int rc = sd_notify(0, state);
    if (rc < 0)
        log_warn("systemd: cannot notify the service manager: %s", strerror(-rc));
#else
    (void)state;
#endif
}

void
notify_ready(const char *status)
{
    char msg[320];
    snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", status ? status : "ready");
    say(msg);
}

void
notify_reloading(void)
{
    say("RELOADING=1");
}

void
notify_stopping(void)
{
    say("STOPPING=1");
}
