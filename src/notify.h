/* notify.h: telling the service manager how gtmd stands (systemd's
 * Type=notify, sd_notify(3)): ready once it answers DNS, reloading while a
 * SIGHUP reload runs, stopping when it ends. Without $NOTIFY_SOCKET, or a
 * gtmd built without libsystemd, every call does nothing. */
#ifndef GTM_SRC_NOTIFY_H
#define GTM_SRC_NOTIFY_H

/* notify_ready: gtmd answers DNS (and the API, when it has one). status:
 * one line for "systemctl status". */
void notify_ready(const char *status);

/* notify_reloading: a reload started (SIGHUP); notify_ready follows it. */
void notify_reloading(void);

/* notify_stopping: gtmd is shutting down. */
void notify_stopping(void);

#endif
