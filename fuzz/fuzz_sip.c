/*
 * Fuzz target for the SIP NOTIFY listener's message handling (phone/sip_msg.c;
 * device.md D-TRG-3, reliability.md R-NOTIFY), without sockets. The input
 * goes through sip_input once as a datagram, then as a TCP stream cut by
 * sip_frame. A fresh listener per input (no state carried between inputs)
 * with a fixed nonce key and a fixed clock, so the corpus can hold valid
 * nonces and digests (fuzz/corpus/sip/notify-authorized-*) and the whole
 * digest check is reachable.
 *
 * Properties checked: every answer is one complete SIP response within
 * SIP_ANSWER_MAX; an action runs only after a 200 to the same message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "prov/prov.h"
#include "sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SIP_NOW 1000000 /* the listener's clock: nonce 00000000000f4240... */

static int fuzz_sip_acted;

static int64_t
fuzz_sip_clock(void *arg)
{
	(void)arg;
	return FUZZ_SIP_NOW;
}

static void
fuzz_sip_act(void *arg)
{
	(void)arg;
	fuzz_sip_acted++;
}

static void
fuzz_sip_xml(void *arg, const char *body, size_t len)
{
	volatile char sink = 0;
	size_t i;

	(void)arg;
	for (i = 0; i < len; i++) /* the body must be readable */
		sink ^= body[i];
	(void)sink;
	fuzz_sip_acted++;
}

static struct prov_device *
fuzz_sip_device(void)
{
	static struct prov_device *dev;
	const struct prov_identity id = {
		.mac = "000e08abcdef", .serial = NULL, .product = "CP-8841-3PCC",
		.psn = NULL, .swver = "sip88xx.11-3-1MPP-123", .hwver = NULL,
	};

	if (dev == NULL) {
		dev = prov_device_new(&id, NULL);
		if (dev == NULL ||
		    prov_device_set(dev, "User_ID_1_", "4085551234", 0) != PROV_OK ||
		    prov_device_set(dev, "Password_1_", "s3cret", 0) != PROV_OK)
			abort();
	}
	return dev;
}

static struct sip *
fuzz_sip_new(void)
{
	static const unsigned char key[32];
	const struct sip_actions act = {
		.resync = fuzz_sip_act, .report = fuzz_sip_act, .reboot = fuzz_sip_act,
		.restart = fuzz_sip_act, .xml_service = fuzz_sip_xml, .arg = NULL,
	};
	struct sip *s = NULL;
	char err[256];

	if (sip_new(&s, NULL, fuzz_sip_device(), NULL, &act, err, sizeof(err)) != 0)
		abort();
	sip_set_clock(s, fuzz_sip_clock, NULL);
	sip_set_key(s, key, sizeof(key));
	return s;
}

/* One message in, and the properties of what came out. */
static void
fuzz_sip_one(struct sip *s, const char *msg, size_t len, int tcp)
{
	static char out[SIP_ANSWER_MAX + 1];
	struct sockaddr_in src;
	int before = fuzz_sip_acted;
	size_t n;

	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	src.sin_port = htons(5060);
	n = sip_input(s, msg, len, (const struct sockaddr *)&src, sizeof(src), tcp, out,
		      sizeof(out));
	if (n > 0) {
		if (n >= SIP_ANSWER_MAX || strncmp(out, "SIP/2.0 ", 8) != 0 ||
		    n < 4 || memcmp(out + n - 4, "\r\n\r\n", 4) != 0 ||
		    strstr(out, "\r\n\r\n") != out + n - 4)
			abort();
	}
	if (fuzz_sip_acted != before && (n == 0 || strncmp(out, "SIP/2.0 200 ", 12) != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct sip *s;
	size_t off = 0, ml;

	if (size > SIP_UDP_MAX)
		return 0;
	s = fuzz_sip_new();
	fuzz_sip_one(s, p, size, 0);
	sip_free(s);

	s = fuzz_sip_new();
	while (off < size) {
		while (off < size && (p[off] == '\r' || p[off] == '\n'))
			off++;
		if (off == size || sip_frame(p + off, size - off, &ml) != 1)
			break;
		if (ml == 0 || ml > size - off)
			abort();
		fuzz_sip_one(s, p + off, ml, 1);
		off += ml;
	}
	sip_free(s);
	return 0;
}
