/*
 * admin_page: the admin page's responses and pages: status line and
 * headers, the HTML frame, /admin/resync, /admin/reboot, /admin/upgrade
 * and /admin/advanced (the parameter table, read and written by role).
 */
#define _GNU_SOURCE /* accept4 */
#include "admin.h"
#include "admin_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <http_parser.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <expat.h>

#include "digest.h"
#include "hex.h"
#include "hostport.h"
#include "http_parse.h"
#include "loop.h"
#include "clock.h"

/* ---- responses ---------------------------------------------------------------------- */

/* An authenticated request that another site made the browser send
 * (admin_same_origin): refused, and logged, for it is an attack. */
void
admin_refuse_foreign(struct conn *c, const char *path)
{
	admin_log("refused %s %s: sent from another site",
		  http_method_str((enum http_method)c->req.method), path);
	admin_respond_text(c, 403, "", "Refused: the request came from another site.");
}

/* Writes the whole response: status line, the common headers, extra
 * (complete header lines or ""), and body. */
void
admin_respond(struct conn *c, int status, const char *ctype, const char *extra,
	const char *body, size_t bodylen)
{
	struct obuf *o = &c->out;

	admin_obuf_printf(o, "HTTP/1.1 %d %s\r\n", status, http_status_text(status));
	admin_obuf_printf(o, "Content-Type: %s\r\nContent-Length: %zu\r\n", ctype, bodylen);
	admin_obuf_str(o, "Connection: close\r\n"
		    "Cache-Control: no-store\r\n"
		    "X-Content-Type-Options: nosniff\r\n"
		    "X-Frame-Options: DENY\r\n"
		    "Referrer-Policy: same-origin\r\n"
		    "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; "
		    "form-action 'self'; frame-ancestors 'none'\r\n");
	admin_obuf_str(o, extra);
	admin_obuf_str(o, "\r\n");
	if (c->req.method != HTTP_HEAD)
		admin_obuf_add(o, body, bodylen);
	if (o->toobig) { /* never a cut answer: a short error instead */
		static const char fail[] = "HTTP/1.1 500 Internal Server Error\r\n"
			"Content-Length: 0\r\nConnection: close\r\n\r\n";

		/* The 100 Continue, sent or not, stays. */
		size_t keep = c->continued ? strlen(ADMIN_CONTINUE) : 0;

		o->b.len = keep < o->b.len ? keep : o->b.len;
		if (o->b.p != NULL)
			o->b.p[o->b.len] = '\0';
		o->toobig = 0;
		admin_obuf_add(o, fail, sizeof(fail) - 1);
	}
	c->writing = 1;
}

void
admin_respond_text(struct conn *c, int status, const char *extra, const char *text)
{
	struct obuf b = { 0 };

	admin_obuf_str(&b, text);
	admin_obuf_str(&b, "\n");
	if (b.toobig)
		admin_respond(c, 500, "text/plain; charset=utf-8", "", "", 0);
	else
		admin_respond(c, status, "text/plain; charset=utf-8", extra, b.b.p, b.b.len);
	buf_free(&b.b);
}

void
admin_respond_challenge(struct conn *c, int stale)
{
	char nonce[DIGEST_NONCE_LEN + 1];
	struct obuf h = { 0 };

	if (digest_nonce_make(c->a->key, sizeof(c->a->key), clock_mono_ms(), nonce) != 0)
		nonce[0] = '\0';
	admin_obuf_printf(&h, "WWW-Authenticate: Digest realm=\"%s\", qop=\"auth\", "
		    "algorithm=SHA-256, nonce=\"%s\"%s\r\n", ADMIN_REALM, nonce,
		    stale ? ", stale=true" : "");
	admin_obuf_printf(&h, "WWW-Authenticate: Digest realm=\"%s\", qop=\"auth\", "
		    "algorithm=MD5, nonce=\"%s\"%s\r\n", ADMIN_REALM, nonce,
		    stale ? ", stale=true" : "");
	admin_obuf_printf(&h, "WWW-Authenticate: Basic realm=\"%s\", charset=\"UTF-8\"\r\n",
		    ADMIN_REALM);
	admin_respond_text(c, 401, h.toobig ? "" : h.b.p, "Authentication required: user admin "
		     "and the Admin_Password.");
	buf_free(&h.b);
}

/* The head of every HTML page. */
static void
html_open(struct obuf *b, const char *title)
{
	admin_obuf_str(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
	admin_obuf_html(b, title);
	admin_obuf_str(b, "</title>\n<style>\n"
		    "body{font:14px/1.4 sans-serif;margin:0;background:#f4f5f7;color:#222}\n"
		    "header{background:#1f4e79;color:#fff;padding:.6em 1em}\n"
		    "header h1{font-size:1.2em;margin:0}\n"
		    "nav a{color:#fff;margin-right:1em}\n"
		    "main{padding:1em;max-width:70em}\n"
		    "h2{font-size:1.1em;border-bottom:2px solid #1f4e79;margin-top:1.5em}\n"
		    "fieldset{background:#fff;border:1px solid #ccd;margin:.8em 0}\n"
		    "legend{font-weight:bold}\n"
		    "table{border-collapse:collapse;width:100%}\n"
		    "th{text-align:left;font-weight:normal;width:40%;padding:.2em .5em}\n"
		    "td{padding:.2em .5em}\n"
		    "input[type=text],input[type=password]{width:95%}\n"
		    "input[readonly]{background:#eee}\n"
		    ".msg{padding:.5em;border:1px solid}\n"
		    ".ok{background:#e6f4e6;border-color:#393}\n"
		    ".err{background:#fbe9e9;border-color:#c33}\n"
		    ".note{color:#555}\n"
		    "</style></head><body>\n");
}

static void
html_close(struct obuf *b)
{
	admin_obuf_str(b, "</body></html>\n");
}

static void
respond_html(struct conn *c, int status, const char *extra, struct obuf *b)
{
	if (b->toobig)
		admin_respond_text(c, 500, "", "page too large");
	else
		admin_respond(c, status, "text/html; charset=utf-8", extra, b->b.p, b->b.len);
}

/* While Admin_Password is empty: every request gets this, nothing more. */
void
admin_page_setup(struct conn *c)
{
	struct obuf b = { 0 };

	html_open(&b, "Set the admin password");
	admin_obuf_str(&b, "<header><h1>Phone administration</h1></header><main>\n"
		     "<p class=\"msg err\" id=\"setup\">The admin password is not set, so this "
		     "interface changes nothing. Set it on the phone with:</p>\n<pre>prov phone "
		     "set --state ");
	admin_obuf_html(&b, c->a->ops.state_dir != NULL ? c->a->ops.state_dir : "DIR");
	admin_obuf_str(&b, " Admin_Password=...</pre>\n<p>then reload this page and log in as "
		     "<b>admin</b>.</p></main>\n");
	html_close(&b);
	respond_html(c, 403, "", &b);
	buf_free(&b.b);
}

/* ---- /admin/resync, /admin/reboot --------------------------------------------------- */

static struct prov_engine *
admin_engine(struct admin *a)
{
	return a->ops.engine(a->ops.arg);
}

static void
admin_changed(struct admin *a)
{
	if (a->ops.changed != NULL)
		a->ops.changed(a->ops.arg);
}

/* rule with the inside of every [...] (the options: --key is a secret)
 * shown as "...", for logs and answers. */
void
admin_rule_masked(const char *rule, char *out, size_t outsize)
{
	size_t o = 0;
	int in = 0;

	for (; *rule && o + 4 < outsize; rule++) {
		if (*rule == ']')
			in = 0;
		if (in)
			continue;
		out[o++] = *rule;
		if (*rule == '[') {
			memcpy(out + o, "...", 3);
			o += 3;
			in = 1;
		}
	}
	out[o] = '\0';
}

/* Starts an explicit resync of rule (NULL: the configured rules) and says
 * what happened in why; returns the HTTP status. D-TRG-4: no triggers;
 * Provision_Enable = No refuses. */
int
admin_resync_start(struct admin *a, const char *rule, char *why, size_t whylen)
{
	struct prov_engine *eng = admin_engine(a);
	enum prov_err rc = eng != NULL ? prov_engine_resync(eng, rule) : PROV_E_BUSY;
	char shown[ADMIN_EXEC_URL_MAX + 1];

	switch (rc) {
	case PROV_OK:
		if (rule != NULL)
			admin_rule_masked(rule, shown, sizeof(shown));
		else
			snprintf(shown, sizeof(shown), "the configured profile rules");
		admin_log("resync started: %s", shown);
		admin_changed(a);
		snprintf(why, whylen, "Resync started: %s", shown);
		return 200;
	case PROV_E_BUSY:
		snprintf(why, whylen, "Resync refused: a resync is already running.");
		return 503;
	case PROV_E_DENIED:
		snprintf(why, whylen, "Resync refused: provisioning is disabled "
			 "(Provision_Enable = No).");
		return 403;
	default:
		snprintf(why, whylen, "Resync refused: %s: %s", prov_strerror(rc),
			 prov_device_errmsg(a->dev));
		return 500;
	}
}

void
admin_page_resync(struct conn *c, const char *query)
{
	char rule[ADMIN_URL_MAX + 1], why[ADMIN_URL_MAX + 128];
	int status;

	if (query != NULL && query[0] != '\0' &&
	    admin_decode(query, strlen(query), 0, rule, sizeof(rule)) < 0) {
		admin_respond_text(c, 400, "", "Resync refused: the rule is not well URL-encoded.");
		return;
	}
	status = admin_resync_start(c->a, query != NULL && query[0] != '\0' ? rule : NULL, why,
			      sizeof(why));
	admin_respond_text(c, status, "", why);
}

/* /admin/upgrade?URL (D-TRG-1, D-UPG-1): the URL (or an upgrade rule)
 * URL-encoded; checked and downloaded now, outside the schedule. */
void
admin_page_upgrade(struct conn *c, const char *query)
{
	char rule[ADMIN_URL_MAX + 1], why[ADMIN_URL_MAX + 128];
	struct prov_engine *eng;
	char *check = NULL;
	enum prov_err rc;
	int status;

	if (query == NULL || query[0] == '\0') {
		admin_respond_text(c, 400, "", "Upgrade refused: give the image URL: /admin/upgrade?URL");
		return;
	}
	if (admin_decode(query, strlen(query), 0, rule, sizeof(rule)) < 0) {
		admin_respond_text(c, 400, "", "Upgrade refused: the URL is not well URL-encoded.");
		return;
	}
	eng = admin_engine(c->a);
	rc = eng != NULL ? prov_engine_upgrade(eng, rule) : PROV_E_BUSY;
	if (rc == PROV_OK) {
		admin_log("upgrade started: %s", rule);
		admin_changed(c->a);
		snprintf(why, sizeof(why), "Upgrade started: %s", rule);
		status = 200;
	} else if (rc == PROV_E_BUSY) {
		snprintf(why, sizeof(why), "Upgrade refused: a resync or upgrade is running.");
		status = 503;
	} else if (rc == PROV_E_DENIED) {
		if (prov_device_status_get(c->a->dev, "upgrade_check", &check) != PROV_OK)
			check = NULL;
		snprintf(why, sizeof(why), "No upgrade: %s", check != NULL ? check : "refused");
		free(check);
		status = 409;
	} else {
		snprintf(why, sizeof(why), "Upgrade refused: %s", prov_strerror(rc));
		status = 400;
	}
	admin_respond_text(c, status, "", why);
}

void
admin_page_reboot(struct conn *c)
{
	struct admin *a = c->a;

	if (prov_device_reboot_record(a->dev, "User Triggered", clock_local_s()) != PROV_OK)
		admin_log("cannot record the reboot reason: %s", prov_device_errmsg(a->dev));
	if (a->ops.reboot == NULL || a->ops.reboot(a->ops.arg) != 0) {
		admin_respond_text(c, 500, "", "Reboot failed.");
		return;
	}
	admin_log("reboot (User Triggered)");
	admin_respond_text(c, 200, "", "Rebooting.");
}

/* ---- /admin/advanced ------------------------------------------------------------------- */

/* The page shows a parameter to role at all; *ro: read-only. */
static int
param_visible(struct admin *a, const char *name, enum admin_role role, int *ro)
{
	enum prov_ua ua = PROV_UA_NA;

	*ro = 0;
	if (prov_device_get_ua(a->dev, name, &ua) != PROV_OK)
		return 0; /* also a line or key the product does not have */
	if (role == ROLE_ADMIN)
		return 1; /* D-PAR-1: ua never restricts the admin */
	if (ua == PROV_UA_NA)
		return 0;
	*ro = ua == PROV_UA_RO;
	return 1;
}

/* "Resync_At__HHmm_" -> "Resync At HHmm": the XML name read back as a label. */
static void
param_label(const char *name, char *out, size_t outsize)
{
	size_t o = 0;

	for (; *name && o + 1 < outsize; name++) {
		if (*name == '_') {
			if (o > 0 && out[o - 1] != ' ')
				out[o++] = ' ';
		} else {
			out[o++] = *name;
		}
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* The tab of a group "Tab/Section", into tab. */
static void
group_tab(const char *group, char *tab, size_t tabsize)
{
	const char *slash = strchr(group, '/');
	size_t n = slash != NULL ? (size_t)(slash - group) : strlen(group);

	snprintf(tab, tabsize, "%.*s", (int)n, group);
}

static const char *
group_section(const char *group)
{
	const char *slash = strchr(group, '/');

	return slash != NULL ? slash + 1 : "Lines";
}

static void
status_row(struct obuf *b, const char *id, const char *label, const char *value)
{
	admin_obuf_printf(b, "<tr><th>%s</th><td id=\"st-%s\">", label, id);
	admin_obuf_html(b, value);
	admin_obuf_str(b, "</td></tr>\n");
}

static void
status_key_row(struct admin *a, struct obuf *b, const char *key, const char *label,
	       const char *none)
{
	char *v = NULL;

	if (prov_device_status_get(a->dev, key, &v) != PROV_OK || v == NULL) {
		free(v);
		v = NULL;
	}
	status_row(b, key, label, v != NULL && v[0] != '\0' ? v : none);
	free(v);
}

/* Info > Status (D-STA-1). */
static void
page_status(struct admin *a, struct obuf *b)
{
	static const char *const rules[] = { "rule_A", "rule_B", "rule_C", "rule_D", "rule_X" };
	struct prov_engine *eng = admin_engine(a);
	char *v = NULL;

	admin_obuf_str(b, "<h2 id=\"info-status\">Info &gt; Status</h2>\n"
		    "<fieldset><legend>Provisioning Status</legend><table>\n");
	status_key_row(a, b, "last_resync_time", "Last Resync", "never");
	status_key_row(a, b, "last_resync_result", "Result", "none");
	status_key_row(a, b, "last_resync_err", "$ERR", "");
	status_row(b, "next", "Next Resync", eng != NULL ? prov_engine_next(eng) : "");
	status_row(b, "running", "Resync Running",
		   eng != NULL && prov_engine_running(eng) ? "Yes" : "No");
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		char label[32];

		if (prov_device_status_get(a->dev, rules[i], &v) == PROV_OK && v != NULL &&
		    v[0] != '\0') {
			snprintf(label, sizeof(label), "Rule %c", rules[i][5]);
			status_row(b, rules[i], label, v);
		}
		free(v);
		v = NULL;
	}
	admin_obuf_str(b, "</table></fieldset>\n<fieldset><legend>Custom CA Status</legend><table>\n");
	status_key_row(a, b, "custom_ca", "Custom CA", "Not Installed (no Custom_CA_Rule "
		       "result recorded)");
	admin_obuf_str(b, "</table></fieldset>\n<fieldset><legend>MIC Cert Refresh Status</legend>"
		    "<table>\n");
	status_key_row(a, b, "mic", "MIC Cert Refresh Status",
		       "Not Installed (renewal off or not yet attempted)");
	admin_obuf_str(b, "</table></fieldset>\n<fieldset><legend>Reboot History</legend>"
		    "<ol id=\"reboots\">\n");
	if (prov_device_status_get(a->dev, "reboot_reasons", &v) == PROV_OK && v != NULL) {
		for (char *line = v, *nl; line != NULL && *line; line = nl) {
			nl = strchr(line, '\n');
			if (nl != NULL)
				*nl++ = '\0';
			admin_obuf_str(b, "<li>");
			admin_obuf_html(b, line);
			admin_obuf_str(b, "</li>\n");
		}
	}
	free(v);
	admin_obuf_str(b, "</ol></fieldset>\n");
	if (prov_device_unknown_count(a->dev) > 0) {
		admin_obuf_str(b, "<fieldset><legend>Unknown Parameters in Profiles</legend><p "
			    "id=\"unknown\">");
		for (size_t i = 0; i < prov_device_unknown_count(a->dev); i++) {
			const char *n = prov_device_unknown_name(a->dev, i);

			admin_obuf_str(b, i ? ", " : "");
			admin_obuf_html(b, n != NULL ? n : "");
		}
		admin_obuf_str(b, "</p></fieldset>\n");
	}
}

static void
param_row(struct admin *a, struct obuf *b, const char *name, int ro)
{
	char label[128], *v = NULL;
	int secret = prov_param_is_secret(name);

	if (prov_device_get(a->dev, name, 0, &v) != PROV_OK) { /* secrets masked */
		free(v);
		return;
	}
	param_label(name, label, sizeof(label));
	admin_obuf_printf(b, "<tr><th><label for=\"p-%s\">", name);
	admin_obuf_html(b, label);
	admin_obuf_str(b, "</label></th><td>");
	if (secret) {
		/* D-PAR-5: the value never goes to the browser; empty = unchanged. */
		admin_obuf_printf(b, "<input type=\"password\" id=\"p-%s\" name=\"%s\" value=\"\" "
			    "autocomplete=\"new-password\" placeholder=\"%s\"%s>", name, name,
			    v[0] != '\0' ? "******** (set; empty keeps it)" : "(not set)",
			    ro ? " readonly" : "");
		if (v[0] != '\0' && !ro)
			admin_obuf_printf(b, " <label><input type=\"checkbox\" name=\"clear\" "
				    "value=\"%s\"> clear</label>", name);
	} else {
		admin_obuf_printf(b, "<input type=\"text\" id=\"p-%s\" name=\"%s\" value=\"", name, name);
		admin_obuf_html(b, v);
		admin_obuf_printf(b, "\"%s>", ro ? " readonly" : "");
	}
	admin_obuf_str(b, "</td></tr>\n");
	free(v);
}

/* The page: identity, a message (ok or error), the parameters as a form
 * grouped Tab > Section in table order, and Info > Status. */
static void
page_advanced(struct conn *c, enum admin_role role, const char *sid, int status,
	      const char *ok, const char *err, const char *cookie_hdr)
{
	struct admin *a = c->a;
	struct obuf b = { 0 };
	size_t np = prov_param_count();
	char token[ADMIN_TOKEN_LEN + 1], tabs[ADMIN_PAGE_TABS][ADMIN_GROUP_MAX];
	size_t ntabs = 0;

	admin_csrf_token(a, role, sid, token);
	html_open(&b, "Phone administration: advanced");
	admin_obuf_str(&b, "<header><h1>");
	admin_obuf_html(&b, prov_device_identity(a->dev, "PN"));
	admin_obuf_str(&b, " ");
	admin_obuf_html(&b, prov_device_identity(a->dev, "MAC"));
	admin_obuf_str(&b, " &middot; ");
	admin_obuf_html(&b, prov_device_identity(a->dev, "SWVER"));
	admin_obuf_printf(&b, "</h1><nav>Logged in as <b id=\"who\">%s</b> &middot; ",
		    admin_role_user(role));
	/* The tabs, in table order. */
	for (size_t i = 0; i < np && ntabs < ADMIN_PAGE_TABS; i++) {
		const char *g = prov_param_group(prov_param_name(i));
		char tab[ADMIN_GROUP_MAX];
		size_t k;

		if (g == NULL)
			continue;
		group_tab(g, tab, sizeof(tab));
		for (k = 0; k < ntabs && strcmp(tabs[k], tab) != 0; k++)
			;
		if (k == ntabs)
			snprintf(tabs[ntabs++], sizeof(tabs[0]), "%s", tab);
	}
	for (size_t k = 0; k < ntabs; k++) {
		admin_obuf_printf(&b, "<a href=\"#tab-%zu\">Voice &gt; ", k);
		admin_obuf_html(&b, tabs[k]);
		admin_obuf_str(&b, "</a>");
	}
	admin_obuf_str(&b, "<a href=\"#info-status\">Info &gt; Status</a></nav></header><main>\n");
	if (ok != NULL) {
		admin_obuf_str(&b, "<p class=\"msg ok\" id=\"msg\">");
		admin_obuf_html(&b, ok);
		admin_obuf_str(&b, "</p>\n");
	}
	if (err != NULL) {
		admin_obuf_str(&b, "<p class=\"msg err\" id=\"error\">");
		admin_obuf_html(&b, err);
		admin_obuf_str(&b, "</p>\n");
	}
	admin_obuf_str(&b, "<form method=\"post\" action=\"/admin/advanced\" id=\"params\">\n");
	admin_obuf_printf(&b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">\n", token);
	for (size_t k = 0; k < ntabs; k++) {
		char done[ADMIN_PAGE_SECTIONS][ADMIN_GROUP_MAX];
		size_t ndone = 0;

		admin_obuf_printf(&b, "<h2 id=\"tab-%zu\">Voice &gt; ", k);
		admin_obuf_html(&b, tabs[k]);
		admin_obuf_str(&b, "</h2>\n");
		/* Each section of this tab once, its parameters in table order. */
		for (size_t i = 0; i < np; i++) {
			const char *g = prov_param_group(prov_param_name(i)), *sec;
			char tab[ADMIN_GROUP_MAX];
			size_t d, rows = 0;
			int ro;

			if (g == NULL)
				continue;
			group_tab(g, tab, sizeof(tab));
			sec = group_section(g);
			if (strcmp(tab, tabs[k]) != 0)
				continue;
			for (d = 0; d < ndone && strcmp(done[d], sec) != 0; d++)
				;
			if (d < ndone || ndone == ADMIN_PAGE_SECTIONS)
				continue;
			snprintf(done[ndone++], sizeof(done[0]), "%s", sec);
			for (size_t j = i; j < np; j++) {
				const char *nj = prov_param_name(j), *gj = prov_param_group(nj);

				if (gj == NULL || strcmp(gj, g) != 0 || !param_visible(a, nj, role, &ro))
					continue;
				if (rows++ == 0) {
					admin_obuf_str(&b, "<fieldset><legend>");
					admin_obuf_html(&b, sec);
					admin_obuf_str(&b, "</legend><table>\n");
				}
				param_row(a, &b, nj, ro);
			}
			if (rows > 0)
				admin_obuf_str(&b, "</table></fieldset>\n");
		}
	}
	admin_obuf_str(&b, "<p><button type=\"submit\" id=\"save\">Submit All Changes</button></p>\n"
		     "</form>\n");
	page_status(a, &b);
	if (role == ROLE_ADMIN)
		admin_obuf_str(&b, "<p class=\"note\">Resync: <code>/admin/resync?RULE</code> "
			     "(URL-encoded; without RULE the configured rules). Reboot: "
			     "<code>/admin/reboot</code>.</p>\n");
	admin_obuf_str(&b, "</main>\n");
	html_close(&b);
	respond_html(c, status, cookie_hdr, &b);
	buf_free(&b.b);
}

/* GET: the page; a new session cookie when the browser has none. */
void
admin_advanced_get(struct conn *c, enum admin_role role, const char *query)
{
	char sid[ADMIN_SID_LEN + 1], hdr[128], msg[64];
	const char *ok = NULL;

	hdr[0] = '\0';
	if (!admin_session_get(&c->req, sid)) {
		unsigned char rnd[ADMIN_SID_LEN / 2];

		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			admin_respond_text(c, 503, "", "no randomness for a session");
			return;
		}
		hex_encode(rnd, sizeof(rnd), sid);
		snprintf(hdr, sizeof(hdr), "Set-Cookie: %s=%s; Path=/; HttpOnly; "
			 "SameSite=Strict\r\n", ADMIN_COOKIE, sid);
	}
	if (query != NULL && strncmp(query, "saved=", 6) == 0) {
		snprintf(msg, sizeof(msg), "Saved: %lu parameter(s) changed.",
			 strtoul(query + 6, NULL, 10));
		ok = msg;
	}
	page_advanced(c, role, sid, 200, ok, NULL, hdr);
}

/* POST: validates the CSRF token and origin, then applies the changed
 * fields all-or-nothing through prov_device_set_many (the path of
 * `prov phone set`). */
void
admin_advanced_post(struct conn *c, enum admin_role role)
{
	struct admin *a = c->a;
	struct admin_req *r = &c->req;
	struct admin_field *f = NULL;
	const char **names = NULL, **values = NULL;
	char sid[ADMIN_SID_LEN + 1], token[ADMIN_TOKEN_LEN + 1], err[700], loc[96];
	const char *given;
	long nf = 0;
	size_t n = 0;
	unsigned flags = role == ROLE_ADMIN ? 0 : PROV_AS_USER;

	if (strncasecmp(r->ctype, "application/x-www-form-urlencoded", 33) != 0) {
		admin_respond_text(c, 415, "", "Expected an application/x-www-form-urlencoded form.");
		return;
	}
	if (!admin_same_origin(r)) {
		admin_refuse_foreign(c, "/admin/advanced");
		return;
	}
	f = calloc(ADMIN_FORM_FIELDS, sizeof(*f));
	if (f == NULL) {
		admin_respond_text(c, 503, "", "out of memory");
		return;
	}
	nf = admin_form_parse(r->body != NULL ? r->body : "", r->bodylen, f, ADMIN_FORM_FIELDS);
	if (nf < 0) {
		admin_respond_text(c, 400, "", "Malformed form.");
		goto out;
	}
	given = admin_form_get(f, (size_t)nf, "csrf");
	if (admin_session_get(r, sid))
		admin_csrf_token(a, role, sid, token);
	else
		token[0] = '\0';
	if (token[0] == '\0' || given == NULL || strlen(given) != ADMIN_TOKEN_LEN ||
	    CRYPTO_memcmp(given, token, ADMIN_TOKEN_LEN) != 0) {
		admin_respond_text(c, 403, "", "Refused: the form's session token is missing or "
			     "wrong; reload the page.");
		goto out;
	}
	names = calloc((size_t)nf + 1, sizeof(*names));
	values = calloc((size_t)nf + 1, sizeof(*values));
	if (names == NULL || values == NULL) {
		admin_respond_text(c, 503, "", "out of memory");
		goto out;
	}
	err[0] = '\0';
	for (size_t i = 0; i < (size_t)nf && err[0] == '\0'; i++) {
		const char *name = f[i].name, *value = f[i].value;
		char *cur = NULL;
		enum prov_err rc;
		enum prov_ua ua;
		int ro;

		if (strcmp(name, "csrf") == 0)
			continue;
		if (strcmp(name, "clear") == 0) { /* a secret to empty */
			name = value;
			value = "";
			if (!prov_param_is_secret(name) ||
			    (admin_form_get(f, (size_t)nf, name) != NULL &&
			     admin_form_get(f, (size_t)nf, name)[0] != '\0'))
				continue;
		} else if (prov_param_is_secret(name) && value[0] == '\0') {
			continue; /* an empty secret field: unchanged */
		}
		if (prov_device_get_ua(a->dev, name, &ua) != PROV_OK) {
			snprintf(err, sizeof(err), "%s: unknown parameter", name);
			break;
		}
		if (!param_visible(a, name, role, &ro)) {
			snprintf(err, sizeof(err), "%s: no access", name);
			break;
		}
		if (!prov_param_is_secret(name) || value[0] == '\0') {
			rc = prov_device_get(a->dev, name, flags, &cur);
			if (rc != PROV_OK) {
				snprintf(err, sizeof(err), "%s", prov_device_errmsg(a->dev));
				free(cur);
				break;
			}
			if (strcmp(cur, value) == 0) { /* unchanged: do not pin defaults */
				free(cur);
				continue;
			}
			free(cur);
		}
		names[n] = name;
		values[n] = value;
		n++;
	}
	if (err[0] == '\0' && n > 0 &&
	    prov_device_set_many(a->dev, names, values, n, flags) != PROV_OK)
		snprintf(err, sizeof(err), "%s", prov_device_errmsg(a->dev));
	if (err[0] != '\0') {
		page_advanced(c, role, sid, 400, NULL, err, "");
		goto out;
	}
	if (n > 0) {
		admin_log("%zu parameter(s) changed by %s", n, admin_role_user(role));
		admin_changed(a);
	}
	snprintf(loc, sizeof(loc), "Location: /admin/advanced?saved=%zu\r\n", n);
	admin_respond_text(c, 303, loc, "Saved.");
out:
	free(names);
	free(values);
	if (nf > 0)
		admin_fields_free(f, (size_t)nf);
	free(f);
}
