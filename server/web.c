/*
 * web: the fleet's web page. See web.h.
 */
#include "web.h"

#include "db.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "api.h"
#include "buf.h"
#include "hex.h"
#include "inventory.h"
#include "reportd.h"

/* A page being written: any failure (over WEB_PAGE_MAX, out of memory)
 * sticks and the page becomes a 500. */
struct web {
	struct buf b;
	int fail;
};

__attribute__((format(printf, 2, 3)))
static void
web_add(struct web *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!w->fail && buf_vaddf(&w->b, fmt, ap) != PROV_OK)
		w->fail = 1;
	va_end(ap);
}

/* s, HTML-escaped: the only way a value reaches a page. */
static void
web_esc(struct web *w, const char *s)
{
	for (; s != NULL && *s != '\0' && !w->fail; s++) {
		const char *e = NULL;

		switch (*s) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: break;
		}
		if ((e != NULL ? buf_adds(&w->b, e) : buf_addc(&w->b, *s)) != PROV_OK)
			w->fail = 1;
	}
}

static void
web_time(struct web *w, int64_t ms)
{
	char t[32];
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0) {
		web_add(w, "-");
		return;
	}
	gmtime_r(&s, &tm);
	strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", &tm);
	web_add(w, "%s", t);
}

/* The CSRF value of the forms: HMAC-SHA256(token digest, "prov-ui-csrf"). */
static void
web_csrf(const unsigned char token[32], char hex[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (HMAC(EVP_sha256(), token, 32, (const unsigned char *)"prov-ui-csrf", 12, mac, &n) ==
	    NULL || n != 32)
		memset(mac, 0, sizeof(mac));
	hex_encode(mac, 32, hex);
	OPENSSL_cleanse(mac, sizeof(mac));
}

static void
web_head(struct web *w, const char *title)
{
	web_add(w, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>");
	web_esc(w, title);
	web_add(w, "</title><style>"
		"body{font:14px sans-serif;margin:1em 2em}"
		"table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;"
		"text-align:left}tr.off{color:#999}.bad{color:#b00}.ok{color:#070}"
		"#q{width:24em}</style>"
		"<script src=\"/ui/fleet.js\" defer></script></head><body>"
		"<p><a href=\"/ui/\">Fleet</a></p>");
}

/* ---- the fleet -------------------------------------------------------------- */

struct web_list {
	struct web *w;
	struct inv *inv;
	const char *q;
	unsigned shown, total;
};

/* Whether s holds q (ASCII case-insensitive). */
static int
web_holds(const char *s, const char *q)
{
	size_t n = strlen(q);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, q, n) == 0)
			return 1;
	return n == 0;
}

static void
web_row(void *arg, const struct inv_device *d)
{
	struct web_list *l = arg;
	struct web *w = l->w;
	struct inv_seen seen;

	l->total++;
	if (l->q[0] != '\0' && !web_holds(d->mac, l->q) && !web_holds(d->group, l->q) &&
	    !web_holds(d->product, l->q) && !web_holds(d->serial, l->q))
		return;
	if (inv_device_seen(l->inv, d->mac, &seen) < 0)
		memset(&seen, 0, sizeof(seen));
	l->shown++;
	web_add(w, "<tr class=\"dev%s\"><td><a href=\"/ui/device/%s\">%s</a></td><td>",
		d->enabled ? "" : " off", d->mac, d->mac);
	web_esc(w, d->product);
	web_add(w, "</td><td>");
	web_esc(w, d->group);
	web_add(w, "</td><td>");
	web_esc(w, d->serial);
	web_add(w, "</td><td>%s</td><td>", d->enabled ? "yes" : "no");
	web_time(w, seen.last_ms);
	web_add(w, "</td><td class=\"%s\">", seen.last_status >= 400 ? "bad" : "ok");
	if (seen.last_ms > 0)
		web_add(w, "%d", seen.last_status);
	web_add(w, "</td><td>");
	web_esc(w, seen.user_agent);
	web_add(w, "</td><td>");
	web_esc(w, seen.last_result);
	web_add(w, "</td></tr>\n");
}

static void
web_fleet(struct inv *inv, const char *query, struct web *w, struct web_res *r)
{
	char q[INV_FIELD_MAX] = "";
	struct web_list l = { w, inv, q, 0, 0 };

	if (api_form_get(query, "q", q, sizeof(q)) < 0) {
		r->status = 400;
		return;
	}
	web_head(w, "prov: fleet");
	web_add(w, "<h1>Fleet</h1><form method=\"get\" action=\"/ui/\">"
		"<input id=\"q\" name=\"q\" placeholder=\"MAC, group, product or serial\" value=\"");
	web_esc(w, q);
	web_add(w, "\"> <button>Search</button></form>\n<table id=\"devices\"><thead><tr>"
		"<th>MAC</th><th>Product</th><th>Group</th><th>Serial</th><th>Enabled</th>"
		"<th>Last request (UTC)</th><th>Status</th><th>Firmware</th>"
		"<th>Last resync result</th></tr></thead><tbody>\n");
	if (inv_device_list(inv, NULL, web_row, &l) < 0) {
		r->status = inv_busy(inv) ? 503 : 500;
		return;
	}
	web_add(w, "</tbody></table><p id=\"count\">%u of %u devices</p></body></html>\n",
		l.shown, l.total);
	r->status = 200;
}

/* ---- one device --------------------------------------------------------------- */

static void
web_timeline(struct inv *inv, const char *mac, struct web *w)
{
	struct db_stmt *st = NULL;

	web_add(w, "<h2>Requests</h2><table id=\"requests\"><tr><th>Time (UTC)</th>"
		"<th>Client</th><th>Request</th><th>Status</th><th>User-Agent</th></tr>\n");
	if (db_prepare(inv_db(inv), "SELECT time_ms, client, proto, method, path,"
			       " status, user_agent FROM request WHERE mac = ?1"
			       " ORDER BY time_ms DESC, id DESC LIMIT ?2", &st) ==
	    DB_OK) {
		db_bind_text(st, 1, mac, -1, DB_STATIC);
		db_bind_int(st, 2, WEB_TIMELINE);
		while (db_step(st) == DB_ROW) {
			web_add(w, "<tr><td>");
			web_time(w, db_column_int64(st, 0));
			web_add(w, "</td><td>");
			web_esc(w, (const char *)db_column_text(st, 1));
			web_add(w, "</td><td>");
			web_esc(w, (const char *)db_column_text(st, 2));
			web_add(w, " ");
			web_esc(w, (const char *)db_column_text(st, 3));
			web_add(w, " ");
			web_esc(w, (const char *)db_column_text(st, 4));
			web_add(w, "</td><td>%d</td><td>", db_column_int(st, 5));
			web_esc(w, (const char *)db_column_text(st, 6));
			web_add(w, "</td></tr>\n");
		}
	}
	db_finalize(st);
	st = NULL;
	web_add(w, "</table><h2>Syslog</h2><table id=\"syslog\"><tr><th>Time (UTC)</th>"
		"<th>Severity</th><th>Message</th></tr>\n");
	if (db_prepare(inv_db(inv), "SELECT time_ms, severity, text FROM syslog"
			       " WHERE mac = ?1 ORDER BY time_ms DESC, id DESC LIMIT ?2", &st) == DB_OK) {
		db_bind_text(st, 1, mac, -1, DB_STATIC);
		db_bind_int(st, 2, WEB_TIMELINE);
		while (db_step(st) == DB_ROW) {
			web_add(w, "<tr><td>");
			web_time(w, db_column_int64(st, 0));
			web_add(w, "</td><td>%d</td><td>", db_column_int(st, 1));
			web_esc(w, (const char *)db_column_text(st, 2));
			web_add(w, "</td></tr>\n");
		}
	}
	db_finalize(st);
	web_add(w, "</table>\n");
}

static void
web_drift_row(void *arg, const struct reportd_diff *d)
{
	struct web *w = arg;

	web_add(w, "<tr><th>");
	web_esc(w, d->name);
	web_add(w, "</th>");
	if (d->secret) {
		web_add(w, "<td colspan=\"2\"><i>(secret differs)</i></td></tr>");
		return;
	}
	web_add(w, "<td>");
	web_esc(w, d->server);
	web_add(w, "</td><td>");
	if (d->device != NULL)
		web_esc(w, d->device);
	else
		web_add(w, "<i>(not reported)</i>");
	web_add(w, "</td></tr>");
}

/* What the device's last report differs in from its rendering now
 * (prov device drift): the device's own page only, since it renders. */
static void
web_drift(struct inv *inv, const char *db, const char *mac, struct web *w)
{
	struct reportd_last last;
	char why[256];
	long n;

	web_add(w, "<h2>Drift</h2>");
	if (db == NULL) {
		web_add(w, "<p id=\"drift\">unknown</p>\n");
		return;
	}
	web_add(w, "<table id=\"drift\"><tr><th>Parameter</th><th>Server</th><th>Device</th></tr>");
	n = reportd_drift(inv, db, mac, NULL, &last, web_drift_row, w, why, sizeof(why));
	web_add(w, "</table>\n<p id=\"drift-summary\">");
	if (n < 0)
		web_esc(w, why);
	else {
		web_add(w, "%ld parameter%s differ%s from the report of ", n, n == 1 ? "" : "s",
			n == 1 ? "s" : "");
		web_time(w, last.time_ms);
		web_add(w, " UTC");
	}
	web_add(w, "</p>\n");
}

static void
web_device(struct inv *inv, const char *db, const unsigned char token[32], const char *macarg,
	   struct web *w, struct web_res *r)
{
	struct inv_device d;
	struct inv_vars vs = { NULL, 0 };
	char mac[13], csrf[65];
	int got;

	if (inv_mac_parse(macarg, mac) < 0) {
		r->status = 404;
		return;
	}
	got = inv_device_get(inv, mac, &d);
	OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
	if (got <= 0 || inv_vars_get(inv, INV_DEVICE, mac, &vs) < 0) {
		r->status = got == 0 ? 404 : inv_busy(inv) ? 503 : 500;
		return;
	}
	web_head(w, mac);
	web_add(w, "<h1 id=\"mac\">%s</h1><table id=\"fields\">", mac);
	web_add(w, "<tr><th>Product</th><td>");
	web_esc(w, d.product);
	web_add(w, "</td></tr><tr><th>Group</th><td>");
	web_esc(w, d.group);
	web_add(w, "</td></tr><tr><th>Serial</th><td>");
	web_esc(w, d.serial);
	web_add(w, "</td></tr><tr><th>Enabled</th><td id=\"enabled\">%s</td></tr>"
		"<tr><th>Notes</th><td>", d.enabled ? "yes" : "no");
	web_esc(w, d.notes);
	web_add(w, "</td></tr><tr><th>Key</th><td>%u</td></tr></table>\n", d.key_id);
	web_csrf(token, csrf);
	web_add(w, "<form method=\"post\" action=\"/ui/device/%s\"><input type=\"hidden\""
		" name=\"csrf\" value=\"%s\"><input type=\"hidden\" name=\"action\" value=\"%s\">"
		"<button id=\"toggle\">%s</button></form>\n", mac, csrf,
		d.enabled ? "disable" : "enable", d.enabled ? "Disable" : "Enable");
	OPENSSL_cleanse(csrf, sizeof(csrf));
	web_add(w, "<h2>Variables</h2><table id=\"vars\">");
	for (size_t i = 0; i < vs.n; i++) {
		web_add(w, "<tr><th>");
		web_esc(w, vs.v[i].name);
		web_add(w, "</th><td>");
		if (inv_var_is_secret(&vs.v[i]))
			web_add(w, "<i>(secret)</i>");
		else
			web_esc(w, vs.v[i].value);
		web_add(w, "</td></tr>");
	}
	inv_vars_free(&vs);
	web_add(w, "</table>\n");
	web_drift(inv, db, mac, w);
	web_timeline(inv, mac, w);
	web_add(w, "</body></html>\n");
	r->status = 200;
}

/* POST /ui/device/MAC: enable or disable, with the form's CSRF value. */
static void
web_device_post(struct inv *inv, const unsigned char token[32], const char *macarg,
		const char *form, struct web_res *r)
{
	struct inv_device d;
	char mac[13], csrf[65], got_csrf[80], action[16];
	int found, ok;

	web_csrf(token, csrf);
	ok = api_form_get(form, "csrf", got_csrf, sizeof(got_csrf)) == 1 &&
	    strlen(got_csrf) == 64 && CRYPTO_memcmp(got_csrf, csrf, 64) == 0;
	OPENSSL_cleanse(csrf, sizeof(csrf));
	if (!ok) {
		r->status = 403;
		return;
	}
	if (inv_mac_parse(macarg, mac) < 0 ||
	    api_form_get(form, "action", action, sizeof(action)) != 1 ||
	    (strcmp(action, "enable") != 0 && strcmp(action, "disable") != 0)) {
		r->status = 400;
		return;
	}
	if (inv_begin(inv) < 0) {
		r->status = 503;
		return;
	}
	found = inv_device_get(inv, mac, &d);
	if (found <= 0) {
		inv_rollback(inv);
		r->status = found == 0 ? 404 : 500;
		return;
	}
	d.enabled = strcmp(action, "enable") == 0;
	if (inv_device_update(inv, &d) < 0 || inv_commit(inv) < 0) {
		inv_rollback(inv);
		r->status = inv_busy(inv) ? 503 : 500;
	} else {
		r->status = 303;
		snprintf(r->extra, sizeof(r->extra), "Location: /ui/device/%s\r\n", mac);
	}
	OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
}

/* The page's script: the search box filters the rows as one types. */
static const char web_js[] =
"document.addEventListener('DOMContentLoaded', function () {\n"
"  var q = document.getElementById('q'), rows = document.querySelectorAll('tr.dev');\n"
"  var count = document.getElementById('count');\n"
"  if (!q) return;\n"
"  q.addEventListener('input', function () {\n"
"    var t = q.value.toLowerCase(), n = 0;\n"
"    rows.forEach(function (r) {\n"
"      var show = r.textContent.toLowerCase().indexOf(t) >= 0;\n"
"      r.hidden = !show; if (show) n++;\n"
"    });\n"
"    count.textContent = n + ' of ' + rows.length + ' devices';\n"
"  });\n"
"});\n";

void
web_handle(struct inv *inv, const char *db, const unsigned char token[32], const char *method,
	   const char *path, const char *query, const char *form, struct web_res *r)
{
	struct web w;
	const char *rest = path + strlen(WEB_PREFIX);

	memset(r, 0, sizeof(*r));
	memset(&w, 0, sizeof(w));
	if (strcmp(method, "HEAD") == 0)
		method = "GET"; /* the listener sends the head alone */
	buf_init(&w.b, WEB_PAGE_MAX);
	r->ctype = "text/html; charset=utf-8";
	if (strcmp(rest, "fleet.js") == 0 && strcmp(method, "GET") == 0) {
		r->ctype = "text/javascript";
		web_add(&w, "%s", web_js);
		r->status = 200;
	} else if (inv == NULL) {
		r->status = 503;
	} else if (rest[0] == '\0' && strcmp(method, "GET") == 0) {
		web_fleet(inv, query, &w, r);
	} else if (strncmp(rest, "device/", 7) == 0 && strcmp(method, "GET") == 0) {
		web_device(inv, db, token, rest + 7, &w, r);
	} else if (strncmp(rest, "device/", 7) == 0 && strcmp(method, "POST") == 0) {
		web_device_post(inv, token, rest + 7, form, r);
	} else {
		r->status = 404;
	}
	if (w.fail)
		r->status = 500;
	if (r->status == 200) {
		r->len = w.b.len;
		r->body = buf_take(&w.b);
	}
	buf_free(&w.b);
	if (r->status != 200 && r->status != 303) {
		char msg[64];
		int n = snprintf(msg, sizeof(msg), "%d\n", r->status);

		r->ctype = "text/plain";
		r->body = strdup(msg);
		r->len = r->body != NULL ? (size_t)n : 0;
	}
}
