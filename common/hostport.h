/*
 * hostport: splits "HOST:PORT", "[HOST6]:PORT", "HOST" and "[HOST6]" (the
 * listen and server addresses of the agent, the daemons and the device's
 * syslog target). Only the syntax: each caller says whether a port is
 * required and resolves the host its own way (numeric or not). And the
 * key that per-address caps and budgets count a peer by.
 */
#ifndef PROV_COMMON_HOSTPORT_H
#define PROV_COMMON_HOSTPORT_H

#include <stddef.h>

struct sockaddr;
struct sockaddr_storage;

/* Copies the host (without brackets) into host[hostcap] and points *port
 * into s after the separating ':' (NULL when there is no port). Without
 * brackets the last ':' separates, so "::1" alone is HOST "::" PORT "1":
 * IPv6 needs brackets. Returns 0, or -1 when a '[' is not closed, ']' is
 * followed by anything but ":PORT", or the host does not fit. */
int hostport_split(const char *s, char *host, size_t hostcap, const char **port);

/* The address of sa without its port, as 16 bytes: IPv6 as is, IPv4 as
 * IPv4-mapped (::ffff:a.b.c.d), anything else zeros; so one peer has one
 * key whichever family its socket reports. */
void hostport_addr_key(const struct sockaddr *sa, unsigned char key[16]);

/* A peer's address as text for logs and the history: "ADDR:PORT", or
 * "[ADDR6]:PORT"; an IPv4-mapped IPv6 address as IPv4 (one client, one
 * spelling, whichever socket it came in on); "?" for another family. */
void hostport_format(const struct sockaddr_storage *ss, char *out, size_t cap);

#endif
