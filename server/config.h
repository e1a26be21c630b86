/*
 * config: `prov serve`'s configuration (S-OPS-1). One file of lines
 *
 *     # comment
 *     NAME VALUE...   # a '#' after white space starts a comment
 *
 * where every NAME is also a command-line option (--NAME VALUE, which
 * overrides the file). examples/prov-serve.conf documents every option.
 * Parsing never touches the network or the files named; config_check
 * validates what can be validated without binding (addresses parse, files
 * readable, https has a certificate and key).
 */
#ifndef PROV_SERVER_CONFIG_H
#define PROV_SERVER_CONFIG_H

#include <stddef.h>
#include <sys/socket.h>

#define CONFIG_FILE_MAX (256u * 1024u) /* largest configuration file */
#define CONFIG_LINE_MAX 4096u          /* longest line */
#define CONFIG_LISTEN_MAX 4u           /* addresses per protocol (v4 + v6 ...) */
#define CONFIG_ROUTE_MAX 64u           /* rendered-profile routes (render.h) */

struct config_listen {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char text[64];                 /* as written, for logs */
};

struct config_limits {
	unsigned tftp_max_transfers;   /* concurrent transfers per worker */
	unsigned tftp_max_per_client;  /* concurrent transfers per client address */
	unsigned tftp_timeout_ms;      /* first retransmission timeout */
	unsigned tftp_retries;         /* retransmissions before giving up */
	unsigned tftp_max_timeout_s;   /* largest RFC 2349 timeout granted */
	unsigned tftp_max_transfer_ms; /* longest life of one transfer */
	unsigned tftp_max_window;      /* largest windowsize granted */
	unsigned tftp_max_blksize;     /* largest blksize granted */
	unsigned http_max_conns;       /* open connections per worker */
	unsigned http_max_per_client;  /* open connections per client address */
	unsigned http_header_max;      /* bytes of request line + headers */
	unsigned long long http_body_max; /* bytes of an upload body */
	unsigned http_header_timeout_ms; /* to receive the whole header block */
	unsigned http_body_timeout_ms;   /* between body bytes */
	unsigned http_idle_timeout_ms;   /* keep-alive wait for the next request */
	unsigned http_send_timeout_ms;   /* without progress while sending */
	unsigned http_keepalive_max;     /* requests per connection */
	unsigned http_overload_wait_ms;  /* at http_max_conns, new connections wait in
					  * the accept backlog this long before 503s; 0: 503 at once */
	unsigned syslog_msg_max;       /* bytes of one syslog datagram kept */
	unsigned syslog_rate;          /* messages stored per second per source, 0 = all */
	unsigned syslog_burst;         /* messages a quiet source may send at once */
	unsigned history_max_age_days; /* history rows kept this long, 0 = forever */
	unsigned history_max_mb;       /* history database size cap, 0 = none */
	unsigned enum_miss_burst;      /* misses per address before a cool-down (0: off) */
	unsigned enum_miss_rate;       /* misses per minute forgiven */
	unsigned enum_cooldown_s;      /* seconds an enumerating address is refused */
};

struct srv_cfg {
	char *file;                    /* the configuration file read, or NULL */
	char *root;                    /* served directory (required) */
	char *upload;                  /* upload directory for reports, or NULL: refused */
	char *db;                      /* "sqlite:PATH" (default sqlite:./prov.db) */
	char *cert, *key;              /* HTTPS server certificate chain and key */
	char *client_ca;               /* CA file for client certificates, or NULL */
	int require_client_cert;
	char *user;                    /* drop root to this user after binding */
	char *log;                     /* "stderr" or "syslog" */
	int log_level;                 /* LOG_ERR..LOG_DEBUG */
	unsigned workers;              /* worker processes (SO_REUSEPORT) */
	struct config_listen tftp[CONFIG_LISTEN_MAX], http[CONFIG_LISTEN_MAX],
		https[CONFIG_LISTEN_MAX], syslog[CONFIG_LISTEN_MAX], admin[CONFIG_LISTEN_MAX];
	unsigned n_tftp, n_http, n_https, n_syslog, n_admin;
	struct config_limits lim;
	char *routes[CONFIG_ROUTE_MAX];  /* route lines, checked by route_parse */
	unsigned n_routes;
	char *reports[CONFIG_ROUTE_MAX]; /* report route lines (reportd.h), apart from routes */
	unsigned n_reports;
	char *activation_rule;         /* answered for a redeemed activation code, or NULL */
	char *device_ca;               /* the devices' CA directory (ca.h), or NULL */
	unsigned device_cert_days;     /* life of a certificate it signs */
	char *admin_token_file;        /* the admin API's bearer token (api.h) */
	int admin_tls;                 /* the admin listener over TLS (--cert, --key) */
};

/* Fills every default. */
void config_defaults(struct srv_cfg *c);

/* Parses a file's text; name is used in messages ("FILE:LINE: ..."). On
 * error returns -1 with one line in err and c partly changed (callers
 * parse into a fresh copy). */
int config_parse(struct srv_cfg *c, const char *text, size_t len, const char *name,
		 char *err, size_t errlen) __attribute__((warn_unused_result));

/* Reads and parses path. */
int config_load(struct srv_cfg *c, const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Sets one option by name (as in the file; also what --NAME VALUE does). */
int config_set(struct srv_cfg *c, const char *name, const char *value,
	       char *err, size_t errlen) __attribute__((warn_unused_result));

/* 1 when name is a yes/no option (a bare --NAME on the command line means
 * yes), 0 for other options, -1 when there is no such option. */
int config_is_flag(const char *name);

/* Semantic checks: root given and a directory, https needs cert and key
 * (loaded and matching is checked by tls_new), a listener at least. */
int config_check(const struct srv_cfg *c, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* "ADDR:PORT", "[ADDR6]:PORT", ":PORT" (all IPv4) into l. */
int config_parse_listen(const char *text, struct config_listen *l);

void config_fini(struct srv_cfg *c);

#endif
