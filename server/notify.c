/*
 * notify: the NOTIFY request and its answer's parser (notify.h).
 */
#include "notify.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"

#include "inventory.h"

static int
notify_clean(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") == NULL;
}

int
notify_build(const struct notify_req *r, char *out, size_t outsz)
{
	int w;

	if (!notify_clean(r->ruri) || !notify_clean(r->event) || !notify_clean(r->local) ||
	    !notify_clean(r->call_id) || !notify_clean(r->from_tag) ||
	    !notify_clean(r->branch) || !notify_clean(r->auth_name) ||
	    !notify_clean(r->auth) || !notify_clean(r->user_agent))
		return -1;
	/* RFC 3261 8.1.1 and RFC 6665 8.2.1: a NOTIFY outside any
	 * subscription, as provisioning servers and proxies send it
	 * (Subscription-State: terminated). */
	w = snprintf(out, outsz,
		     "NOTIFY %s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:prov@%s>;tag=%s\r\n"
		     "To: <%s>\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: %u NOTIFY\r\n"
		     "Contact: <sip:prov@%s>\r\n"
		     "Event: %s\r\n"
		     "Subscription-State: terminated\r\n"
		     "User-Agent: %s\r\n"
		     "%s%s%s%s"
		     "Content-Length: 0\r\n\r\n",
		     r->ruri, r->local, r->branch, r->local, r->from_tag, r->ruri, r->call_id,
		     r->cseq, r->local, r->event, r->user_agent,
		     r->auth_name != NULL ? r->auth_name : "", r->auth_name != NULL ? ": " : "",
		     r->auth_name != NULL ? r->auth : "", r->auth_name != NULL ? "\r\n" : "");
	if (w < 0 || (size_t)w >= outsz)
		return -1;
	return w;
}

/* Copies s (n bytes) into out[cap] trimmed of surrounding blanks; -1 when
 * it does not fit. */
static int
notify_copy(const char *s, size_t n, char *out, size_t cap)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n + 1 > cap)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* The branch parameter of a Via value (the first one, if the header holds
 * several). */
static void
notify_via_branch(const char *v, char *out, size_t cap)
{
	const char *end = strchr(v, ',');
	const char *p = v;

	out[0] = '\0';
	if (end == NULL)
		end = v + strlen(v);
	while ((p = strchr(p, ';')) != NULL && p < end) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "branch", 6) == 0) {
			const char *q = p + 6;

			while (*q == ' ' || *q == '\t')
				q++;
			if (*q != '=')
				continue;
			q++;
			if (notify_copy(q, strcspn(q, ";,"), out, cap) < 0)
				out[0] = '\0';
			return;
		}
	}
}

/* One header (name, value NUL-terminated) into r. */
static int
notify_header(const char *name, const char *val, struct notify_resp *r, int *have_via,
	      int *have_cseq, const char **why)
{
	if (strcasecmp(name, "Via") == 0 || strcasecmp(name, "v") == 0) {
		if (!*have_via)
			notify_via_branch(val, r->branch, sizeof(r->branch));
		*have_via = 1;
	} else if (strcasecmp(name, "Call-ID") == 0 || strcasecmp(name, "i") == 0) {
		if (notify_copy(val, strlen(val), r->call_id, sizeof(r->call_id)) < 0) {
			*why = "Call-ID too long";
			return -1;
		}
	} else if (strcasecmp(name, "CSeq") == 0) {
		char *end;
		unsigned long n;

		if (!isdigit((unsigned char)*val)) {
			*why = "bad CSeq";
			return -1;
		}
		n = strtoul(val, &end, 10);
		while (*end == ' ' || *end == '\t')
			end++;
		if (n > 0x7fffffffUL || end == val ||
		    notify_copy(end, strlen(end), r->cseq_method, sizeof(r->cseq_method)) < 0) {
			*why = "bad CSeq";
			return -1;
		}
		r->cseq = n;
		*have_cseq = 1;
	} else if (strcasecmp(name, "WWW-Authenticate") == 0 ||
		   strcasecmp(name, "Proxy-Authenticate") == 0) {
		/* A challenge that is not Digest, or that does not parse, is
		 * not one this client can answer: skipped. */
		if (strncasecmp(val, "Digest", 6) == 0 && (val[6] == ' ' || val[6] == '\t') &&
		    r->nchal < NOTIFY_CHALS_MAX &&
		    digest_chal_parse(val + 7, &r->chal[r->nchal]) == 0) {
			r->nchal++;
			r->proxy = strcasecmp(name, "Proxy-Authenticate") == 0;
		}
	}
	return 0;
}

int
notify_parse(const char *msg, size_t len, struct notify_resp *r, const char **why)
{
	char line[NOTIFY_LINE_MAX + 1];
	const char *p = msg, *end = msg + len, *eol;
	int have_via = 0, have_cseq = 0;
	unsigned nh = 0;
	size_t n;

	memset(r, 0, sizeof(*r));
	*why = NULL;
	if (len > NOTIFY_RESP_MAX) {
		*why = "answer too large";
		return -1;
	}
	/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF */
	eol = memchr(p, '\n', len);
	if (len < 12 || memcmp(p, "SIP/2.0 ", 8) != 0 || eol == NULL) {
		*why = "not a SIP/2.0 response";
		return -1;
	}
	if (!isdigit((unsigned char)p[8]) || !isdigit((unsigned char)p[9]) ||
	    !isdigit((unsigned char)p[10]) || (p[11] != ' ' && p[11] != '\r' && p[11] != '\n')) {
		*why = "bad status code";
		return -1;
	}
	r->code = (p[8] - '0') * 100 + (p[9] - '0') * 10 + (p[10] - '0');
	if (r->code < 100 || r->code > 699) {
		*why = "bad status code";
		return -1;
	}
	n = (size_t)(eol - (p + 11));
	if (n > 0 && p[11 + n - 1] == '\r')
		n--;
	if (notify_copy(p + 11, n, r->reason, sizeof(r->reason)) < 0) {
		*why = "reason phrase too long";
		return -1;
	}
	for (p = eol + 1; p < end; p = eol + 1) {
		const char *colon;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		n = (size_t)(eol - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0)
			break; /* the blank line: the body is not read */
		if (++nh > NOTIFY_HEADERS_MAX) {
			*why = "too many header lines";
			return -1;
		}
		if (n > NOTIFY_LINE_MAX) {
			*why = "header line too long";
			return -1;
		}
		if (p[0] == ' ' || p[0] == '\t')
			continue; /* a folded line: part of a header this client ignores */
		memcpy(line, p, n);
		line[n] = '\0';
		if (memchr(line, '\0', n) != NULL) {
			*why = "NUL in a header";
			return -1;
		}
		colon = strchr(line, ':');
		if (colon == NULL || colon == line) {
			*why = "header line without a name";
			return -1;
		}
		line[colon - line] = '\0';
		for (char *t = line + (colon - line) - 1; t >= line && (*t == ' ' || *t == '\t'); t--)
			*t = '\0';
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		if (notify_header(line, colon, r, &have_via, &have_cseq, why) < 0)
			return -1;
		if (eol == end)
			break;
	}
	if (r->call_id[0] == '\0' || !have_cseq) {
		*why = "no Call-ID or CSeq";
		return -1;
	}
	return 0;
}

int
notify_record(struct inv *inv, int64_t time_ms, const char *mac, const char *event,
	      const char *dest, const char *result, const char *detail, char *err,
	      size_t errlen)
{
	struct db *db = inv_db(inv);
	struct db_stmt *st = NULL;
	int rc;

	if (db_prepare(db, "INSERT INTO push (time_ms, mac, event, dest, result, detail)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st) != DB_OK) {
		snprintf(err, errlen, "push history: %s", db_errmsg(db));
		db_finalize(st);
		return -1;
	}
	db_bind_int64(st, 1, time_ms);
	db_bind_text(st, 2, mac, -1, DB_STATIC);
	db_bind_text(st, 3, event, -1, DB_STATIC);
	db_bind_text(st, 4, dest, -1, DB_STATIC);
	db_bind_text(st, 5, result, -1, DB_STATIC);
	db_bind_text(st, 6, detail, -1, DB_STATIC);
	rc = db_step(st);
	db_finalize(st);
	if (rc != DB_DONE) {
		snprintf(err, errlen, "push history: %s", db_errmsg(db));
		return -1;
	}
	return 0;
}
