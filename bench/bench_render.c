/*
 * bench_render: what rendering a per-device profile costs (issue 13,
 * "Performance"; bench/README.md). A device with 20 variables, its group,
 * product and global ones, and a template of about 40 KB with 1,000
 * parameter elements, each holding one macro, in a fresh SQLite inventory:
 *
 *   (a) prov_macro_expand alone, XML-escaped, against the variables
 *       already in memory (the expansion)
 *   (b) render_device: the inventory reads (device, four scopes of
 *       variables, key, template) and (a)
 *   (c) render_path on a gzip + encrypt=openssl route, the inventory
 *       changed since the last one (a global variable written, untimed):
 *       the serial read, (b), then gzip and AES-256-CBC with the
 *       device's key: what the server sends for a profile not yet cached
 *   (d) render_path again, nothing changed: the worker's cached response
 *   (e) render_path on a plain route (no gzip, no encryption) for a device
 *       not rendered since the last change (iterations + warm-up devices,
 *       each with its 20 variables, one per iteration): the first fetch
 *       of each phone after a change, the per-device cost of a render
 *
 * Values hold no character to escape (the common case; one that does
 * costs a copy).
 *
 * run round-robin, each iteration timed alone; medians in microseconds.
 *
 * usage: bench_render [ITERATIONS]   (default 2000)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "prov/prov.h"

#include "inventory.h"
#include "render.h"

#define BENCH_ITER 2000      /* default iterations */
#define BENCH_WARMUP 50      /* untimed iterations first */
#define BENCH_PARAMS 1000    /* parameter elements in the template */
#define BENCH_VARS 20        /* device variables */

static double
bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static const char *
bench_lookup(void *arg, const char *name, size_t n, size_t *vlen)
{
	static const char value[] = "a value of 24 bytes here";

	(void)arg;
	if (n >= 2 && name[0] == 'V') {
		*vlen = sizeof(value) - 1;
		return value;
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	unsigned iter = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : BENCH_ITER;
	char dir[] = "/tmp/bench_render.XXXXXX", url[64], why[512], name[16], val[32];
	static char *routes[] = { "/e/$MA.cfg template=$PN gzip encrypt=openssl",
				  "/p/$MA.xml template=$PN" };
	char ppath[32];
	struct render_env env = { "127.0.0.1", "80", "http", NULL, NULL };
	struct inv_device d;
	struct inv *inv;
	struct render_res res;
	double *t[5];
	char *tpl, *out;
	size_t len = 0, olen;
	char msg[256];

	if (iter == 0 || mkdtemp(dir) == NULL)
		return 2;
	snprintf(url, sizeof(url), "sqlite:%s/inv.db", dir);
	if (inv_open(&inv, url, 0, why, sizeof(why)) != 0) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	tpl = malloc(64 * BENCH_PARAMS + 64);
	len = (size_t)sprintf(tpl, "<flat-profile>\n");
	for (unsigned i = 0; i < BENCH_PARAMS; i++)
		len += (size_t)sprintf(tpl + len, "<GPP_%c>prefix-$V%u-suffix-%05u</GPP_%c>\n",
				       'A' + i % 16, i % BENCH_VARS, i, 'A' + i % 16);
	len += (size_t)sprintf(tpl + len, "</flat-profile>\n");
	memset(&d, 0, sizeof(d));
	strcpy(d.mac, "001122334455");
	strcpy(d.product, "CP-8841-3PCC");
	strcpy(d.group, "sales");
	d.enabled = 1;
	if (inv_device_add(inv, &d) < 0 || inv_template_put(inv, "CP-8841-3PCC", tpl, len) < 0)
		goto fail;
	for (unsigned i = 0; i < BENCH_VARS; i++) {
		snprintf(name, sizeof(name), "V%u", i);
		snprintf(val, sizeof(val), "value %u of some length", i);
		if (inv_var_set(inv, INV_DEVICE, d.mac, name, val) < 0 ||
		    inv_var_set(inv, INV_GROUP, "sales", name, val) < 0 ||
		    inv_var_set(inv, INV_PRODUCT, d.product, name, val) < 0 ||
		    inv_var_set(inv, INV_GLOBAL, "", name, val) < 0)
			goto fail;
	}
	/* (e)'s devices: 2000 + i, as many as iterations. */
	if (inv_begin(inv) < 0)
		goto fail;
	for (unsigned i = 0; i < iter + BENCH_WARMUP; i++) {
		struct inv_device e = d;

		snprintf(e.mac, sizeof(e.mac), "0011%08x", 0x20000000u + i);
		if (inv_device_add(inv, &e) < 0)
			goto fail;
		for (unsigned k = 0; k < BENCH_VARS; k++) {
			snprintf(name, sizeof(name), "V%u", k);
			snprintf(val, sizeof(val), "value %u of device %u", k, i);
			if (inv_var_set(inv, INV_DEVICE, e.mac, name, val) < 0)
				goto fail;
		}
	}
	if (inv_commit(inv) < 0)
		goto fail;
	for (int k = 0; k < 5; k++)
		t[k] = calloc(iter, sizeof(double));
	for (unsigned i = 0; i < iter + BENCH_WARMUP; i++) {
		double t0 = bench_now_us(), t1, tb, t2, t3, t4, t5;

		if (prov_macro_expand(tpl, len, 0, PROV_MACRO_XML | PROV_MACRO_USCORE, bench_lookup,
				      NULL, &out, &olen, msg, sizeof(msg)) != PROV_OK)
			return 1;
		free(out);
		t1 = bench_now_us();
		if (render_device(inv, d.mac, "$PN", &env, &out, &olen, why, sizeof(why)) !=
		    RENDER_OK)
			goto fail;
		free(out);
		tb = bench_now_us();
		snprintf(val, sizeof(val), "%u", i);
		if (inv_var_set(inv, INV_GLOBAL, "", "TICK", val) < 0)
			goto fail;
		t2 = bench_now_us();
		if (render_path(inv, routes, 1, "/e/001122334455.cfg", 19, &env, &res) !=
		    RENDER_OK)
			goto fail;
		free(res.body);
		t3 = bench_now_us();
		if (render_path(inv, routes, 1, "/e/001122334455.cfg", 19, &env, &res) !=
		    RENDER_OK)
			goto fail;
		free(res.body);
		t4 = bench_now_us();
		snprintf(ppath, sizeof(ppath), "/p/0011%08x.xml", 0x20000000u + i);
		if (render_path(inv, routes, 2, ppath, strlen(ppath), &env, &res) != RENDER_OK)
			goto fail;
		free(res.body);
		t5 = bench_now_us();
		if (i >= BENCH_WARMUP) {
			t[0][i - BENCH_WARMUP] = t1 - t0;
			t[1][i - BENCH_WARMUP] = tb - t1;
			t[2][i - BENCH_WARMUP] = t3 - t2;
			t[3][i - BENCH_WARMUP] = t4 - t3;
			t[4][i - BENCH_WARMUP] = t5 - t4;
		}
	}
	for (int k = 0; k < 5; k++)
		qsort(t[k], iter, sizeof(double), bench_cmp);
	printf("template %zu bytes, %u elements, %u iterations (medians)\n\n", len,
	       BENCH_PARAMS, iter);
	printf("| step | median us |\n|---|---:|\n");
	printf("| (a) prov_macro_expand, XML-escaped | %.1f |\n", t[0][iter / 2]);
	printf("| (b) render_device: inventory reads + (a) | %.1f |\n", t[1][iter / 2]);
	printf("| (c) render_path, inventory changed: (b) + gzip + AES-256-CBC | %.1f |\n",
	       t[2][iter / 2]);
	printf("| (d) render_path, unchanged: the cached response | %.1f |\n", t[3][iter / 2]);
	printf("| (e) render_path, plain route, a device not yet rendered since the change |"
	       " %.1f |\n", t[4][iter / 2]);
	inv_close(inv);
	unlink(url + 7);
	rmdir(dir);
	return 0;
fail:
	fprintf(stderr, "bench_render: %s%s\n", inv_errmsg(inv), why);
	return 1;
}
