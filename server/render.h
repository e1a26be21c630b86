/*
 * render: a device's own profile, rendered from a template against the
 * inventory (server.md S-SRV-2, S-SRV-3, S-DEV-2, S-SEC-1, S-SEC-3;
 * interfaces.md "Inventory and rendering").
 *
 * A route, `PATTERN template=NAME [gzip] [encrypt=openssl|aes128gcm]
 * [require=cert] [auth=digest]`, maps request paths to a template. In PATTERN `$MA`
 * matches a MAC (12 hex digits, either case) and `$KEY_ID` a key number;
 * a pattern without `$MA` takes the MAC of the verified client
 * certificate. Leading '/' are ignored on both sides (TFTP names have
 * none). NAME is expanded like a template (`template=$PN`).
 *
 * Variables resolve device > group > product > global, then the device's
 * identity ($MA $MAU $MAC $SN $PN $PSN, and $HTTP_USER $HTTP_PASSWORD, its
 * Digest credentials, as written when it has none), then the server's ($KEY: the
 * current key, $KEY_ID its number, $SERVIP $PORT $SCHEME of the request,
 * $UPGRADE_RULE the firmware a rollout offers the device: rollout.h).
 * Names take letters, digits and '_' ($KEY_ID is one name). Every value is
 * XML-escaped where it lands; unknown names stay as written.
 *
 * Keys: a route with encrypt= encrypts with the key its path names
 * ($KEY_ID), or with the current key when the pattern has none. A fetch
 * naming key n retires the device's keys below n: the server keeps key n
 * until the device has fetched with n + 1 (S-SEC-3 rotation).
 *
 * Enumeration defence (S-SEC-2): an unknown or disabled device, a MAC that
 * is not the certificate's, a route needing a certificate without one, an
 * unknown key number and a missing template are all RENDER_MISS, which
 * every listener answers exactly as a missing file.
 *
 * HTTP Digest (auth=digest; RFC 7616, RFC 2617 3.2.2, MD5 or SHA-256 with
 * qop=auth, as phones answer their rule's --uid/--pwd): checked before
 * anything about the device is read, so every request without valid
 * credentials gets the same 401 challenge whatever its path names: known,
 * unknown or disabled device, another certificate, missing template
 * (RENDER_AUTH; only the nonce differs). A well-formed answer to a fresh
 * nonce that is not the device's own credentials (wrong password, the
 * credentials of another device, a device without any) is RENDER_MISS,
 * counted by the enumeration defence like any miss; the hash is computed
 * the same way on every one of those paths. Nonces are stateless
 * (common/digest.c: monotonic ms + HMAC) under a key kept in the
 * database (inv_secret), so every worker takes every other's nonces;
 * after RENDER_NONCE_TTL_MS a nonce is stale (stale=true). A replayed
 * nc is challenged again: the table of nc seen is shared by the workers
 * when render_digest_shared ran before they were forked. Over TFTP
 * an auth=digest route is always a miss.
 *
 * Cache: a worker keeps each rendered response (the packed bytes) in a
 * direct-mapped table keyed by route, MAC, key number and the request's
 * server address, tagged with the inventory's serial (inv_serial); one
 * SELECT per request tells whether anything changed since, so a change
 * made with the CLI is still served on the next request, and an unchanged
 * profile costs about what a static file does. Bodies hold secrets: they
 * are wiped when replaced.
 *
 * Shared per serial: a group's, a product's and the global variables and
 * the templates are kept per worker under the inventory serial they were
 * read at (RENDER_SCOPE_SLOTS, RENDER_TPL_SLOTS), so rendering one more
 * device after a change reads only that device's rows (bench_render (e)).
 *
 * One per worker process, single-threaded (the cache is the process's).
 */
#ifndef PROV_SERVER_RENDER_H
#define PROV_SERVER_RENDER_H

#include <stddef.h>
#include <stdint.h>

#define ROUTE_TEXT_MAX 512u            /* longest route line */
#define ROUTE_PATTERN_MAX 256u         /* longest PATTERN */
#define ROUTE_KEY_ID_DIGITS 9u         /* digits of $KEY_ID in a path */
#define RENDER_OUT_MAX (4u * 1024u * 1024u) /* largest rendered profile: PROV_PROFILE_MAX */
#define RENDER_CACHE_SLOTS 4096u       /* rendered responses kept per worker */
#define RENDER_CACHE_BODY_MAX (256u * 1024u) /* larger ones are rendered every time */
#define RENDER_CACHE_BYTES_MAX (64u * 1024u * 1024u) /* bodies kept per worker, in all */
#define RENDER_REALM "prov"            /* the Digest realm of auth=digest routes */
#define RENDER_NONCE_TTL_MS 60000      /* a Digest nonce's life; then stale=true */
#define RENDER_SEEN_SLOTS 4096u        /* Digest nonces whose nc is tracked (all workers) */
#define RENDER_CHALLENGE_MAX 192u      /* the WWW-Authenticate header line */
#define RENDER_SCOPE_SLOTS 256u        /* group/product/global scopes kept per worker */
#define RENDER_TPL_SLOTS 64u           /* templates kept per worker */
#define RENDER_SHARED_BYTES_MAX (32u * 1024u * 1024u) /* both, in all, per worker */

struct inv;

#define ROUTE_GZIP 0x01u
#define ROUTE_ENC_OPENSSL 0x02u
#define ROUTE_ENC_GCM 0x04u
#define ROUTE_REQUIRE_CERT 0x08u
#define ROUTE_AUTH_DIGEST 0x10u

struct route {
	char pattern[ROUTE_PATTERN_MAX];
	char tmpl[ROUTE_PATTERN_MAX];  /* template name, before expansion */
	unsigned flags;
};

/* Parses a route line. Returns 0, or -1 with the reason in err. */
int route_parse(const char *text, struct route *r, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Whether path (len bytes, decoded) matches r; mac gets the MAC it names
 * ("" when the pattern has no $MA), *key_id the key number (0: none). */
int route_match(const struct route *r, const char *path, size_t len, char mac[13],
		unsigned *key_id);

/* What the request brings besides its path. */
struct render_env {
	const char *servip;            /* the address the request came to */
	const char *port;
	const char *scheme;            /* "http", "https", "tftp" */
	const char *cert_mac;          /* verified client certificate's MAC, or NULL */
	const struct render_auth *auth; /* HTTP(S): what Digest needs; NULL elsewhere */
};

/* An HTTP request's credentials, for auth=digest routes. */
struct render_auth {
	const char *authz;             /* the Authorization header's value, or NULL */
	const char *method;            /* "GET", "HEAD" */
	const char *uri;               /* the request-target as sent */
	size_t uri_len;
	int64_t now_ms;                /* monotonic: the nonce's clock */
};

enum render_status {
	RENDER_NONE,                   /* no route matches: a static file */
	RENDER_OK,
	RENDER_MISS,                   /* answer as a missing file */
	RENDER_BUSY,                   /* database busy or unavailable: 503 */
	RENDER_FAIL,                   /* the server's fault: 500 */
	RENDER_AUTH,                   /* 401 with res->challenge */
};

struct render_res {
	char *body;                    /* fresh, caller frees */
	size_t len;
	char mac[13];                  /* the device, when one was named */
	unsigned flags;                /* the route's ROUTE_* */
	char why[512];                 /* for the log: why a miss or failure */
	char challenge[RENDER_CHALLENGE_MAX]; /* RENDER_AUTH: "WWW-Authenticate: ...\r\n" */
};

/* Finds the first of the n route lines matching path and renders it.
 * The route lines were checked by route_parse at configuration time. */
/* Puts the Digest nc table in memory shared with the processes forked
 * after this (prov serve's master, before its workers), so a request
 * replayed to another worker is caught too. 0, or -1 (no memory). */
int render_digest_shared(void);

enum render_status render_path(struct inv *inv, char *const *routes, unsigned n,
			       const char *path, size_t len, const struct render_env *env,
			       struct render_res *res);

/* render_path for a listener: the request's local address gives $SERVIP
 * and $PORT. RENDER_OK leaves res->body to the caller. Logs busy and
 * failures (never a key). *inv is the worker's inventory connection,
 * opened here from db when NULL (at start-up the database may have been
 * unavailable: rendered routes answer busy until it is back, static files
 * are served all along). */
struct sockaddr_storage;
enum render_status render_request(struct inv **inv, const char *db,
				  char *const *routes, unsigned n,
				  const char *path, size_t len, const char *scheme,
				  const struct sockaddr_storage *local, const char *cert_mac,
				  const struct render_auth *auth, const char *client,
				  struct render_res *res);

/* render_request into a sealed memfd, for listeners that send files
 * (TFTP): the fd, or -ENOSYS (no route: a static file), -ENOENT (a miss:
 * answer as a missing file), -EBUSY (database busy), -EIO. */
int render_fd(struct inv **inv, const char *db, char *const *routes, unsigned n,
	      const char *path,
	      size_t len, const char *scheme, const struct sockaddr_storage *local,
	      const char *client);

/* The reads a rendered route does before a miss (the device and its key),
 * for a MAC that is none: a listener calls it before answering a missing
 * static file, so that miss takes as long as a device's (S-SEC-2). inv
 * may be NULL (no routes). */
void render_miss_pad(struct inv *inv);

/* Renders template tmpl for device mac, unpacked (for `prov device
 * render` and render_path): *out fresh. Same statuses. */
enum render_status render_device(struct inv *inv, const char *mac, const char *tmpl,
				 const struct render_env *env, char **out, size_t *len,
				 char *why, size_t whylen);

/* Checks a template's text: well-formed flat profile (PROV_E_SYNTAX with
 * "NAME:LINE:COL: reason" in msg), then calls unknown() for each macro name
 * that is neither a variable of the inventory nor a name the server gives,
 * and param() for each unknown parameter name with its line. Returns 0, or
 * -1 (ill-formed, or the database failed: msg). */
int render_lint(struct inv *inv, const char *name, const char *text, size_t len,
		void (*unknown)(void *arg, const char *macro, unsigned line),
		void (*param)(void *arg, const char *param, unsigned line),
		void *arg, char *msg, size_t msglen);

#endif
