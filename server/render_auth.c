/*
 * render_auth: HTTP Digest (RFC 7616) on auth=digest routes: the nonce key,
 * the nc table (process-shared when render_digest_shared ran before the
 * fork) and the check of a request's credentials. See render.h.
 */
#define _GNU_SOURCE /* MAP_ANONYMOUS, robust mutexes */
#include "render.h"
#include "render_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include <openssl/crypto.h>

#include "digest.h"
#include "inventory.h"

/* The worker's nonce key (the database's, read once) and the nc table:
 * shared by every worker when render_digest_shared ran before the fork
 * (one table, one process-shared robust lock), else the process's own. */
static unsigned char render_nkey[INV_KEY_BYTES];
static int render_nkey_ok;
static struct digest_seen *render_seen;

struct render_seen_shm {
	pthread_mutex_t lock;
	struct digest_seen seen[RENDER_SEEN_SLOTS];
};
static struct render_seen_shm *render_shm;

int
render_digest_shared(void)
{
	pthread_mutexattr_t a;
	struct render_seen_shm *t;
	int rc;

	if (render_shm != NULL)
		return 0;
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return -1;
	if (pthread_mutexattr_init(&a) != 0) {
		munmap(t, sizeof(*t));
		return -1;
	}
	rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) != 0 ||
		pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) != 0 ||
		pthread_mutex_init(&t->lock, &a) != 0;
	pthread_mutexattr_destroy(&a);
	if (rc) {
		munmap(t, sizeof(*t));
		return -1;
	}
	render_shm = t;
	render_seen = t->seen;
	return 0;
}

/* digest_seen_use on the table, under the shared lock when there is one. */
static enum digest_use
render_seen_use(const char *nonce, int64_t issued, uint32_t nc, int64_t now)
{
	enum digest_use u;
	int r;

	if (render_shm == NULL)
		return digest_seen_use(render_seen, RENDER_SEEN_SLOTS, nonce, issued, nc, now,
				       RENDER_NONCE_TTL_MS);
	r = pthread_mutex_lock(&render_shm->lock);
	if (r == EOWNERDEAD) {
		/* A worker died mid-update: forget what it may have half
		 * written; a forgotten nc lets at most one replay through
		 * until the nonce is stale. */
		memset(render_shm->seen, 0, sizeof(render_shm->seen));
		pthread_mutex_consistent(&render_shm->lock);
	} else if (r != 0) {
		return DIGEST_USE_FULL;
	}
	u = digest_seen_use(render_shm->seen, RENDER_SEEN_SLOTS, nonce, issued, nc, now,
			    RENDER_NONCE_TTL_MS);
	pthread_mutex_unlock(&render_shm->lock);
	return u;
}

/* RENDER_AUTH with a fresh challenge in res. */
static enum render_status
render_challenge(const struct render_auth *a, int stale, struct render_res *res,
		 const char *why)
{
	char nonce[DIGEST_NONCE_LEN + 1];

	if (digest_nonce_make(render_nkey, sizeof(render_nkey), a->now_ms, nonce) != 0) {
		snprintf(res->why, sizeof(res->why), "digest: no nonce");
		return RENDER_FAIL;
	}
	snprintf(res->challenge, sizeof(res->challenge),
		 "WWW-Authenticate: Digest realm=\"" RENDER_REALM "\", qop=\"auth\","
		 " algorithm=MD5, nonce=\"%s\"%s\r\n", nonce, stale ? ", stale=true" : "");
	snprintf(res->why, sizeof(res->why), "digest: %s", why);
	return RENDER_AUTH;
}

/* Checks the request's Digest credentials for the device the path (or
 * the certificate) names: RENDER_OK, RENDER_AUTH (no usable credentials:
 * the same challenge whatever the device), RENDER_MISS (a fresh answer
 * that is not this device's credentials), RENDER_BUSY / RENDER_FAIL. */
enum render_status
render_auth_check(struct inv *inv, const struct render_env *env, struct render_res *res)
{
	const struct render_auth *a = env->auth;
	struct digest_cred d;
	struct inv_device dev;
	const EVP_MD *md;
	const char *mac, *pass;
	char want[DIGEST_HEX_MAX];
	int64_t issued = 0;
	uint32_t nc;
	int r, ok;
	enum render_status st = RENDER_MISS;

	if (a == NULL) {
		snprintf(res->why, sizeof(res->why), "auth=digest route over %s",
			 env->scheme != NULL ? env->scheme : "this listener");
		return RENDER_MISS;
	}
	if (!render_nkey_ok) {
		if (inv_secret(inv, "digest-nonce", render_nkey) < 0)
			return render_dbfail(inv, res->why, sizeof(res->why));
		render_nkey_ok = 1;
	}
	if (render_seen == NULL &&
	    (render_seen = calloc(RENDER_SEEN_SLOTS, sizeof(*render_seen))) == NULL) {
		snprintf(res->why, sizeof(res->why), "out of memory");
		return RENDER_FAIL;
	}
	if (a->authz == NULL || strncasecmp(a->authz, "Digest ", 7) != 0)
		return render_challenge(a, 0, res, "no credentials");
	if (digest_parse(a->authz + 7, &d) != 0 || (md = digest_md(d.algorithm)) == NULL ||
	    strcmp(d.realm, RENDER_REALM) != 0 || strcmp(d.qop, "auth") != 0 ||
	    strlen(d.uri) != a->uri_len || memcmp(d.uri, a->uri, a->uri_len) != 0 ||
	    d.cnonce[0] == '\0' || digest_nc(d.nc, &nc) != 0 ||
	    (d.userhash[0] != '\0' && strcasecmp(d.userhash, "false") != 0))
		return render_challenge(a, 0, res, "malformed credentials");
	switch (digest_nonce_check(render_nkey, sizeof(render_nkey), d.nonce, a->now_ms,
				   RENDER_NONCE_TTL_MS, &issued)) {
	case DIGEST_NONCE_BAD:
		return render_challenge(a, 0, res, "not our nonce");
	case DIGEST_NONCE_STALE:
		return render_challenge(a, 1, res, "stale nonce");
	case DIGEST_NONCE_FRESH:
		break;
	}
	/* A fresh answer: from here every failure is a miss, and every path
	 * reads the device and computes the hash, so none is quicker. */
	mac = res->mac[0] != '\0' ? res->mac : env->cert_mac != NULL ? env->cert_mac : "";
	memset(&dev, 0, sizeof(dev));
	r = inv_device_get(inv, mac, &dev);
	if (r < 0)
		return render_dbfail(inv, res->why, sizeof(res->why));
	ok = r == 1 && dev.enabled && dev.http_user[0] != '\0' && dev.http_password[0] != '\0' &&
		strcmp(dev.http_user, d.username) == 0;
	pass = ok ? dev.http_password : "\x01not a password\x01";
	if (digest_response(md, d.username, RENDER_REALM, pass, a->method, d.uri, d.nonce,
			    d.nc, d.cnonce, d.qop, want) != 0) {
		snprintf(res->why, sizeof(res->why), "digest: hash failed");
		st = RENDER_FAIL;
	} else if (!digest_equal(want, d.response) || !ok) {
		snprintf(res->why, sizeof(res->why), "%s: digest credentials of user '%.64s' do"
			 " not match", mac[0] != '\0' ? mac : "(no MAC)", d.username);
		st = RENDER_MISS;
	} else {
		switch (render_seen_use(d.nonce, issued, nc, a->now_ms)) {
		case DIGEST_USE_OK:
			st = RENDER_OK;
			break;
		case DIGEST_USE_REPLAY:
			st = render_challenge(a, 0, res, "nc replayed");
			break;
		case DIGEST_USE_FULL:
			st = render_challenge(a, 1, res, "nonce table full");
			break;
		}
	}
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(dev.http_password, sizeof(dev.http_password));
	return st;
}
