/*
 * serve: one worker of `prov serve` (S-NET-5): one event loop on which all
 * listeners of this worker run (TFTP, HTTP, HTTPS, syslog), never a
 * process or a thread per request. The master process binds every socket
 * (SO_REUSEPORT, one per worker), drops privileges, forks the workers and
 * relays signals; each worker then owns one struct srv.
 *
 * Lifetimes: struct srv lives as long as its worker. cfg, root_fd and tls
 * are replaced on SIGHUP reload and the old ones freed at once: a module
 * reads srv->cfg / srv->root_fd / srv->tls when a new exchange starts and
 * keeps what it needs for that exchange (values copied, its own file fd;
 * an SSL holds its own reference to its SSL_CTX), never a pointer into
 * the configuration, so a reload never drops a transfer and any number of
 * reloads cost nothing. upload_fd is kept (uploads in flight rename into
 * it): a changed upload directory needs a restart.
 */
#ifndef PROV_SERVER_SERVE_H
#define PROV_SERVER_SERVE_H

#include <stddef.h>
#include <stdint.h>

#define SERVE_DRAIN_MS 30000        /* longest SIGTERM waits for transfers */
#define SERVE_DRAIN_POLL_MS 50      /* how often draining checks for the end */
#define SERVE_BACKLOG 4096          /* listen(2) backlog */
#define SERVE_OVERRIDES_MAX 64      /* --NAME VALUE pairs on the command line */
#define SERVE_RESPAWN_MS 1000       /* pause before restarting a dead worker */
#define SERVE_DEFAULT_DB "sqlite:./prov.db" /* the history when neither --db nor the file says */

struct loop;
struct srv_cfg;
struct store;
struct inv;
struct guard;
struct reportd;
struct store_lookup;
struct metrics;
struct tls;

struct srv {
	struct loop *loop;
	const struct srv_cfg *cfg;     /* current configuration */
	int root_fd;                   /* O_PATH directory fd of cfg->root (reopened on reload) */
	int upload_fd;                 /* directory fd of cfg->upload, or -1 */
	struct store *store;           /* history (never NULL in a worker) */
	struct inv *inv;               /* inventory, when routes are configured */
	struct guard *guard;           /* enumeration defence (guard.h) */
	struct reportd *reportd;       /* device reports (reportd.h), or NULL: made on the first */
	struct store_lookup *lookup;   /* syslog attribution (store.h), or NULL: none */
	struct metrics *metrics;       /* shared by all workers */
	struct tls *tls;               /* HTTPS context, or NULL */
	struct ca *ca;                 /* the devices' CA (--device-ca), or NULL */
	unsigned char admin_token[32]; /* SHA-256 of the admin API's token (api.h) */
	int draining;                  /* SIGTERM seen: finish, accept nothing */
	unsigned worker;               /* 0-based index */
};


/* The 12-hex-digit MAC named in s (len bytes), lower-cased into mac[13]:
 * the last 12 digits of the first run of at least 12 hex digits (a prefix
 * such as "spa" or "3PCC" may end in hex letters).
 * Returns 1 when found. Used for file names, User-Agents "($MA)", and
 * syslog messages. */
int serve_find_mac(const char *s, size_t len, char mac[13]);

/* Copies s into out (cap bytes, NUL-terminated) with control characters,
 * '\\', '"' and bytes >= 0x7f escaped as \xHH: safe for logs and history. */
void serve_escape(const char *s, size_t len, char *out, size_t cap);

/* Entry point of `prov serve` (cli/serve.c parses nothing itself). */
int serve_main(int argc, char **argv);

#endif
