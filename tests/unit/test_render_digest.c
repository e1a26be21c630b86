/*
 * Tests of auth=digest routes (server/render.c over common/digest.c;
 * server.md S-SEC-1, S-SEC-2) on an injected clock: the challenge is the
 * same for every device the path may name, a nonce is stale after
 * RENDER_NONCE_TTL_MS (stale=true) and from the future, a replayed nc is
 * challenged again, wrong credentials are misses, TFTP is always a miss.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "inventory.h"
#include "render.h"

#define T0 1000000                     /* the injected monotonic clock, ms */

static char *const routes[] = { "/d/$MA.xml template=t auth=digest" };

struct fix {
	char dir[64], url[128];
	struct inv *inv;
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct inv_device d;
	char err[256];
	static const char tmpl[] = "<flat-profile><GPP_A>$MA</GPP_A></flat-profile>\n";

	assert_non_null(f);
	strcpy(f->dir, "/tmp/prov-rdigest.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->url, sizeof(f->url), "sqlite:%s/inv.db", f->dir);
	assert_int_equal(inv_open(&f->inv, f->url, 0, err, sizeof(err)), 0);
	memset(&d, 0, sizeof(d));
	strcpy(d.mac, "000e08000a01");
	strcpy(d.http_user, "alice");
	strcpy(d.http_password, "pwA");
	d.enabled = 1;
	assert_int_equal(inv_device_add(f->inv, &d), 0);
	memset(&d, 0, sizeof(d));
	strcpy(d.mac, "000e08000b02");
	d.enabled = 1;
	assert_int_equal(inv_device_add(f->inv, &d), 0);
	assert_true(inv_template_put(f->inv, "t", tmpl, strlen(tmpl)) > 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	char path[128];

	inv_close(f->inv);
	for (const char *const *s = (const char *const[]){ "inv.db", "inv.db-wal", "inv.db-shm",
							    NULL }; *s != NULL; s++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, *s);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static enum render_status
get(struct fix *f, const char *path, const char *authz, int64_t now, const char *scheme,
    struct render_res *res)
{
	struct render_auth a = { authz, "GET", path, strlen(path), now };
	struct render_env env = { "127.0.0.1", "80", scheme, NULL,
				  strcmp(scheme, "tftp") == 0 ? NULL : &a };
	enum render_status st = render_path(f->inv, routes, 1, path, strlen(path), &env, res);

	if (st != RENDER_OK) {
		free(res->body);
		res->body = NULL;
	}
	return st;
}

/* The nonce of a challenge. */
static void
nonce_of(const struct render_res *res, char nonce[DIGEST_NONCE_LEN + 1])
{
	const char *p = strstr(res->challenge, "nonce=\"");

	assert_non_null(p);
	memcpy(nonce, p + 7, DIGEST_NONCE_LEN);
	nonce[DIGEST_NONCE_LEN] = '\0';
}

/* An Authorization value answering nonce as user:pass for path. */
static void
answer(char *out, size_t cap, const char *user, const char *pass, const char *path,
       const char *nonce, const char *nc)
{
	char resp[DIGEST_HEX_MAX];

	assert_int_equal(digest_response(EVP_md5(), user, RENDER_REALM, pass, "GET", path, nonce,
					 nc, "c0ffee", "auth", resp), 0);
	snprintf(out, cap, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\","
		 " qop=auth, nc=%s, cnonce=\"c0ffee\", response=\"%s\", algorithm=MD5", user,
		 RENDER_REALM, nonce, path, nc, resp);
}

static void
same_challenge_for_every_device(void **state)
{
	struct fix *f = *state;
	struct render_res a, b, c;

	assert_int_equal(get(f, "/d/000e08000a01.xml", NULL, T0, "http", &a), RENDER_AUTH);
	assert_int_equal(get(f, "/d/0000000000ff.xml", NULL, T0, "http", &b), RENDER_AUTH);
	assert_int_equal(get(f, "/d/000e08000b02.xml", "Basic YWxpY2U6cHdB", T0, "http", &c),
			 RENDER_AUTH);
	assert_string_equal(a.challenge, b.challenge);
	assert_string_equal(a.challenge, c.challenge);
	assert_non_null(strstr(a.challenge, "WWW-Authenticate: Digest realm=\"prov\""));
	assert_null(strstr(a.challenge, "stale"));
}

static void
good_then_stale(void **state)
{
	struct fix *f = *state;
	struct render_res res;
	char nonce[DIGEST_NONCE_LEN + 1], az[1024];
	const char *p = "/d/000e08000a01.xml";

	assert_int_equal(get(f, p, NULL, T0, "http", &res), RENDER_AUTH);
	nonce_of(&res, nonce);
	answer(az, sizeof(az), "alice", "pwA", p, nonce, "00000001");
	assert_int_equal(get(f, p, az, T0 + 10, "http", &res), RENDER_OK);
	assert_non_null(strstr(res.body, "000e08000a01"));
	free(res.body);
	/* The next nc on the same nonce is served, until the nonce expires. */
	answer(az, sizeof(az), "alice", "pwA", p, nonce, "00000002");
	assert_int_equal(get(f, p, az, T0 + RENDER_NONCE_TTL_MS, "http", &res), RENDER_OK);
	free(res.body);
	answer(az, sizeof(az), "alice", "pwA", p, nonce, "00000003");
	assert_int_equal(get(f, p, az, T0 + RENDER_NONCE_TTL_MS + 1, "http", &res), RENDER_AUTH);
	assert_non_null(strstr(res.challenge, ", stale=true\r\n"));
	/* A nonce issued in the future (a clock gone back) is stale too. */
	assert_int_equal(get(f, p, az, T0 - 1, "http", &res), RENDER_AUTH);
	assert_non_null(strstr(res.challenge, "stale=true"));
}

static void
replay_is_challenged(void **state)
{
	struct fix *f = *state;
	struct render_res res;
	char nonce[DIGEST_NONCE_LEN + 1], az[1024];
	const char *p = "/d/000e08000a01.xml";

	assert_int_equal(get(f, p, NULL, T0 + 5, "http", &res), RENDER_AUTH);
	nonce_of(&res, nonce);
	answer(az, sizeof(az), "alice", "pwA", p, nonce, "00000001");
	assert_int_equal(get(f, p, az, T0 + 6, "http", &res), RENDER_OK);
	free(res.body);
	assert_int_equal(get(f, p, az, T0 + 7, "http", &res), RENDER_AUTH);
	assert_null(strstr(res.challenge, "stale"));
}

static void
wrong_credentials_are_misses(void **state)
{
	struct fix *f = *state;
	struct render_res res;
	char nonce[DIGEST_NONCE_LEN + 1], az[1024];

	assert_int_equal(get(f, "/d/000e08000a01.xml", NULL, T0 + 20, "http", &res), RENDER_AUTH);
	nonce_of(&res, nonce);
	answer(az, sizeof(az), "alice", "wrong", "/d/000e08000a01.xml", nonce, "00000001");
	assert_int_equal(get(f, "/d/000e08000a01.xml", az, T0 + 21, "http", &res), RENDER_MISS);
	/* alice's credentials on a device without any, and on an unknown one */
	answer(az, sizeof(az), "alice", "pwA", "/d/000e08000b02.xml", nonce, "00000001");
	assert_int_equal(get(f, "/d/000e08000b02.xml", az, T0 + 22, "http", &res), RENDER_MISS);
	answer(az, sizeof(az), "alice", "pwA", "/d/0000000000ff.xml", nonce, "00000001");
	assert_int_equal(get(f, "/d/0000000000ff.xml", az, T0 + 23, "http", &res), RENDER_MISS);
	/* Good credentials for another path than the request's: no credentials. */
	answer(az, sizeof(az), "alice", "pwA", "/d/000e08000a01.xml?x", nonce, "00000001");
	assert_int_equal(get(f, "/d/000e08000a01.xml", az, T0 + 24, "http", &res), RENDER_AUTH);
	/* TFTP: no credentials ever, a miss. */
	assert_int_equal(get(f, "/d/000e08000a01.xml", NULL, T0, "tftp", &res), RENDER_MISS);
}

static void
route_word(void **state)
{
	struct route r;
	char err[256];

	(void)state;
	assert_int_equal(route_parse("/d/$MA.xml template=t auth=digest", &r, err,
				     sizeof(err)), 0);
	assert_true(r.flags & ROUTE_AUTH_DIGEST);
	assert_int_equal(route_parse("/d/$MA.xml template=t auth=basic", &r, err,
				     sizeof(err)), -1);
	assert_non_null(strstr(err, "auth=digest"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(same_challenge_for_every_device, setup, teardown),
		cmocka_unit_test_setup_teardown(good_then_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(replay_is_challenged, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_credentials_are_misses, setup, teardown),
		cmocka_unit_test(route_word),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
