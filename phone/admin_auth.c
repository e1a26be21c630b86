/*
 * admin_auth: who sent a request to the admin page: Digest (common/
 * digest.c) or Basic against Admin_Password / User_Password, and the
 * CSRF session cookie and token. See admin.c for why they are built so.
 */
#define _GNU_SOURCE /* accept4 */
#include "admin.h"
#include "admin_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <http_parser.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <expat.h>

#include "digest.h"
#include "hex.h"
#include "hostport.h"
#include "http_parse.h"
#include "loop.h"
#include "clock.h"

/* ---- authentication --------------------------------------------------------------- */

static void
hmac_hex(const struct admin *a, const char *data, size_t n, char *out /* 65 */)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	HMAC(EVP_sha256(), a->key, sizeof(a->key), (const unsigned char *)data, n, md, &mdlen);
	hex_encode(md, mdlen, out);
}

static const char *
method_name(int m)
{
	return http_method_str((enum http_method)m);
}

/* The password of user NAME ("admin", "user"), or NULL when that login is
 * closed (user: User_Password empty). */
static char *
login_password(struct admin *a, const char *name, enum admin_role *role)
{
	char *pw;

	if (strcmp(name, "admin") == 0) {
		*role = ROLE_ADMIN;
		return admin_secret_get(a->dev, "Admin_Password");
	}
	if (strcmp(name, "user") == 0) {
		*role = ROLE_USER;
		pw = admin_secret_get(a->dev, "User_Password");
		if (pw != NULL && pw[0] == '\0') {
			admin_secret_free(pw);
			return NULL;
		}
		return pw;
	}
	return NULL;
}

static enum admin_role
auth_digest(struct admin *a, const struct admin_req *r, int *stale)
{
	struct digest_cred d;
	const EVP_MD *md;
	enum admin_role role = ROLE_NONE, who = ROLE_NONE;
	char want[DIGEST_HEX_MAX], *pw = NULL;
	int64_t now = clock_mono_ms(), issued = 0;
	uint32_t nc;

	if (digest_parse(r->authz + 7, &d) != 0)
		return ROLE_NONE;
	md = digest_md(d.algorithm);
	if (md == NULL)
		return ROLE_NONE;
	if (strcmp(d.realm, ADMIN_REALM) != 0 || strcmp(d.qop, "auth") != 0 ||
	    strcmp(d.uri, r->url) != 0 || d.cnonce[0] == '\0' || digest_nc(d.nc, &nc) != 0 ||
	    (d.userhash[0] != '\0' && strcasecmp(d.userhash, "false") != 0))
		return ROLE_NONE;
	switch (digest_nonce_check(a->key, sizeof(a->key), d.nonce, now, ADMIN_NONCE_MS,
				   &issued)) {
	case DIGEST_NONCE_BAD:
		return ROLE_NONE;
	case DIGEST_NONCE_STALE:
		*stale = 1; /* expired: the client retries with a new one */
		return ROLE_NONE;
	case DIGEST_NONCE_FRESH:
		break;
	}
	pw = login_password(a, d.username, &who);
	if (pw == NULL)
		return ROLE_NONE;
	if (digest_response(md, d.username, ADMIN_REALM, pw, method_name(r->method), d.uri,
			    d.nonce, d.nc, d.cnonce, d.qop, want) == 0 &&
	    digest_equal(want, d.response)) {
		switch (digest_seen_use(a->seen, ADMIN_NONCE_SLOTS, d.nonce, issued, nc, now,
					ADMIN_NONCE_MS)) {
		case DIGEST_USE_OK:
			role = who;
			break;
		case DIGEST_USE_REPLAY:
			break;
		case DIGEST_USE_FULL:
			*stale = 1; /* no room to remember it: retry with a new one */
			break;
		}
	}
	admin_secret_free(pw);
	return role;
}

static enum admin_role
auth_basic(struct admin *a, const struct admin_req *r)
{
	unsigned char dec[ADMIN_CRED_MAX + 4];
	const char *b64 = r->authz + 6;
	size_t n;
	int dl;
	char *colon, *pw;
	enum admin_role role = ROLE_NONE, who = ROLE_NONE;

	while (*b64 == ' ')
		b64++;
	n = strlen(b64);
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > ADMIN_CRED_MAX)
		return ROLE_NONE;
	dl = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)n);
	if (dl < 0)
		return ROLE_NONE;
	if (n >= 1 && b64[n - 1] == '=')
		dl--;
	if (n >= 2 && b64[n - 2] == '=')
		dl--;
	dec[dl] = '\0';
	if (memchr(dec, '\0', (size_t)dl) != NULL)
		goto out;
	colon = strchr((char *)dec, ':');
	if (colon == NULL)
		goto out;
	*colon = '\0';
	pw = login_password(a, (char *)dec, &who);
	if (pw == NULL)
		goto out;
	if (strlen(pw) == strlen(colon + 1) &&
	    CRYPTO_memcmp(pw, colon + 1, strlen(pw)) == 0)
		role = who;
	admin_secret_free(pw);
out:
	OPENSSL_cleanse(dec, sizeof(dec));
	return role;
}

/* Who sent r: ROLE_NONE when there are no valid credentials (*stale set
 * when a Digest nonce only expired). */
enum admin_role
admin_auth_check(struct admin *a, const struct admin_req *r, int *stale)
{
	*stale = 0;
	if (strncasecmp(r->authz, "Digest ", 7) == 0)
		return auth_digest(a, r, stale);
	if (strncasecmp(r->authz, "Basic ", 6) == 0)
		return auth_basic(a, r);
	return ROLE_NONE;
}

/* ---- backoff after wrong passwords ------------------------------------------------ */

/* The entry of addr, or NULL; with make, a new one in the least recently
 * used slot. */
static struct admin_fail *
fail_slot(struct admin *a, const unsigned char addr[16], int make)
{
	struct admin_fail *lru = NULL;

	for (size_t i = 0; i < ADMIN_FAIL_SLOTS; i++) {
		struct admin_fail *e = &a->fails[i];

		if (e->used && memcmp(e->addr, addr, 16) == 0)
			return e;
		if (lru == NULL || !e->used || (lru->used && e->last < lru->last))
			lru = e;
	}
	if (!make)
		return NULL;
	memset(lru, 0, sizeof(*lru));
	lru->used = 1;
	memcpy(lru->addr, addr, 16);
	return lru;
}

/* How long addr must still wait before its password is checked again
 * (ms; 0: now). */
int64_t
admin_fail_wait(struct admin *a, const unsigned char addr[16], int64_t now)
{
	struct admin_fail *e = fail_slot(a, addr, 0);

	return e != NULL && e->until > now ? e->until - now : 0;
}

/* A password from addr was right (ok) or wrong. After ADMIN_FAIL_FREE
 * wrong ones in a row, each further one makes the address wait
 * ADMIN_FAIL_BASE_MS, doubled each time up to ADMIN_FAIL_MAX_MS; a right
 * one, or ADMIN_FAIL_FORGET_MS without failure, starts afresh. Only the
 * guessing address waits: the others are not locked out. */
void
admin_fail_note(struct admin *a, const unsigned char addr[16], int ok, int64_t now)
{
	struct admin_fail *e = fail_slot(a, addr, !ok);
	int64_t wait = ADMIN_FAIL_BASE_MS;

	if (e == NULL)
		return;
	if (ok) {
		e->used = 0;
		return;
	}
	if (now - e->last > ADMIN_FAIL_FORGET_MS)
		e->count = 0;
	e->last = now;
	if (++e->count <= ADMIN_FAIL_FREE)
		return;
	for (unsigned i = ADMIN_FAIL_FREE + 1; i < e->count && wait < ADMIN_FAIL_MAX_MS; i++)
		wait *= 2;
	e->until = now + (wait < ADMIN_FAIL_MAX_MS ? wait : ADMIN_FAIL_MAX_MS);
	if (e->count == ADMIN_FAIL_FREE + 1)
		admin_log("admin: wrong passwords from one address: backing off");
}

const char *
admin_role_user(enum admin_role role)
{
	return role == ROLE_ADMIN ? "admin" : "user";
}

/* ---- CSRF: session cookie and token ------------------------------------------------ */

/* The session id in the Cookie header, copied to sid; 0 if there is none. */
int
admin_session_get(const struct admin_req *r, char *sid /* ADMIN_SID_LEN + 1 */)
{
	const char *p = r->cookie;
	size_t nl = strlen(ADMIN_COOKIE);

	while (*p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, ADMIN_COOKIE, nl) == 0 && p[nl] == '=') {
			size_t i;

			p += nl + 1;
			for (i = 0; i < ADMIN_SID_LEN && hex_val((unsigned char)p[i]) >= 0; i++)
				sid[i] = p[i];
			if (i != ADMIN_SID_LEN || (p[i] != '\0' && p[i] != ';' && p[i] != ' '))
				return 0;
			sid[i] = '\0';
			return 1;
		}
		while (*p && *p != ';')
			p++;
	}
	return 0;
}

void
admin_csrf_token(const struct admin *a, enum admin_role role, const char *sid, char *out)
{
	char data[64];
	int n = snprintf(data, sizeof(data), "csrf:%s:%s", admin_role_user(role), sid);

	hmac_hex(a, data, (size_t)n, out);
}

/* A request that changes state must not come from another site: a
 * browser says so in Sec-Fetch-Site ("none" is the user's own address bar
 * or bookmark), and Origin and Referer, when present, must be this server
 * (the Host the browser used). Without this, a page elsewhere could make a
 * logged-in browser load <img src="http://phone/admin/resync?...">. Tools
 * (curl, XML applications) send none of these headers. */
int
admin_same_origin(const struct admin_req *r)
{
	char want[ADMIN_HEADER_VALUE_MAX + 16];
	size_t n;

	if (r->fetch_site[0] != '\0' && strcmp(r->fetch_site, "same-origin") != 0 &&
	    strcmp(r->fetch_site, "none") != 0)
		return 0;
	if (r->host[0] == '\0')
		return r->origin[0] == '\0' && r->referer[0] == '\0';
	n = (size_t)snprintf(want, sizeof(want), "http://%s", r->host);
	if (r->origin[0] != '\0' && strcmp(r->origin, want) != 0)
		return 0;
	if (r->referer[0] != '\0' &&
	    (strncmp(r->referer, want, n) != 0 || r->referer[n] != '/'))
		return 0;
	return 1;
}
