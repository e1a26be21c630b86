/*
 * gds: onboarding with an activation code (device.md D-ONB-2; the
 * guide's "Activation Code Onboarding").
 *
 * A rule whose whole text is gds:// (Profile_Rule by default on such
 * phones) does not fetch: the phone asks its user for a 16-digit code,
 * exchanges it once at the activation service for its profile rule, and
 * goes on with that rule, which replaces gds:// in the parameter (so the
 * next resync uses it directly).
 *
 * Here the user's code and the service are status values of the device,
 * set by its host (`prov phone resync|run --activation-code C
 * --activation-service URL`): "activation_code" (16 digits; cleared once
 * the service has answered it either way: a code is single-use) and
 * "activation_service" (an https URL, macros expanded; the real phones
 * have activation.webex.com built in). The exchange:
 *     POST URL  Content-Type: application/x-www-form-urlencoded
 *     code=DIGITS&mac=$MA&serial=$SN&product=$PN
 * over HTTPS with the device's client certificate (its MIC) presented; a
 * 2xx answer's body is the rule (at most BOUND_RULE_TEXT bytes, trailing
 * white space dropped, not gds:// again). Status "activation": "Activated
 * <time>" or "Failed <time>: <reason>".
 */
#ifndef PROV_GDS_H
#define PROV_GDS_H

#include <stddef.h>
#include <stdint.h>
#include "prov/prov.h"

#define GDS_WHY_MAX 160      /* a failure's reason */

struct prov_device;
struct fetch_net;
struct gds_op;

/* 1 when the rule text is the activation rule, gds:// (white space around
 * it allowed). */
int gds_is_rule(const char *rule);

/* Starts the exchange. done is called once (never from in here), with
 * rule (borrowed during the call) on success, else NULL and why. On a
 * failure to start, returns the error with why filled, and done is not
 * called. */
enum prov_err gds_start(struct prov_device *dev, struct fetch_net *net, int64_t wall_s,
			     void (*done)(void *arg, const char *rule, const char *why),
			     void *arg, struct gds_op **out,
			     char why[GDS_WHY_MAX]) PROV_WUR;

/* Stops an exchange under way (done not called). NULL-safe. */
void gds_cancel(struct gds_op *op);

#endif
