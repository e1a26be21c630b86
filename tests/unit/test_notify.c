/*
 * Unit tests of server/notify (the NOTIFY push's request and answer
 * parser) and of the client side of common/digest (digest_chal_parse,
 * digest_answer), against RFC 2617's own example and answers as the
 * phone (phone/sip_msg.c) writes them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "digest.h"
#include "notify.h"

/* RFC 2617 3.5: Mufasa, "Circle Of Life", qop=auth. */
static void
answer_rfc2617_example(void **state)
{
	struct digest_chal c;
	char out[1024];

	(void)state;
	assert_int_equal(digest_chal_parse("realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
					   "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
					   "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"", &c), 0);
	assert_true(c.qop_auth);
	assert_string_equal(c.realm, "testrealm@host.com");
	assert_int_equal(digest_answer(&c, "Mufasa", "Circle Of Life", "GET", "/dir/index.html",
				       1, "0a4f113b", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "response=\"6629fae49393a05397450978507c4ef1\""));
	assert_non_null(strstr(out, "qop=auth, nc=00000001, cnonce=\"0a4f113b\""));
	assert_non_null(strstr(out, "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
	assert_null(strstr(out, "Circle"));
	/* Too small a buffer: "" and -1, never a cut header. */
	assert_int_equal(digest_answer(&c, "Mufasa", "Circle Of Life", "GET", "/dir/index.html",
				       1, "0a4f113b", out, 100), -1);
	assert_string_equal(out, "");
}

/* Without qop, RFC 2069's response: H(HA1:nonce:HA2), no nc or cnonce. */
static void
answer_without_qop(void **state)
{
	struct digest_chal c;
	char out[1024];

	(void)state;
	assert_int_equal(digest_chal_parse("realm=\"testrealm@host.com\", "
					   "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"", &c), 0);
	assert_false(c.qop_auth);
	assert_int_equal(digest_answer(&c, "Mufasa", "Circle Of Life", "GET", "/dir/index.html",
				       1, "0a4f113b", out, sizeof(out)), 0);
	/* md5(md5(Mufasa:testrealm@host.com:Circle Of Life):nonce:md5(GET:/dir/index.html)) */
	assert_non_null(strstr(out, "response=\"670fd8c2df070c60b045671b8b24ff02\""));
	assert_null(strstr(out, "nc="));
}

static void
challenge_refusals(void **state)
{
	struct digest_chal c;
	char out[512], big[600];

	(void)state;
	assert_int_equal(digest_chal_parse("realm=\"r\"", &c), -1);        /* no nonce */
	assert_int_equal(digest_chal_parse("realm=\"r, nonce=n", &c), -1); /* unclosed */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "nonce=", 6);
	assert_int_equal(digest_chal_parse(big, &c), -1);                  /* too long */
	assert_int_equal(digest_chal_parse("nonce=n, algorithm=SHA-512", &c), 0);
	assert_int_equal(digest_answer(&c, "u", "p", "NOTIFY", "sip:u@h", 1, "c", out,
				       sizeof(out)), -1);
	assert_int_equal(digest_chal_parse("nonce=n, stale=true, algorithm=SHA-256", &c), 0);
	assert_true(c.stale);
	assert_int_equal(digest_answer(&c, "u\"x", "p", "NOTIFY", "sip:u@h", 1, "c", out,
				       sizeof(out)), -1);
	assert_int_equal(digest_answer(&c, "u", "p", "NOTIFY", "sip:u@h", 1, "c", out,
				       sizeof(out)), 0);
	assert_non_null(strstr(out, "algorithm=SHA-256"));
}

static void
build_and_parse(void **state)
{
	struct notify_req q = {
		.ruri = "sip:1001@127.0.0.1:5060", .event = "check-sync",
		.local = "127.0.0.1:40000", .call_id = "cid", .from_tag = "t", .branch = "b1",
		.cseq = 2, .auth_name = "Authorization", .auth = "Digest username=\"1001\"",
		.user_agent = "prov/test",
	};
	const char phone[] =
		"SIP/2.0 401 Unauthorized\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKb1;rport=40000;received=127.0.0.1\r\n"
		"From: <sip:prov@127.0.0.1:40000>;tag=t\r\n"
		"To: <sip:1001@127.0.0.1:5060>;tag=x\r\n"
		"Call-ID: cid\r\n"
		"CSeq: 2 NOTIFY\r\n"
		"WWW-Authenticate: Digest realm=\"prov-001122334455\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"\r\n"
		"WWW-Authenticate: Digest realm=\"prov-001122334455\", nonce=\"n1\", algorithm=SHA-256, qop=\"auth\"\r\n"
		"Content-Length: 0\r\n\r\n";
	struct notify_resp r;
	const char *why;
	char out[NOTIFY_MSG_MAX];
	int n;

	(void)state;
	n = notify_build(&q, out, sizeof(out));
	assert_true(n > 0);
	assert_non_null(strstr(out, "NOTIFY sip:1001@127.0.0.1:5060 SIP/2.0\r\n"));
	assert_non_null(strstr(out, "branch=z9hG4bKb1;rport\r\n"));
	assert_non_null(strstr(out, "\r\nAuthorization: Digest username=\"1001\"\r\n"));
	assert_non_null(strstr(out, "\r\nEvent: check-sync\r\n"));
	q.event = "check-sync\r\nX: y";
	assert_int_equal(notify_build(&q, out, sizeof(out)), -1);
	assert_int_equal(notify_parse(phone, sizeof(phone) - 1, &r, &why), 0);
	assert_int_equal(r.code, 401);
	assert_string_equal(r.reason, "Unauthorized");
	assert_string_equal(r.call_id, "cid");
	assert_string_equal(r.branch, "z9hG4bKb1");
	assert_int_equal(r.cseq, 2);
	assert_string_equal(r.cseq_method, "NOTIFY");
	assert_int_equal(r.nchal, 2);
	assert_false(r.proxy);
	assert_string_equal(r.chal[1].algorithm, "SHA-256");
	/* Not responses, or without what a UAC matches on. */
	assert_int_equal(notify_parse("NOTIFY sip:x SIP/2.0\r\n\r\n", 24, &r, &why), -1);
	assert_int_equal(notify_parse("SIP/2.0 99 X\r\nCall-ID: c\r\nCSeq: 1 NOTIFY\r\n\r\n",
				      44, &r, &why), -1);
	assert_int_equal(notify_parse("SIP/2.0 200 OK\r\nCSeq: 1 NOTIFY\r\n\r\n", 34, &r, &why),
			 -1);
	assert_string_equal(why, "no Call-ID or CSeq");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answer_rfc2617_example),
		cmocka_unit_test(answer_without_qop),
		cmocka_unit_test(challenge_refusals),
		cmocka_unit_test(build_and_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
