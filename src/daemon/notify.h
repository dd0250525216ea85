/*
 * notify.h - systemd's service notifications, written here (the protocol
 * is one datagram of "KEY=VALUE" lines to $NOTIFY_SOCKET): READY=1 once
 * the daemon listens, STOPPING=1 when it drains, and WATCHDOG=1 pings at
 * half of $WATCHDOG_USEC while the service answers its health check, so a
 * wedged daemon is restarted. Without NOTIFY_SOCKET every call is a no-op.
 */
#ifndef FLOWOPT_DAEMON_NOTIFY_H
#define FLOWOPT_DAEMON_NOTIFY_H

/* Send text (e.g. "READY=1"); returns 0, or -1 when it could not be sent
 * (also when no manager asked for notifications). */
int fo_notify(const char *text);

/* The watchdog's ping interval in milliseconds from $WATCHDOG_USEC (and
 * $WATCHDOG_PID, when it names another process): 0 when off. */
long fo_notify_watchdog_ms(void);

#endif
