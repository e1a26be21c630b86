/*
 * fetch_tftp: TFTP transfers of fetch.c, run by tftpc.c outside libcurl
 * (libcurl's TFTP has no windowsize, D-NET-1): starting one, passing its
 * fd and due time on to the host (tftp_sync), and mapping its outcome to
 * a status and an $ERR (tftp_complete). See fetch.c's opening comment.
 */
#include "fetch.h"
#include "fetch_int.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bounds.h"
#include "clock.h"
#include "tftp.h"
#include "tftpc.h"

/* ---- TFTP (tftpc.c) ------------------------------------------------------ */

/* The file a tftp URL names: its path without the leading '/', %XX
 * decoded, as libcurl sent it. 0, or -1 when that is empty, longer than
 * TFTP allows, or holds a NUL. */
static int
tftp_file(const char *path, char *out, size_t outlen)
{
	size_t o = 0;

	if (*path == '/')
		path++;
	for (const char *p = path; *p != '\0'; p++) {
		int c = (unsigned char)*p;
		unsigned v;

		if (c == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]) &&
		    sscanf(p + 1, "%2x", &v) == 1) {
			c = (int)v;
			p += 2;
		}
		if (c == 0 || o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return o > 0 ? 0 : -1;
}

/* The socket is open: $SERVIP and $PORT are known. */
static void
tftp_on_connect(void *arg, const char *ip, unsigned port)
{
	struct fetch_xfer *x = arg;

	snprintf(x->sock_ip, sizeof(x->sock_ip), "%s", ip);
	x->sock_port = port;
	x->connected = 1;
	if (x->on_connect != NULL)
		x->on_connect(x->arg, ip, port);
}

/* Passes a change of the transfer's fd on to the host. */
static void
tftp_sync(struct fetch_net *net, struct fetch_xfer *x)
{
	int fd = x->state == XFER_LIVE ? tftpc_fd(x->tc) : -1, old = x->tc_fd;

	if (fd == old)
		return;
	x->tc_fd = fd;
	if (old >= 0)
		net->ops.watch(net->arg, old, 0);
	if (fd >= 0 && x->state == XFER_LIVE)
		net->ops.watch(net->arg, fd, FETCH_IN);
}

/* The transfer ended: its outcome, its $ERR (fetch.h), and done. */
static void
tftp_complete(struct fetch_net *net, struct fetch_xfer *x)
{
	static const char *const names[] = {
		"not defined", "file not found", "access violation", "disk full",
		"illegal operation", "unknown transfer id", "file already exists",
		"no such user", "option negotiation refused",
	};
	struct tftpc_result *tr = tftpc_result(x->tc);
	struct fetch_result *r = &x->res;

	switch (tr->status) {
	case TFTPC_OK:
		fetch_res_set(r, FETCH_OK, "%s", "");
		break;
	case TFTPC_NOTFOUND:
		fetch_res_set(r, FETCH_NOTFOUND, "tftp file not found");
		break;
	case TFTPC_ERROR:
		fetch_res_set(r, FETCH_TFTP, "tftp error %u: %s", tr->code,
			tr->msg[0] != '\0' ? tr->msg :
			tr->code < sizeof(names) / sizeof(names[0]) ? names[tr->code] :
			"unknown error");
		break;
	case TFTPC_TIMEOUT:
		fetch_res_set(r, FETCH_TIMEOUT, "tftp server not responding");
		break;
	case TFTPC_DNS:
		fetch_res_set(r, FETCH_DNS, "dns lookup failed");
		break;
	case TFTPC_TOOBIG:
		fetch_res_set(r, FETCH_TOOBIG, "profile too large");
		break;
	case TFTPC_PROTO:
		fetch_res_set(r, FETCH_ERROR, "bad server reply");
		break;
	default:
		fetch_res_set(r, FETCH_ERROR, "fetch failed");
		break;
	}
	snprintf(r->detail, sizeof(r->detail), "%s", tr->detail);
	snprintf(r->serv_ip, sizeof(r->serv_ip), "%s", tr->ip);
	r->port = tr->port;
	r->tftp_blksize = tr->blksize;
	if (r->status == FETCH_OK) {
		/* The body changes hands; tftpc keeps an empty one. */
		buf_free(&r->body);
		r->body = tr->body;
		buf_init(&tr->body, r->body.max);
	}
	fetch_xfer_unlink_live(net, x);
	x->state = XFER_DONE;
	tftp_sync(net, x);
	x->done(x->arg, r);
	fetch_xfer_free(x);
}

/* Runs the transfer's client (its fd is readable, or it is due) and, if
 * that ended it, reports. The host's ops run inside in_curl, so that a
 * cancel from one parks the transfer rather than freeing it under us. */
void
fetch_tftp_run(struct fetch_net *net, struct fetch_xfer *x, int readable)
{
	int ended;

	net->in_curl++;
	if (readable)
		tftpc_readable(x->tc, clock_mono_ms());
	else
		tftpc_timeout(x->tc, clock_mono_ms());
	tftp_sync(net, x);
	ended = x->state == XFER_LIVE && tftpc_result(x->tc)->status != TFTPC_RUNNING;
	fetch_net_curl_leave(net);
	if (ended)
		tftp_complete(net, x);
}

struct fetch_xfer *
fetch_tftp_find(struct fetch_net *net, int fd)
{
	if (net->ntftp == 0)
		return NULL;
	for (struct fetch_xfer *x = net->live; x != NULL; x = x->next)
		if (x->tc != NULL && x->tc_fd == fd)
			return x;
	return NULL;
}

/* Runs every TFTP transfer that was due when this round began, one at a
 * time: a done callback may cancel or start others. */
void
fetch_tftp_due_run(struct fetch_net *net, long long now)
{
	struct fetch_xfer *x;

	if (net->ntftp == 0)
		return;
	for (x = net->live; x != NULL; x = x->next) {
		long long d = x->tc != NULL ? tftpc_due(x->tc) : -1;

		x->tc_fire = d >= 0 && d <= now;
	}
	while (!net->free_pending) {
		for (x = net->live; x != NULL && !x->tc_fire; x = x->next)
			;
		if (x == NULL)
			break;
		x->tc_fire = 0;
		fetch_tftp_run(net, x, 0);
	}
}

/* fetch_start for a tftp URL. */
enum prov_err
fetch_tftp_start(struct fetch_net *net, struct fetch_xfer *x, const struct fetch_req *req,
	   struct diag *d)
{
	struct tftpc_req tr;
	char file[TFTP_FILENAME_MAX + 1];

	if (tftp_file(req->url->path, file, sizeof(file)) < 0)
		return diag_set(d, PROV_E_INVAL, 0, 0, "fetch: tftp file name empty, over "
				"%u bytes, or with a NUL", TFTP_FILENAME_MAX);
	memset(&tr, 0, sizeof(tr));
	tr.host = req->url->host;
	tr.port = req->url->port;
	tr.file = file;
	tr.blksize = req->tftp_blksize;
	tr.max_body = x->max_body;
	tr.timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : BOUND_NET_TIMEOUT_MS;
	tr.on_connect = tftp_on_connect;
	tr.arg = x;
	if (req->upload) {
		tr.put = req->post != NULL ? req->post : "";
		tr.putlen = req->post != NULL ? req->postlen : 0;
	}
	x->tc_fd = -1;
	if (tftpc_start(&tr, clock_mono_ms(), &x->tc, d) != PROV_OK)
		return d != NULL ? d->code : PROV_E_INVAL;
	fetch_list_push(&net->live, x);
	net->nlive++;
	net->ntftp++;
	if (net->depth == 0)
		fetch_net_arm(net); /* due at once: the RRQ goes out from the timer */
	return PROV_OK;
}
