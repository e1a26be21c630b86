/*
 * render_int.h: what render.c (routes, variables, rendering, the cache),
 * render_auth.c (HTTP Digest on auth=digest routes) and render_lint.c
 * (template lint) share. Not an interface outside rendering.
 */
#ifndef PROV_SERVER_RENDER_INT_H
#define PROV_SERVER_RENDER_INT_H

#include <stddef.h>

#include "render.h"

struct inv;

/* RENDER_BUSY or RENDER_FAIL after a failed inventory call, the reason in why. */
enum render_status render_dbfail(struct inv *inv, char *why, size_t whylen);

/* Checks the request's Digest credentials (render_auth.c): RENDER_OK,
 * RENDER_AUTH (a challenge in res), RENDER_MISS, RENDER_BUSY / RENDER_FAIL. */
enum render_status render_auth_check(struct inv *inv, const struct render_env *env,
				     struct render_res *res);

#endif
