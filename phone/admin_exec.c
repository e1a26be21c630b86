/*
 * admin_exec: /CGI/Execute (D-TRG-2): the CiscoIPPhoneExecute /
 * CP-xxxx-3PCCExecute object parsed with expat (no DTD, no entities), and
 * the page that runs its items.
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

/* ---- the execute object (D-TRG-2), with expat ------------------------------------ */

struct exec_ctx {
	XML_Parser xp;
	struct admin_exec *out;
	int depth;
	int fail;
	char *msg;
	size_t msglen;
};

static void exec_stop(struct exec_ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
exec_stop(struct exec_ctx *x, const char *fmt, ...)
{
	va_list ap;

	if (x->fail)
		return;
	x->fail = 1;
	va_start(ap, fmt);
	vsnprintf(x->msg, x->msglen, fmt, ap);
	va_end(ap);
	XML_StopParser(x->xp, XML_FALSE);
}

/* "CiscoIPPhoneExecute" or "CP-<model>-3PCCExecute" (model: 1 to
 * ADMIN_MODEL_MAX of [A-Za-z0-9], the guide's xxxx). */
static int
exec_root_ok(const char *name)
{
	static const char pre[] = "CP-", suf[] = "-3PCCExecute";
	size_t n = strlen(name), mid;

	if (strcmp(name, "CiscoIPPhoneExecute") == 0)
		return 1;
	if (n <= strlen(pre) + strlen(suf) || strncmp(name, pre, strlen(pre)) != 0 ||
	    strcmp(name + n - strlen(suf), suf) != 0)
		return 0;
	mid = n - strlen(pre) - strlen(suf);
	if (mid > ADMIN_MODEL_MAX)
		return 0;
	for (size_t i = 0; i < mid; i++)
		if (!isalnum((unsigned char)name[strlen(pre) + i]))
			return 0;
	return 1;
}

static void XMLCALL
exec_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
	struct exec_ctx *x = arg;
	const char *url = NULL;

	if (x->fail)
		return;
	x->depth++;
	if (x->depth == 1) {
		if (!exec_root_ok(name))
			exec_stop(x, "not an execute object: <%.64s>", name);
		return;
	}
	if (x->depth > 2 || strcmp(name, "ExecuteItem") != 0) {
		exec_stop(x, "unexpected element <%.64s>", name);
		return;
	}
	for (size_t i = 0; atts[i] != NULL; i += 2) {
		if (strcmp(atts[i], "URL") == 0)
			url = atts[i + 1];
		else if (strcmp(atts[i], "Priority") != 0) {
			exec_stop(x, "unknown attribute %.64s", atts[i]);
			return;
		}
	}
	if (url == NULL)
		exec_stop(x, "ExecuteItem without URL");
	else if (strlen(url) > ADMIN_EXEC_URL_MAX)
		exec_stop(x, "ExecuteItem URL longer than %u bytes", ADMIN_EXEC_URL_MAX);
	else if (x->out->n == ADMIN_EXEC_ITEMS)
		exec_stop(x, "more than %d ExecuteItems", ADMIN_EXEC_ITEMS);
	else
		snprintf(x->out->url[x->out->n++], ADMIN_EXEC_URL_MAX + 1, "%s", url);
}

static void XMLCALL
exec_end(void *arg, const XML_Char *name)
{
	struct exec_ctx *x = arg;

	(void)name;
	x->depth--;
}

static void XMLCALL
exec_text(void *arg, const XML_Char *s, int len)
{
	struct exec_ctx *x = arg;

	for (int i = 0; i < len; i++) {
		if (!isspace((unsigned char)s[i])) {
			exec_stop(x, "unexpected text");
			return;
		}
	}
}

static void XMLCALL
exec_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
	     const XML_Char *pubid, int has_internal_subset)
{
	(void)name; (void)sysid; (void)pubid; (void)has_internal_subset;
	exec_stop(arg, "a DOCTYPE is not allowed");
}

static void XMLCALL
exec_entity(void *arg, const XML_Char *name, int is_pe, const XML_Char *value,
	    int value_len, const XML_Char *base, const XML_Char *sysid,
	    const XML_Char *pubid, const XML_Char *notation)
{
	(void)name; (void)is_pe; (void)value; (void)value_len; (void)base;
	(void)sysid; (void)pubid; (void)notation;
	exec_stop(arg, "entity declarations are not allowed");
}

static void XMLCALL
exec_skipped(void *arg, const XML_Char *name, int is_pe)
{
	(void)name; (void)is_pe;
	exec_stop(arg, "undeclared entity");
}

int
admin_exec_parse(const char *xml, size_t len, struct admin_exec *out, char *msg,
		 size_t msglen)
{
	struct exec_ctx x;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	x.out = out;
	x.msg = msg;
	x.msglen = msglen;
	if (msglen > 0)
		msg[0] = '\0';
	if (len > ADMIN_BODY_MAX) {
		snprintf(msg, msglen, "execute object too large");
		return -1;
	}
	x.xp = XML_ParserCreate("UTF-8");
	if (x.xp == NULL) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	XML_SetUserData(x.xp, &x);
	XML_SetElementHandler(x.xp, exec_start, exec_end);
	XML_SetCharacterDataHandler(x.xp, exec_text);
	XML_SetStartDoctypeDeclHandler(x.xp, exec_doctype);
	XML_SetEntityDeclHandler(x.xp, exec_entity);
	XML_SetSkippedEntityHandler(x.xp, exec_skipped);
	XML_SetParamEntityParsing(x.xp, XML_PARAM_ENTITY_PARSING_NEVER);
	if (XML_Parse(x.xp, xml, (int)len, XML_TRUE) != XML_STATUS_OK) {
		if (!x.fail)
			snprintf(msg, msglen, "line %lu: %s",
				 (unsigned long)XML_GetCurrentLineNumber(x.xp),
				 XML_ErrorString(XML_GetErrorCode(x.xp)));
		goto out;
	}
	if (x.fail)
		goto out;
	if (out->n == 0) {
		snprintf(msg, msglen, "no ExecuteItem");
		goto out;
	}
	rc = 0;
out:
	XML_ParserFree(x.xp);
	return rc;
}

/* ---- /CGI/Execute (D-TRG-2) ----------------------------------------------------------- */

static void
respond_cisco_error(struct conn *c, int status, int number, const char *why)
{
	struct obuf b = { 0 };

	admin_obuf_str(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
	admin_obuf_printf(&b, "<CiscoIPPhoneError Number=\"%d\" Data=\"", number);
	admin_obuf_html(&b, why); /* XML too: &#39; and &quot; are XML */
	admin_obuf_str(&b, "\"/>\n");
	if (b.toobig)
		admin_respond_text(c, 500, "", "response too large");
	else
		admin_respond(c, status, "text/xml; charset=utf-8", "", b.b.p, b.b.len);
	buf_free(&b.b);
}

void
admin_page_execute(struct conn *c)
{
	struct admin_req *r = &c->req;
	struct admin_exec *ex = NULL;
	struct obuf b = { 0 };
	char msg[256], why[ADMIN_EXEC_URL_MAX + 128], *xml = NULL;
	const char *body = r->body != NULL ? r->body : "";
	size_t len = r->bodylen;

	/* Cisco XML applications post either the object itself or a form
	 * field XML=<url-encoded object>. */
	if (strncmp(body, "XML=", 4) == 0) {
		long n;

		xml = malloc(len + 1);
		n = xml != NULL ? admin_decode(body + 4, len - 4, 1, xml, len + 1) : -1;
		if (n < 0) {
			respond_cisco_error(c, 400, 1, "malformed XML= form field");
			goto out;
		}
		body = xml;
		len = (size_t)n;
	}
	ex = malloc(sizeof(*ex));
	if (ex == NULL) {
		respond_cisco_error(c, 503, 3, "out of memory");
		goto out;
	}
	if (admin_exec_parse(body, len, ex, msg, sizeof(msg)) != 0) {
		respond_cisco_error(c, 400, 1, msg);
		goto out;
	}
	admin_obuf_str(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<CiscoIPPhoneResponse>\n");
	for (size_t i = 0; i < ex->n; i++) {
		const char *url = ex->url[i];
		int status;

		if (strncasecmp(url, "Resync:", 7) == 0) {
			const char *rule = url + 7;

			while (*rule == ' ')
				rule++;
			status = admin_resync_start(c->a, rule[0] != '\0' ? rule : NULL, why, sizeof(why));
		} else {
			status = 400;
			snprintf(why, sizeof(why), "Unsupported: only Resync: is executed");
		}
		admin_obuf_printf(&b, "<ResponseItem Status=\"%d\" Data=\"", status == 200 ? 0 : 1);
		admin_obuf_html(&b, why);
		admin_obuf_str(&b, "\" URL=\"");
		admin_rule_masked(url, why, sizeof(why));
		admin_obuf_html(&b, why);
		admin_obuf_str(&b, "\"/>\n");
	}
	admin_obuf_str(&b, "</CiscoIPPhoneResponse>\n");
	if (b.toobig)
		respond_cisco_error(c, 500, 2, "response too large");
	else
		admin_respond(c, 200, "text/xml; charset=utf-8", "", b.b.p, b.b.len);
out:
	buf_free(&b.b);
	free(ex);
	free(xml);
}
