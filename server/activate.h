/*
 * activate: activation codes (server.md S-OPS-5, device.md D-ONB-2).
 *
 * A code is 16 decimal digits: 15 from the OpenSSL DRBG (RAND_bytes, by
 * rejection, so every digit is uniform) and a Luhn check digit, so a
 * mistyped digit is refused before any lookup. The database keeps only
 * HMAC-SHA256(server secret "activation", digits) in hex, the last 4
 * digits (to tell codes apart in a list), the group and product it enrols
 * into, and its expiry; never the code.
 *
 * Redemption (act_redeem) is one transaction: one UPDATE ... WHERE hash =
 * ? AND used_ms IS NULL AND revoked = 0 AND expires_ms > now marks the
 * code used, so of two concurrent attempts exactly one changes the row;
 * then the device record is created (or its group and product set). An
 * unknown, used, revoked or expired code gives the same ACT_REFUSED: no
 * oracle between them. The lookup key is a keyed hash, so the index
 * lookup's timing tells nothing about the digits; the row found is
 * compared again with CRYPTO_memcmp.
 *
 * The exchange over HTTPS (activate_http, docs/ONBOARDING.md):
 *     POST /prov/activate   Content-Type: application/x-www-form-urlencoded
 *     code=DIGITS&mac=MAC&serial=SN&product=PN
 * The identity is taken from the verified client certificate (its MIC)
 * when there is one; mac/serial/product of the form only when not. 200
 * answers the profile rule (text/plain, --activation-rule); a refusal is
 * 403 "invalid activation code", counted by guard.c as a miss.
 *
 * The same in-memory body path answers POST CA_PATH, a device's renewal
 * CSR (ca.h), with --device-ca.
 *
 * Threads: as inventory.h (one struct inv per thread).
 */
#ifndef PROV_SERVER_ACTIVATE_H
#define PROV_SERVER_ACTIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "inventory.h"

#define ACT_DIGITS 16u                 /* digits of a code, the check digit included */
#define ACT_NEW_MAX 10000u             /* codes made by one `prov code new` */
#define ACT_BODY_MAX 1024u             /* an activation request's body */
#define ACT_PATH "/prov/activate"      /* where the exchange is answered */
#define ACT_SECRET "activation"        /* server_secret row keying the hashes */

/* One code as listed (never its digits). */
struct act_code {
	unsigned id;
	char tail[5];                  /* its last 4 digits */
	char group[INV_FIELD_MAX];
	char product[INV_FIELD_MAX];
	int64_t created_ms, expires_ms;
	int64_t used_ms;               /* 0: not used */
	char used_by[13];              /* MAC of the device enrolled with it */
	int revoked;
};

/* The device's identity presented with a code. */
struct act_identity {
	char mac[13];
	char serial[INV_FIELD_MAX];
	char product[INV_FIELD_MAX];
};

enum act_result { ACT_OK, ACT_REFUSED, ACT_BUSY, ACT_FAIL };

#define ACT_EXPIRES_MAX_DAYS 3660      /* longest life of a code: about ten years */

/* The wall clock in ms. */
int64_t act_now(void);
/* An expiry as `prov code new --expires` takes it (N days, Nd, Nh, Nm, or
 * YYYY-MM-DD: through that day, UTC) into wall ms counted from now_ms; -1
 * when malformed, not in the future or over ACT_EXPIRES_MAX_DAYS. */
int64_t act_expiry(const char *s, int64_t now_ms);

/* s (digits, with any spaces or '-' between them) as ACT_DIGITS digits
 * into digits; 0, or -1 when it is not 16 digits with a valid check
 * digit. */
int act_code_norm(const char *s, char digits[ACT_DIGITS + 1]);

/* A new code enrolling into group and product (either may be NULL),
 * valid until expires_ms (wall clock). Writes its digits (the caller
 * prints them once and wipes them) and id. 0, or -1 (inv_errmsg). */
int act_code_new(struct inv *inv, const char *group, const char *product, int64_t expires_ms,
		 char digits[ACT_DIGITS + 1], unsigned *id) __attribute__((warn_unused_result));

/* Calls fn for every code, oldest first. 0, or -1. */
int act_code_list(struct inv *inv, void (*fn)(void *arg, const struct act_code *c), void *arg)
	__attribute__((warn_unused_result));

/* Revokes the code numbered id (what = "ID") or given whole (16 digits).
 * 1 revoked, 0 no such code not yet used or revoked, -1 error. */
int act_code_revoke(struct inv *inv, const char *what) __attribute__((warn_unused_result));

/* Redeems digits for the device id at now_ms: see above. d is the
 * device record made or updated (ACT_OK). */
enum act_result act_redeem(struct inv *inv, const char *digits, const struct act_identity *id,
			   int64_t now_ms, struct inv_device *d);

/* Parses an application/x-www-form-urlencoded body: code, mac, serial,
 * product (each at most once; any other field, a bad escape or an
 * oversized value is an error). The code is normalised (act_code_norm
 * is not applied: a malformed code is a refusal, not a bad request). 0,
 * or -1 with *why. The caller wipes code. */
int act_form_parse(const char *body, size_t len, char code[64], struct act_identity *id,
		   int *has_mac, const char **why);

#endif
