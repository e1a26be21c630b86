/*
 * admin_int: what the files of the admin page share (admin.c routing,
 * connections and life cycle; admin_req.c the request layer; admin_auth.c
 * authentication and CSRF; admin_page.c the pages; admin_exec.c
 * /CGI/Execute). Not for use outside phone/admin*.c: admin.h is the API.
 */
#ifndef PROV_PHONE_ADMIN_INT_H
#define PROV_PHONE_ADMIN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "admin.h"
#include "buf.h"
#include "digest.h"

#define ADMIN_KEY_LEN DIGEST_KEY_LEN /* HMAC key for nonces and CSRF tokens, bytes */
#define ADMIN_SID_LEN 32          /* session cookie: 16 random bytes in hex */
#define ADMIN_TOKEN_LEN 64        /* CSRF token: HMAC-SHA256 in hex */
#define ADMIN_ACCEPT_BURST 64     /* connections accepted per wake-up */
#define ADMIN_READ_CHUNK 4096     /* bytes read per read() */
#define ADMIN_CRED_MAX 256        /* decoded Basic credentials, bytes */
#define ADMIN_NAME_MAX 128        /* a form field's name, bytes */
#define ADMIN_DRAIN_MAX (4u * 1024u * 1024u) /* bytes read and dropped after an early
					* answer (413), so the peer gets it rather
					* than a reset */
#define ADMIN_REALM "prov phone"  /* HTTP authentication realm */
#define ADMIN_COOKIE "prov_sid"   /* the session cookie's name */
#define ADMIN_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"
#define ADMIN_PAGE_TABS 12        /* tabs on the page (the catalogue has 8) */
#define ADMIN_PAGE_SECTIONS 48    /* sections in one tab (the catalogue: 40) */
#define ADMIN_GROUP_MAX 64        /* a tab's or section's name, bytes */
#define ADMIN_MODEL_MAX 16        /* the xxxx of CP-xxxx-3PCCExecute, bytes */

enum admin_role { ROLE_NONE, ROLE_USER, ROLE_ADMIN };

/* An answer being built: common/buf.h capped at ADMIN_OUT_MAX - 1 bytes
 * (ready when zeroed: the first append sets the cap); toobig is sticky,
 * so a page is whole or replaced by a short error, never cut. */
struct obuf {
	struct buf b;
	size_t off;                      /* bytes already written */
	int toobig;
};

struct conn {
	struct admin *a;
	struct conn *next;
	int fd;
	unsigned char addr[16];          /* the peer (hostport_addr_key) */
	int64_t born, last;              /* accepted, last byte read: monotonic ms */
	uint64_t timer;                  /* the earlier of born + ADMIN_REQUEST_MS and
					  * last + ADMIN_IDLE_MS */
	struct admin_req req;
	struct obuf out;
	int continued;                   /* 100 Continue sent */
	int writing;                     /* the response is complete */
	int draining;                    /* sent: reading what the peer still sends */
	size_t drained;                  /* bytes discarded so far */
};

/* Wrong passwords from one address (admin_auth.c). */
struct admin_fail {
	int used;
	unsigned char addr[16];
	unsigned count;                  /* failures in a row */
	int64_t last;                    /* the last one, monotonic ms */
	int64_t until;                   /* refused until then */
};

struct admin {
	struct loop *loop;
	struct prov_device *dev;
	struct admin_ops ops;
	int fd, port;
	unsigned char key[ADMIN_KEY_LEN];
	struct digest_seen seen[ADMIN_NONCE_SLOTS]; /* highest nc per nonce (digest.h) */
	struct conn *conns;
	size_t nconns;
	struct admin_fail fails[ADMIN_FAIL_SLOTS];
};

/* admin.c */
char * admin_secret_get(struct prov_device *dev, const char *name);
void admin_secret_free(char *s);
void admin_obuf_add(struct obuf *b, const char *s, size_t n);
void admin_obuf_str(struct obuf *b, const char *s);
void admin_obuf_html(struct obuf *b, const char *s);

/* admin_req.c */
const char * admin_form_get(const struct admin_field *f, size_t n, const char *name);

/* admin_auth.c */
enum admin_role admin_auth_check(struct admin *a, const struct admin_req *r, int *stale);
const char * admin_role_user(enum admin_role role);
int64_t admin_fail_wait(struct admin *a, const unsigned char addr[16], int64_t now);
void admin_fail_note(struct admin *a, const unsigned char addr[16], int ok, int64_t now);
int admin_session_get(const struct admin_req *r, char *sid /* ADMIN_SID_LEN + 1 */);
void admin_csrf_token(const struct admin *a, enum admin_role role, const char *sid, char *out);
int admin_same_origin(const struct admin_req *r);

/* admin_page.c */
void admin_refuse_foreign(struct conn *c, const char *path);
void admin_respond(struct conn *c, int status, const char *ctype, const char *extra,
	const char *body, size_t bodylen);
void admin_respond_challenge(struct conn *c, int stale);
void admin_page_setup(struct conn *c);
void admin_rule_masked(const char *rule, char *out, size_t outsize);
int admin_resync_start(struct admin *a, const char *rule, char *why, size_t whylen);
void admin_page_resync(struct conn *c, const char *query);
void admin_page_upgrade(struct conn *c, const char *query);
void admin_page_reboot(struct conn *c);
void admin_advanced_get(struct conn *c, enum admin_role role, const char *query);
void admin_advanced_post(struct conn *c, enum admin_role role);

/* admin_exec.c */
void admin_page_execute(struct conn *c);

/* shared helpers declared with their format attributes */
void admin_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void admin_obuf_printf(struct obuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void admin_respond_text(struct conn *c, int status, const char *extra, const char *text);

#endif
