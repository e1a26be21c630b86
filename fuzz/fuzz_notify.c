/*
 * Fuzz target for server/notify.c, the parser of the answers a NOTIFY
 * push gets (and through it common/digest.c's digest_chal_parse): the
 * input is one datagram. Checks: no crash; a parsed answer has a code in
 * 100..699, NUL-terminated fields within their bounds, at most
 * NOTIFY_CHALS_MAX challenges, each with a nonce; and each challenge can
 * be answered (digest_answer) without overrunning its buffer, the answer
 * being "" or a "Digest username=" line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notify_resp r;
	const char *why;
	char out[1024];

	if (notify_parse((const char *)data, size, &r, &why) != 0) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (r.code < 100 || r.code > 699 || r.nchal > NOTIFY_CHALS_MAX ||
	    strlen(r.reason) >= sizeof(r.reason) || strlen(r.call_id) >= sizeof(r.call_id) ||
	    r.call_id[0] == '\0' || strlen(r.branch) >= sizeof(r.branch) ||
	    strlen(r.cseq_method) >= sizeof(r.cseq_method))
		abort();
	for (unsigned i = 0; i < r.nchal; i++) {
		const struct digest_chal *c = &r.chal[i];

		if (c->nonce[0] == '\0' || strlen(c->nonce) >= sizeof(c->nonce) ||
		    strlen(c->realm) >= sizeof(c->realm) || strlen(c->qop) >= sizeof(c->qop))
			abort();
		if (digest_answer(c, "1001", "secret", "NOTIFY", "sip:1001@127.0.0.1:5060", 1,
				  "0123456789abcdef", out, sizeof(out)) == 0) {
			if (strncmp(out, "Digest username=\"1001\"", 22) != 0)
				abort();
		} else if (out[0] != '\0') {
			abort();
		}
	}
	return 0;
}
