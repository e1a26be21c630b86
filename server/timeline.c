/*
 * timeline: a device's timeline and drift as text or JSON. See timeline.h.
 */
#define _GNU_SOURCE /* strcasestr */
#include "timeline.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inventory.h"
#include "reportd.h"
#include "store.h"

#define TL_JSON_MAX (64u * 1024u)      /* the JSON members of one event */

/* ---- times --------------------------------------------------------------------- */

void
timeline_time(int64_t ms, char out[TIMELINE_TIME_MAX])
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)t * 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, TIMELINE_TIME_MAX, "@%" PRId64, ms);
		return;
	}
	snprintf(out, TIMELINE_TIME_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 frac);
}

int
timeline_parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (x > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return 0;
}

/* Fixed-width digits of a date or time into v; advances *s. */
static int
tl_digits(const char **s, int width, int lo, int hi, int *v)
{
	int x = 0;

	for (int i = 0; i < width; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -1;
		x = x * 10 + ((*s)[i] - '0');
	}
	if (x < lo || x > hi)
		return -1;
	*s += width;
	*v = x;
	return 0;
}

/* --since: an age (90s 15m 2h 7d), @UNIXSECONDS, or a UTC date and time
 * (YYYY-MM-DD[(T| )HH:MM[:SS]][Z]). Returns unix ms, or -1. */
int64_t
timeline_parse_since(const char *s, int64_t now_ms)
{
	struct tm tm;
	uint64_t v;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	time_t t;
	size_t n = strlen(s);

	if (n == 0)
		return -1;
	if (s[0] == '@')
		return timeline_parse_u64(s + 1, INT64_MAX / 1000, &v) == 0 ? (int64_t)v * 1000 : -1;
	if (strchr("smhd", s[n - 1]) != NULL && n > 1 && n < 16) {
		static const struct { char unit; int64_t ms; } units[] = {
			{ 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 }, { 'd', 86400000 },
		};
		char num[16];

		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		if (timeline_parse_u64(num, 100000000, &v) != 0)
			return -1;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			int64_t since = now_ms - (int64_t)v * units[i].ms;

			if (units[i].unit == s[n - 1])
				return since > 0 ? since : 0; /* before 1970: everything */
		}
		return -1;
	}
	if (tl_digits(&s, 4, 1970, 9999, &y) < 0 || *s++ != '-' ||
	    tl_digits(&s, 2, 1, 12, &mo) < 0 || *s++ != '-' ||
	    tl_digits(&s, 2, 1, 31, &d) < 0)
		return -1;
	if (*s == 'T' || *s == ' ') {
		s++;
		if (tl_digits(&s, 2, 0, 23, &h) < 0 || *s++ != ':' ||
		    tl_digits(&s, 2, 0, 59, &mi) < 0)
			return -1;
		if (*s == ':') {
			s++;
			if (tl_digits(&s, 2, 0, 60, &sec) < 0)
				return -1;
		}
	}
	if (*s == 'Z')
		s++;
	if (*s != '\0')
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* timegm normalises 2026-02-31 into March: refuse what moved. */
	if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -1;
	return (int64_t)t * 1000;
}

/* ---- JSON and text fields ------------------------------------------------------- */

enum prov_err
timeline_json_str(struct buf *b, const char *s)
{
	enum prov_err e;

	if (s == NULL)
		return buf_adds(b, "null");
	e = buf_addc(b, '"');
	for (; *s && e == PROV_OK; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			e = buf_addf(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			e = buf_addf(b, "\\u%04x", c);
		else
			e = buf_addc(b, (char)c);
	}
	return e == PROV_OK ? buf_addc(b, '"') : e;
}

/* A text field for the DETAIL column: control characters and, when
 * quoted, '"' as \xHH; '-' when absent or empty. Fresh, or NULL. */
static char *
tl_esc(const char *s, int quoted)
{
	size_t n = s != NULL ? strlen(s) : 0;
	char *out = malloc(4 * n + 4), *o = out;

	if (out == NULL)
		return NULL;
	if (s == NULL || *s == '\0') {
		strcpy(out, "-");
		return out;
	}
	if (quoted)
		*o++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || (quoted && c == '"'))
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = (char)c;
	}
	if (quoted)
		*o++ = '"';
	*o = '\0';
	return out;
}

/* ---- events --------------------------------------------------------------------- */

struct tl_event {
	int64_t time_ms;
	unsigned seq;                  /* ties keep the order they were read in */
	const char *kind;
	char *text, *json;             /* DETAIL, the JSON object's other members */
};

struct tl {
	struct tl_event *ev;
	size_t n, cap;
	int failed;
	struct buf j;                  /* the next event's JSON members */
};

/* Adds an event whose JSON members are those written to l->j since. */
__attribute__((format(printf, 4, 5)))
static void
tl_add(struct tl *l, int64_t t, const char *kind, const char *fmt, ...)
{
	struct tl_event *e;
	va_list ap;

	if (l->failed)
		goto out;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? 2 * l->cap : 256;
		struct tl_event *ne = realloc(l->ev, ncap * sizeof(*ne));

		if (ne == NULL) {
			l->failed = 1;
			goto out;
		}
		l->ev = ne;
		l->cap = ncap;
	}
	e = &l->ev[l->n];
	e->time_ms = t;
	e->seq = (unsigned)l->n;
	e->kind = kind;
	va_start(ap, fmt);
	if (vasprintf(&e->text, fmt, ap) < 0) {
		va_end(ap);
		l->failed = 1;
		goto out;
	}
	va_end(ap);
	if ((e->json = buf_take(&l->j)) == NULL) {
		free(e->text);
		l->failed = 1;
		goto out;
	}
	l->n++;
out:
	buf_reset(&l->j);
}

/* JSON members into l->j: ",\"name\":" then the string (first: no comma). */
static void
tl_jstr(struct tl *l, const char *name, const char *s)
{
	if (buf_addf(&l->j, "%s\"%s\":", l->j.len ? "," : "", name) != PROV_OK ||
	    timeline_json_str(&l->j, s) != PROV_OK)
		l->failed = 1;
}

__attribute__((format(printf, 2, 3)))
static void
tl_jraw(struct tl *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (buf_vaddf(&l->j, fmt, ap) != PROV_OK)
		l->failed = 1;
	va_end(ap);
}

static void
tl_req(void *arg, const struct store_req *r)
{
	struct tl *l = arg;
	char *path = tl_esc(r->path, 0), *ua = tl_esc(r->user_agent, 1);

	if (path == NULL || ua == NULL) {
		l->failed = 1;
	} else {
		tl_jstr(l, "proto", r->proto);
		tl_jstr(l, "method", r->method);
		tl_jstr(l, "path", r->path);
		tl_jraw(l, ",\"status\":%d,\"bytes\":%" PRIu64, r->status, r->bytes);
		tl_jstr(l, "client", r->client);
		tl_jstr(l, "user_agent", r->user_agent);
		tl_add(l, r->time_ms, "request", "%s %s %s %d %" PRIu64 " B from %s %s",
		       r->proto ? r->proto : "-", r->method ? r->method : "-", path, r->status,
		       r->bytes, r->client ? r->client : "-", ua);
	}
	free(path);
	free(ua);
}

/* What a phone's syslog line says, by its default wording (Log_*_Msg:
 * "Requesting resync", "Successful resync", "Resync failed",
 * "... upgrade ..."). */
static const char *
tl_syslog_kind(const char *text)
{
	if (text == NULL)
		return "syslog";
	if (strcasestr(text, "upgrade") != NULL)
		return "upgrade";
	if (strcasestr(text, "resync") == NULL)
		return "syslog";
	if (strcasestr(text, "requesting") != NULL)
		return "resync-request";
	if (strcasestr(text, "fail") != NULL)
		return "resync-failure";
	return "resync-success";
}

static void
tl_sys(void *arg, const struct store_syslog *r)
{
	struct tl *l = arg;
	char *text = tl_esc(r->text, 0);

	if (text == NULL) {
		l->failed = 1;
		return;
	}
	tl_jstr(l, "text", r->text);
	tl_jstr(l, "source", r->source);
	tl_jstr(l, "ident", r->ident);
	tl_add(l, r->time_ms, tl_syslog_kind(r->text), "%s (from %s)", text,
	       r->source ? r->source : "-");
	free(text);
}

static void
tl_rep(void *arg, const struct reportd_last *r)
{
	struct tl *l = arg;

	tl_jstr(l, "proto", r->proto);
	tl_jraw(l, ",\"params\":%ld", r->params);
	tl_jstr(l, "layers", r->layers[0] ? r->layers : NULL);
	tl_jstr(l, "client", r->client[0] ? r->client : NULL);
	tl_jstr(l, "template", r->tmpl[0] ? r->tmpl : NULL);
	tl_add(l, r->time_ms, "report", "%s %ld parameter%s%s%s from %s", r->proto, r->params,
	       r->params == 1 ? "" : "s", r->layers[0] ? ", " : "", r->layers,
	       r->client[0] ? r->client : "-");
}

static void
tl_chg(void *arg, const struct reportd_change *c)
{
	struct tl *l = arg;

	tl_jstr(l, "what", c->kind);
	tl_jstr(l, "scope", c->scope);
	tl_jstr(l, "owner", c->owner);
	tl_jstr(l, "name", c->name);
	tl_jstr(l, "action", c->action);
	if (strcmp(c->kind, "var") == 0)
		tl_add(l, c->time_ms, "change", "var %s %s%s%s %s", c->scope ? c->scope : "-",
		       c->owner && c->owner[0] ? c->owner : "", c->owner && c->owner[0] ? " " : "",
		       c->name ? c->name : "-", c->action);
	else if (strcmp(c->kind, "template") == 0)
		tl_add(l, c->time_ms, "change", "template %s %s", c->name ? c->name : "-",
		       c->action);
	else if (strcmp(c->kind, "key") == 0)
		tl_add(l, c->time_ms, "change", "key %s %s", c->name ? c->name : "-", c->action);
	else
		tl_add(l, c->time_ms, "change", "device %s", c->action);
}

static void
tl_push(void *arg, const struct reportd_push *p)
{
	struct tl *l = arg;

	tl_jstr(l, "event", p->event);
	tl_jstr(l, "dest", p->dest);
	tl_jstr(l, "result", p->result);
	tl_jstr(l, "detail", p->detail);
	tl_add(l, p->time_ms, "push", "NOTIFY %s to %s: %s (%s)", p->event ? p->event : "-",
	       p->dest ? p->dest : "-", p->result ? p->result : "-", p->detail ? p->detail : "");
}

static int
tl_cmp(const void *a, const void *b)
{
	const struct tl_event *x = a, *y = b;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int
timeline_write(struct inv *inv, const char *db, const char *mac, int64_t since_ms,
	       unsigned limit, enum timeline_form form, struct buf *out, char *err,
	       size_t errlen)
{
	struct store_filter f = { mac, NULL, since_ms, limit };
	struct tl l;
	char t[TIMELINE_TIME_MAX];
	enum prov_err e = PROV_OK;
	int rc = -1;

	memset(&l, 0, sizeof(l));
	buf_init(&l.j, TL_JSON_MAX);
	if (store_query_requests(db, &f, tl_req, &l, err, errlen) < 0 ||
	    store_query_syslog(db, &f, tl_sys, &l, err, errlen) < 0 ||
	    reportd_history(db, mac, since_ms, tl_rep, &l, err, errlen) < 0 ||
	    reportd_changes(inv, db, mac, since_ms, tl_chg, &l, err, errlen) < 0 ||
	    reportd_pushes(db, mac, since_ms, tl_push, &l, err, errlen) < 0)
		goto out;
	if (l.failed) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (l.n > 0)
		qsort(l.ev, l.n, sizeof(*l.ev), tl_cmp);
	if (form == TIMELINE_JSON_ARRAY)
		e = buf_addc(out, '[');
	for (size_t i = 0; i < l.n && e == PROV_OK; i++) {
		timeline_time(l.ev[i].time_ms, t);
		if (form == TIMELINE_TEXT)
			e = buf_addf(out, "%s %-14s %s\n", t, l.ev[i].kind, l.ev[i].text);
		else
			e = buf_addf(out, "%s{\"time\":\"%s\",\"time_ms\":%" PRId64
				     ",\"kind\":\"%s\",%s}%s",
				     form == TIMELINE_JSON_ARRAY && i > 0 ? "," : "", t,
				     l.ev[i].time_ms, l.ev[i].kind, l.ev[i].json,
				     form == TIMELINE_JSON_LINES ? "\n" : "");
	}
	if (form == TIMELINE_JSON_ARRAY && e == PROV_OK)
		e = buf_addc(out, ']');
	if (e != PROV_OK) {
		snprintf(err, errlen, "%s", e == PROV_E_TOOBIG ? "the timeline is too large"
								: "out of memory");
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < l.n; i++) {
		free(l.ev[i].text);
		free(l.ev[i].json);
	}
	free(l.ev);
	buf_free(&l.j);
	return rc;
}

/* ---- drift ----------------------------------------------------------------------- */

struct tl_drift {
	struct buf *b;
	unsigned n;
	int failed;
};

static void
tl_diff(void *arg, const struct reportd_diff *d)
{
	struct tl_drift *f = arg;

	if (buf_addf(f->b, "%s{\"name\":", f->n++ ? "," : "") != PROV_OK ||
	    timeline_json_str(f->b, d->name) != PROV_OK ||
	    buf_adds(f->b, ",\"server\":") != PROV_OK ||
	    timeline_json_str(f->b, d->secret ? NULL : d->server) != PROV_OK ||
	    buf_adds(f->b, ",\"device\":") != PROV_OK ||
	    timeline_json_str(f->b, d->secret ? NULL : d->device) != PROV_OK ||
	    buf_addf(f->b, ",\"secret\":%s}", d->secret ? "true" : "false") != PROV_OK)
		f->failed = 1;
}

long
timeline_drift_json(struct inv *inv, const char *db, const char *mac, const char *tmpl,
		    struct buf *out, char *why, size_t whylen)
{
	struct reportd_last last;
	struct buf diffs;
	struct tl_drift f = { &diffs, 0, 0 };
	long n;

	/* The differences first: the head names the report, which the
	 * comparison reads. */
	buf_init(&diffs, out->max);
	n = reportd_drift(inv, db, mac, tmpl, &last, tl_diff, &f, why, whylen);
	if (n >= 0 && (f.failed ||
		       buf_addf(out, "{\"mac\":\"%s\",\"report_ms\":%" PRId64 ",\"template\":",
				mac, last.time_ms) != PROV_OK ||
		       timeline_json_str(out, tmpl != NULL ? tmpl : last.tmpl) != PROV_OK ||
		       buf_addf(out, ",\"drift\":[%s]}", buf_str(&diffs)) != PROV_OK)) {
		snprintf(why, whylen, "the drift is too large or out of memory");
		n = -1;
	}
	buf_free(&diffs);
	return n;
}
