#include "digest.h"

#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include "hex.h"

int
digest_parse(const char *s, struct digest_cred *d)
{
	static const struct { const char *k; size_t off, size; } keys[] = {
#define K(f) { #f, offsetof(struct digest_cred, f), sizeof(((struct digest_cred *)0)->f) }
		K(username), K(realm), K(nonce), K(uri), K(response), K(qop), K(nc),
		K(cnonce), K(algorithm), K(userhash),
#undef K
	};

	memset(d, 0, sizeof(*d));
	for (;;) {
		char key[32], val[DIGEST_VALUE_MAX + 1];
		size_t kl = 0, vl = 0;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (*s == '\0')
			return 0;
		while (*s && *s != '=' && *s != ' ' && *s != ',') {
			if (kl + 1 >= sizeof(key))
				return -1;
			key[kl++] = *s++;
		}
		key[kl] = '\0';
		while (*s == ' ')
			s++;
		if (*s++ != '=')
			return -1;
		while (*s == ' ')
			s++;
		if (*s == '"') {
			s++;
			while (*s && *s != '"') {
				if (*s == '\\' && s[1] != '\0')
					s++;
				if (vl + 1 >= sizeof(val))
					return -1;
				val[vl++] = *s++;
			}
			if (*s++ != '"')
				return -1;
		} else {
			while (*s && *s != ',' && *s != ' ') {
				if (vl + 1 >= sizeof(val))
					return -1;
				val[vl++] = *s++;
			}
		}
		val[vl] = '\0';
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strcasecmp(key, keys[i].k) == 0) {
				if (vl + 1 > keys[i].size)
					return -1;
				memcpy((char *)d + keys[i].off, val, vl + 1);
			}
		}
	}
}

const EVP_MD *
digest_md(const char *algorithm)
{
	if (algorithm == NULL || algorithm[0] == '\0' || strcasecmp(algorithm, "MD5") == 0)
		return EVP_md5();
	if (strcasecmp(algorithm, "SHA-256") == 0)
		return EVP_sha256();
	return NULL;
}

int
digest_nc(const char *nc, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < 8; i++) {
		int h = hex_val((unsigned char)nc[i]);

		if (h < 0)
			return -1;
		v = v << 4 | (uint32_t)h;
	}
	if (nc[8] != '\0' || v == 0)
		return -1;
	*out = v;
	return 0;
}

/* out = hex(H(parts joined by ':')). Returns 0, or -1 with out "". */
static int
digest_hash(const EVP_MD *md, char out[DIGEST_HEX_MAX], const char *const *parts, size_t n)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int rc = -1;

	out[0] = '\0';
	if (c == NULL || EVP_DigestInit_ex(c, md, NULL) != 1)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((i > 0 && EVP_DigestUpdate(c, ":", 1) != 1) ||
		    EVP_DigestUpdate(c, parts[i], strlen(parts[i])) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(c, d, &dl) != 1)
		goto out;
	hex_encode(d, dl, out);
	rc = 0;
out:
	OPENSSL_cleanse(d, sizeof(d));
	EVP_MD_CTX_free(c);
	return rc;
}

int
digest_response(const EVP_MD *md, const char *user, const char *realm, const char *pass,
		const char *method, const char *uri, const char *nonce, const char *nc,
		const char *cnonce, const char *qop, char out[DIGEST_HEX_MAX])
{
	char ha1[DIGEST_HEX_MAX], ha2[DIGEST_HEX_MAX];
	const char *p1[] = { user, realm, pass };
	const char *p2[] = { method, uri };
	const char *p3[] = { ha1, nonce, nc, cnonce, qop, ha2 };
	int rc = -1;

	out[0] = '\0';
	if (digest_hash(md, ha1, p1, 3) == 0 && digest_hash(md, ha2, p2, 2) == 0 &&
	    digest_hash(md, out, p3, 6) == 0)
		rc = 0;
	OPENSSL_cleanse(ha1, sizeof(ha1));
	return rc;
}

int
digest_equal(const char *want, const char *response)
{
	size_t n = strlen(want);

	return n > 0 && strlen(response) == n && CRYPTO_memcmp(want, response, n) == 0;
}

int
digest_nonce_make(const unsigned char *key, size_t keylen, int64_t t, char *out)
{
	unsigned char ts[8], mac[EVP_MAX_MD_SIZE];
	unsigned ml = 0;

	for (int i = 0; i < 8; i++)
		ts[i] = (unsigned char)((uint64_t)t >> (56 - 8 * i));
	if (HMAC(EVP_sha256(), key, (int)keylen, ts, sizeof(ts), mac, &ml) == NULL || ml < 16)
		return -1;
	hex_encode(ts, 8, out);
	hex_encode(mac, 16, out + 16);
	return 0;
}

enum digest_nonce
digest_nonce_check(const unsigned char *key, size_t keylen, const char *nonce, int64_t now,
		   int64_t ttl, int64_t *issued)
{
	char want[DIGEST_NONCE_LEN + 1];
	uint64_t t = 0;

	if (strlen(nonce) != DIGEST_NONCE_LEN)
		return DIGEST_NONCE_BAD;
	for (size_t i = 0; i < 16; i++) {
		int v = hex_val((unsigned char)nonce[i]);

		if (v < 0)
			return DIGEST_NONCE_BAD;
		t = t << 4 | (uint64_t)v;
	}
	if (t > INT64_MAX || digest_nonce_make(key, keylen, (int64_t)t, want) != 0 ||
	    CRYPTO_memcmp(want, nonce, DIGEST_NONCE_LEN) != 0)
		return DIGEST_NONCE_BAD;
	*issued = (int64_t)t;
	if ((int64_t)t > now || now - (int64_t)t > ttl)
		return DIGEST_NONCE_STALE;
	return DIGEST_NONCE_FRESH;
}

enum digest_use
digest_seen_use(struct digest_seen *table, size_t n, const char *nonce, int64_t issued,
		uint32_t nc, int64_t now, int64_t ttl)
{
	struct digest_seen *e = NULL, *free_slot = NULL;

	if (strlen(nonce) != DIGEST_NONCE_LEN)
		return DIGEST_USE_REPLAY; /* not one of ours: never recorded */
	for (size_t i = 0; i < n; i++) {
		struct digest_seen *c = &table[i];

		if (c->nonce[0] != '\0' && now - c->issued > ttl)
			c->nonce[0] = '\0';
		if (c->nonce[0] == '\0') {
			if (free_slot == NULL)
				free_slot = c;
			continue;
		}
		if (strcmp(c->nonce, nonce) == 0)
			e = c;
	}
	if (e != NULL) {
		if (nc <= e->nc)
			return DIGEST_USE_REPLAY;
		e->nc = nc;
		return DIGEST_USE_OK;
	}
	if (free_slot == NULL)
		return DIGEST_USE_FULL;
	memcpy(free_slot->nonce, nonce, DIGEST_NONCE_LEN + 1);
	free_slot->issued = issued;
	free_slot->nc = nc;
	return DIGEST_USE_OK;
}

/* ---- the client side ------------------------------------------------------------ */

/* One `k=v` or `k="v"` of an auth-param list at *s into key and val
 * (unquoted, backslash escapes removed), advancing *s. Returns 1 with a
 * pair, 0 at the end, -1 when malformed or a value does not fit valcap. */
static int
digest_param_next(const char **sp, char *key, size_t keycap, char *val, size_t valcap)
{
	const char *s = *sp;
	size_t kl = 0, vl = 0;

	while (*s == ' ' || *s == '\t' || *s == ',')
		s++;
	if (*s == '\0') {
		*sp = s;
		return 0;
	}
	while (*s && *s != '=' && *s != ' ' && *s != '\t' && *s != ',') {
		if (kl + 1 >= keycap)
			return -1;
		key[kl++] = *s++;
	}
	key[kl] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	if (kl == 0 || *s++ != '=')
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '"') {
		s++;
		while (*s && *s != '"') {
			if (*s == '\\' && s[1] != '\0')
				s++;
			if (vl + 1 >= valcap)
				return -1;
			val[vl++] = *s++;
		}
		if (*s++ != '"')
			return -1;
	} else {
		while (*s && *s != ',' && *s != ' ' && *s != '\t') {
			if (vl + 1 >= valcap)
				return -1;
			val[vl++] = *s++;
		}
	}
	val[vl] = '\0';
	*sp = s;
	return 1;
}

int
digest_chal_parse(const char *s, struct digest_chal *c)
{
	static const struct { const char *k; size_t off, size; } keys[] = {
#define K(f) { #f, offsetof(struct digest_chal, f), sizeof(((struct digest_chal *)0)->f) }
		K(realm), K(nonce), K(opaque), K(algorithm), K(qop),
#undef K
	};
	char key[32], val[DIGEST_CHAL_FIELD_MAX + 1];
	int r;

	memset(c, 0, sizeof(*c));
	while ((r = digest_param_next(&s, key, sizeof(key), val, sizeof(val))) == 1) {
		size_t vl = strlen(val);

		if (strcasecmp(key, "stale") == 0) {
			c->stale = strcasecmp(val, "true") == 0;
			continue;
		}
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strcasecmp(key, keys[i].k) == 0) {
				if (vl + 1 > keys[i].size)
					return -1;
				memcpy((char *)c + keys[i].off, val, vl + 1);
			}
		}
	}
	if (r < 0 || c->nonce[0] == '\0')
		return -1;
	/* qop is a comma-separated list of options ("auth,auth-int"). */
	for (const char *q = c->qop; *q != '\0';) {
		size_t n;

		while (*q == ',' || *q == ' ' || *q == '\t')
			q++;
		n = strcspn(q, ", \t");
		if (n == 4 && strncasecmp(q, "auth", 4) == 0)
			c->qop_auth = 1;
		q += n;
	}
	return 0;
}

/* Whether s can go between quotes as it is. */
static int
digest_quotable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int
digest_answer(const struct digest_chal *c, const char *user, const char *pass,
	      const char *method, const char *uri, uint32_t nc, const char *cnonce,
	      char *out, size_t outsz)
{
	char resp[DIGEST_HEX_MAX], ha1[DIGEST_HEX_MAX], ha2[DIGEST_HEX_MAX], ncs[9];
	const EVP_MD *md = digest_md(c->algorithm);
	const char *p1[] = { user, c->realm, pass };
	const char *p2[] = { method, uri };
	const char *p3[] = { ha1, c->nonce, ha2 };
	int rc = -1, w;

	if (outsz > 0)
		out[0] = '\0';
	if (md == NULL || !digest_quotable(user) || !digest_quotable(uri) ||
	    !digest_quotable(c->realm) || !digest_quotable(c->nonce) ||
	    !digest_quotable(c->opaque) || !digest_quotable(cnonce) || strlen(cnonce) > 64 ||
	    !digest_quotable(c->algorithm))
		return -1;
	snprintf(ncs, sizeof(ncs), "%08x", nc);
	if (c->qop_auth) {
		if (digest_response(md, user, c->realm, pass, method, uri, c->nonce, ncs, cnonce,
				    "auth", resp) != 0)
			goto out;
	} else if (digest_hash(md, ha1, p1, 3) != 0 || digest_hash(md, ha2, p2, 2) != 0 ||
		   digest_hash(md, resp, p3, 3) != 0) {
		goto out;
	}
	w = snprintf(out, outsz, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
		     "uri=\"%s\", response=\"%s\"%s%s",
		     user, c->realm, c->nonce, uri, resp,
		     c->algorithm[0] != '\0' ? ", algorithm=" : "", c->algorithm);
	if (w < 0 || (size_t)w >= outsz)
		goto out;
	if (c->qop_auth) {
		size_t n = (size_t)w;

		w = snprintf(out + n, outsz - n, ", qop=auth, nc=%s, cnonce=\"%s\"", ncs, cnonce);
		if (w < 0 || (size_t)w >= outsz - n)
			goto out;
		w += (int)n;
	}
	if (c->opaque[0] != '\0') {
		size_t n = (size_t)w;

		w = snprintf(out + n, outsz - n, ", opaque=\"%s\"", c->opaque);
		if (w < 0 || (size_t)w >= outsz - n)
			goto out;
	}
	rc = 0;
out:
	if (rc != 0 && outsz > 0)
		out[0] = '\0';
	OPENSSL_cleanse(ha1, sizeof(ha1));
	OPENSSL_cleanse(ha2, sizeof(ha2));
	return rc;
}
