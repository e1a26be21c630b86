/*
 * fetch: libcurl's multi_socket API (HTTP, HTTPS) and tftpc.c (TFTP)
 * behind the host's fd and timer ops. The contract and the $ERR table are
 * in fetch.h.
 *
 * How an HTTP(S) transfer runs: fetch_start builds an easy handle and adds it to the
 * net's CURLM; libcurl asks for a timer (net_on_timer) and, as it opens
 * sockets, for fds to watch (net_on_socket), both passed on to the host.
 * The host calls fetch_net_fd / fetch_net_timeout, which run
 * curl_multi_socket_action and then collect the finished transfers
 * (net_drain): xfer_result maps libcurl's outcome to a status and an $ERR,
 * and done is called.
 *
 * Re-entrancy: while libcurl runs (net->in_curl > 0) a handle must not be
 * removed from the multi, so fetch_cancel there only unlinks the transfer
 * and parks it on net->dead; fetch_net_curl_leave removes and frees the parked ones
 * when the outermost libcurl call returns. Done callbacks run outside
 * libcurl (from net_drain), so a cancel from one takes effect at once.
 *
 * How a TFTP transfer runs: libcurl's TFTP has no windowsize (D-NET-1),
 * so tftpc.c does it, outside libcurl. Its transfer says which fd it wants
 * watched and when it is due; after every call into it, tftp_sync passes
 * a changed fd on to the host, and when it has ended, tftp_complete maps
 * its outcome to a status and an $ERR and calls done. fetch_net_fd looks
 * for a TFTP transfer owning the fd before giving it to libcurl.
 *
 * Timers: the host keeps one timer per net, armed for the earliest of
 * libcurl's deadline and the TFTP transfers' due times (fetch_net_arm; a scan of
 * the live list, skipped when no TFTP transfer is live).
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
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "bounds.h"
#include "clock.h"
#include "tftp.h"
#include "tftpc.h"

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static CURLcode fetch_init_rc = CURLE_FAILED_INIT;

static void
fetch_global_init(void)
{
	fetch_init_rc = curlfn_load();
}

static struct fetch_xfer *
xfer_of(CURL *easy)
{
	char *p = NULL;

	if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p) != CURLE_OK)
		return NULL;
	return (struct fetch_xfer *)(void *)p;
}

/* The earliest due time of the live TFTP transfers, -1 if none. */
static long long
net_tftp_due(const struct fetch_net *net)
{
	long long due = -1;

	if (net->ntftp == 0)
		return -1;
	for (const struct fetch_xfer *x = net->live; x != NULL; x = x->next) {
		long long d;

		if (x->tc == NULL || (d = tftpc_due(x->tc)) < 0)
			continue;
		if (due < 0 || d < due)
			due = d;
	}
	return due;
}

void
fetch_list_push(struct fetch_xfer **head, struct fetch_xfer *x)
{
	x->prev = NULL;
	x->next = *head;
	if (*head != NULL)
		(*head)->prev = x;
	*head = x;
}

static void
list_unlink(struct fetch_xfer **head, struct fetch_xfer *x)
{
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		*head = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
}

/* Arms the host's timer for the earliest deadline, libcurl's or a TFTP
 * transfer's, telling the host only when that changes. */
void
fetch_net_arm(struct fetch_net *net)
{
	long long due = net->curl_due, td = net_tftp_due(net), ms;

	if (td >= 0 && (due < 0 || td < due))
		due = td;

	if (due == net->armed_due)
		return;
	net->armed_due = due;
	if (due < 0) {
		net->ops.timer(net->arg, -1);
		return;
	}
	ms = due - clock_mono_ms();
	if (ms < 0)
		ms = 0;
	if (ms > LONG_MAX)
		ms = LONG_MAX;
	net->ops.timer(net->arg, (long)ms);
}

void
fetch_xfer_free(struct fetch_xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	tftpc_free(x->tc);
	curl_slist_free_all(x->headers);
	/* A profile holds passwords (STYLE.md: secrets are wiped). */
	if (x->res.body.p != NULL)
		OPENSSL_cleanse(x->res.body.p, x->res.body.alloc);
	buf_free(&x->res.body);
	free(x);
}

/* Takes x out of the live list and the counts. */
void
fetch_xfer_unlink_live(struct fetch_net *net, struct fetch_xfer *x)
{
	list_unlink(&net->live, x);
	net->nlive--;
	if (x->tc != NULL)
		net->ntftp--;
}

/* Leaves a libcurl call: when it was the outermost one, removes and frees
 * the transfers cancelled meanwhile. */
void
fetch_net_curl_leave(struct fetch_net *net)
{
	struct fetch_xfer *x;

	if (--net->in_curl > 0)
		return;
	while ((x = net->dead) != NULL) {
		list_unlink(&net->dead, x);
		if (x->easy != NULL) {
			net->in_curl++;
			(void)curl_multi_remove_handle(net->multi, x->easy);
			net->in_curl--;
		} else if (x->tc_fd >= 0) {
			net->ops.watch(net->arg, x->tc_fd, 0);
		}
		fetch_xfer_free(x);
	}
}

/* ---- libcurl's callbacks ----------------------------------------------- */

static int
net_on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *sockp)
{
	struct fetch_net *net = userp;
	unsigned ev = 0;

	(void)easy;
	(void)sockp;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= FETCH_IN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= FETCH_OUT;
	net->ops.watch(net->arg, (int)s, ev);
	return 0;
}

static int
net_on_timer(CURLM *multi, long ms, void *userp)
{
	struct fetch_net *net = userp;

	(void)multi;
	net->curl_due = ms < 0 ? -1 : clock_mono_ms() + ms;
	fetch_net_arm(net);
	return 0;
}

/* A Content-Encoding header line of the response being read: its value,
 * trimmed, joined to any earlier one with ", " (RFC 9110 s. 5.3). A list
 * too long to keep becomes FETCH_CODING_UNKNOWN, never a cut list whose
 * last coding would be the wrong one. */
static void
xfer_on_coding(struct fetch_xfer *x, const char *p, size_t len)
{
	char *ce = x->res.content_encoding;
	size_t have = strlen(ce), i = sizeof("Content-Encoding:") - 1;

	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	while (len > i && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' ' ||
			   p[len - 1] == '\t'))
		len--;
	if (len == i || strcmp(ce, FETCH_CODING_UNKNOWN) == 0)
		return;
	if (have + 2 + (len - i) >= sizeof(x->res.content_encoding)) {
		snprintf(ce, sizeof(x->res.content_encoding), "%s", FETCH_CODING_UNKNOWN);
		return;
	}
	if (have > 0) {
		memcpy(ce + have, ", ", 2);
		have += 2;
	}
	memcpy(ce + have, p + i, len - i);
	ce[have + len - i] = '\0';
}

/* Status lines of every response, the redirects' and the 401s' included:
 * the status of the response being read decides where its body goes. Its
 * Content-Encoding is kept (libcurl decodes nothing: the engine does). */
static size_t
xfer_on_header(char *p, size_t size, size_t n, void *userp)
{
	struct fetch_xfer *x = userp;
	size_t len = size * n, i = 5;
	long code = 0;

	if (x->state != XFER_LIVE)
		return 0;
	if (len >= sizeof("Content-Encoding:") - 1 &&
	    strncasecmp(p, "Content-Encoding:", sizeof("Content-Encoding:") - 1) == 0) {
		xfer_on_coding(x, p, len);
		return len;
	}
	if (len < 12 || memcmp(p, "HTTP/", 5) != 0)
		return len;
	x->res.content_encoding[0] = '\0'; /* a new response */
	while (i < len && p[i] != ' ')
		i++;
	if (i + 3 >= len)
		return len;
	for (int k = 1; k <= 3; k++) {
		if (p[i + k] < '0' || p[i + k] > '9')
			return len;
		code = code * 10 + (p[i + k] - '0');
	}
	if (code < 200)
		return len; /* 1xx: another status line follows */
	x->code = code;
	if (code == 301 || code == 308)
		x->permanent++;
	return len;
}

/* Bodies go into the capped buffer; the bodies of non-2xx responses
 * (redirects, 401s, error pages) are counted and dropped, within the same
 * cap. Returning less than given makes libcurl stop: CURLE_WRITE_ERROR. */
static size_t
xfer_on_body(char *p, size_t size, size_t n, void *userp)
{
	struct fetch_xfer *x = userp;
	size_t len = size * n;
	curl_off_t cl = -1;

	if (x->state != XFER_LIVE)
		return 0;
	if (x->code < 200 || x->code > 299) {
		if (len > x->max_body - x->discarded) {
			x->abort = ABORT_ERRPAGE;
			return 0;
		}
		x->discarded += len;
		return len;
	}
	/* Announced too big (Content-Length): stop at once. */
	if (x->res.body.len == 0 &&
	    curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK &&
	    cl > 0 && (unsigned long long)cl > x->max_body) {
		x->abort = ABORT_TOOBIG;
		return 0;
	}
	if (len > x->max_body - x->res.body.len) {
		x->abort = ABORT_TOOBIG;
		return 0;
	}
	if (buf_add(&x->res.body, p, len) != PROV_OK) {
		x->abort = ABORT_NOMEM;
		return 0;
	}
	return len;
}

/* The address a socket is opened for: the moment to tell the caller,
 * which logs its request message with the address actually used. */
static curl_socket_t
xfer_on_opensocket(void *userp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct fetch_xfer *x = userp;
	struct sockaddr_storage ss;

	(void)purpose;
	if (x->connected) /* a redirect or another address: keep the first */
		return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, &a->addr, a->addrlen < sizeof(ss) ? a->addrlen : sizeof(ss));
	if (a->family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(void *)&ss;

		if (inet_ntop(AF_INET, &sin->sin_addr, x->sock_ip, sizeof(x->sock_ip)) != NULL)
			x->sock_port = ntohs(sin->sin_port);
	} else if (a->family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(void *)&ss;

		if (inet_ntop(AF_INET6, &sin6->sin6_addr, x->sock_ip, sizeof(x->sock_ip)) != NULL)
			x->sock_port = ntohs(sin6->sin6_port);
	}
	x->connected = 1;
	if (x->on_connect != NULL && x->sock_ip[0] != '\0')
		x->on_connect(x->arg, x->sock_ip, x->sock_port);
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* ---- outcomes ------------------------------------------------------------ */

void
fetch_res_set(struct fetch_result *r, enum fetch_status st, const char *fmt, ...)
{
	va_list ap;

	r->status = st;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

/* The transfer ran to its end: the final status decides (D-RUL-5, 6). */
static void
xfer_http_outcome(struct fetch_xfer *x)
{
	struct fetch_result *r = &x->res;
	long code = r->http_code;

	if (code >= 200 && code <= 299)
		fetch_res_set(r, FETCH_OK, "%s", "");
	else if (code == 404)
		fetch_res_set(r, FETCH_NOTFOUND, "http file not found");
	else if (code == 401 || code == 407)
		fetch_res_set(r, FETCH_AUTH, "auth failed: %ld", code);
	else if (code == 0)
		fetch_res_set(r, FETCH_ERROR, "bad server reply");
	else
		fetch_res_set(r, FETCH_HTTP_STATUS, "http_%s failed: %ld",
			x->put ? "put" : x->post ? "post" : "get", code);
}

static void
xfer_curl_outcome(struct fetch_xfer *x, CURLcode cc)
{
	struct fetch_result *r = &x->res;
	long oserr = 0;
	curl_off_t lookup = -1;

	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		fetch_res_set(r, FETCH_DNS, "dns lookup failed");
		break;
	case CURLE_COULDNT_CONNECT:
		(void)curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oserr);
		if (oserr == ECONNREFUSED)
			fetch_res_set(r, FETCH_CONNECT, "connection refused");
		else
			fetch_res_set(r, FETCH_CONNECT, "connect failed");
		break;
	case CURLE_OPERATION_TIMEDOUT:
		/* Out of time before the name resolved: a DNS failure. */
		if (x->by_name &&
		    curl_easy_getinfo(x->easy, CURLINFO_NAMELOOKUP_TIME_T, &lookup) == CURLE_OK &&
		    lookup == 0)
			fetch_res_set(r, FETCH_DNS, "dns lookup failed");
		else
			fetch_res_set(r, FETCH_TIMEOUT, "timeout");
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		fetch_res_set(r, FETCH_TLS, "tls verify failed");
		break;
	case CURLE_SSL_CERTPROBLEM:
		fetch_res_set(r, FETCH_TLS, "tls client cert unusable");
		break;
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
		fetch_res_set(r, FETCH_TLS, "tls trust store unusable");
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		fetch_res_set(r, FETCH_TLS, "tls handshake failed");
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		fetch_res_set(r, FETCH_REDIRECT, "too many redirects");
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
		/* The first URL's scheme is always allowed: a redirect. */
		fetch_res_set(r, FETCH_REDIRECT, "redirect refused");
		break;
	case CURLE_FILESIZE_EXCEEDED:
		fetch_res_set(r, FETCH_TOOBIG, "profile too large");
		break;
	case CURLE_PARTIAL_FILE:
		fetch_res_set(r, FETCH_ERROR, "transfer truncated");
		break;
	case CURLE_GOT_NOTHING:
		fetch_res_set(r, FETCH_ERROR, "empty reply");
		break;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		fetch_res_set(r, FETCH_ERROR, "connection lost");
		break;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_RANGE_ERROR:
		fetch_res_set(r, FETCH_ERROR, "bad server reply");
		break;
	case CURLE_OUT_OF_MEMORY:
		fetch_res_set(r, FETCH_ERROR, "out of memory");
		break;
	default:
		fetch_res_set(r, FETCH_ERROR, "fetch failed");
		break;
	}
}

static void
xfer_result(struct fetch_xfer *x, CURLcode cc)
{
	struct fetch_result *r = &x->res;
	char *s = NULL;
	long l = 0, nredir = 0;
	int cut = 0;

	if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &l) == CURLE_OK)
		r->http_code = l;
	if (curl_easy_getinfo(x->easy, CURLINFO_PRIMARY_IP, &s) == CURLE_OK && s != NULL)
		snprintf(r->serv_ip, sizeof(r->serv_ip), "%s", s);
	if (curl_easy_getinfo(x->easy, CURLINFO_PRIMARY_PORT, &l) == CURLE_OK &&
	    l > 0 && l <= 65535)
		r->port = (unsigned)l;
	s = NULL;
	if (curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK && s != NULL) {
		cut = strlen(s) > BOUND_URL_TEXT;
		snprintf(r->final_url, sizeof(r->final_url), "%s", s);
	}
	if (cc != CURLE_OK)
		snprintf(r->detail, sizeof(r->detail), "%s",
			 x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(cc));

	if (x->abort == ABORT_TOOBIG)
		fetch_res_set(r, FETCH_TOOBIG, "profile too large");
	else if (x->abort == ABORT_NOMEM)
		fetch_res_set(r, FETCH_ERROR, "out of memory");
	else if (cc == CURLE_OK || x->abort == ABORT_ERRPAGE)
		xfer_http_outcome(x);
	else
		xfer_curl_outcome(x, cc);

	if (r->status == FETCH_OK && !cut &&
	    curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &nredir) == CURLE_OK)
		r->redirected_permanently = nredir > 0 && x->permanent == nredir;
	if (r->status != FETCH_OK)
		buf_reset(&r->body);
}

/* ---- the net ------------------------------------------------------------ */

enum prov_err
fetch_net_new(const struct fetch_net_ops *ops, void *arg, struct fetch_net **out)
{
	struct fetch_net *net;

	*out = NULL;
	if (ops == NULL || ops->watch == NULL || ops->timer == NULL)
		return PROV_E_INVAL;
	if (pthread_once(&fetch_once, fetch_global_init) != 0)
		return PROV_E_NOMEM;
	if (fetch_init_rc != CURLE_OK)
		return PROV_E_IO; /* libcurl missing or unusable: curlfn_error() */
	net = calloc(1, sizeof(*net));
	if (net == NULL)
		return PROV_E_NOMEM;
	net->ops = *ops;
	net->arg = arg;
	net->curl_due = net->armed_due = -1;
	net->multi = curl_multi_init();
	if (net->multi == NULL ||
	    curl_multi_setopt(net->multi, CURLMOPT_SOCKETFUNCTION, net_on_socket) != CURLM_OK ||
	    curl_multi_setopt(net->multi, CURLMOPT_SOCKETDATA, net) != CURLM_OK ||
	    curl_multi_setopt(net->multi, CURLMOPT_TIMERFUNCTION, net_on_timer) != CURLM_OK ||
	    curl_multi_setopt(net->multi, CURLMOPT_TIMERDATA, net) != CURLM_OK) {
		if (net->multi != NULL)
			curl_multi_cleanup(net->multi);
		free(net);
		return PROV_E_NOMEM;
	}
	*out = net;
	return PROV_OK;
}

static void
net_destroy(struct fetch_net *net)
{
	while (net->live != NULL)
		fetch_cancel(net->live);
	net->in_curl++;
	curl_multi_cleanup(net->multi);
	net->in_curl--;
	if (net->armed_due >= 0)
		net->ops.timer(net->arg, -1);
	free(net);
}

void
fetch_net_free(struct fetch_net *net)
{
	if (net == NULL)
		return;
	if (net->depth > 0) {
		/* From a done callback: finish when the outermost call returns. */
		while (net->live != NULL)
			fetch_cancel(net->live);
		net->free_pending = 1;
		return;
	}
	net_destroy(net);
}

size_t
fetch_net_active(const struct fetch_net *net)
{
	return net->nlive;
}

static void
xfer_complete(struct fetch_net *net, struct fetch_xfer *x, CURLcode cc)
{
	xfer_result(x, cc);
	fetch_xfer_unlink_live(net, x);
	x->state = XFER_DONE;
	net->in_curl++;
	(void)curl_multi_remove_handle(net->multi, x->easy);
	fetch_net_curl_leave(net);
	x->done(x->arg, &x->res);
	fetch_xfer_free(x);
}

/* Reports the transfers libcurl has finished. */
static void
net_drain(struct fetch_net *net)
{
	CURLMsg *m;
	int left;

	while (!net->free_pending && (m = curl_multi_info_read(net->multi, &left)) != NULL) {
		struct fetch_xfer *x;

		if (m->msg != CURLMSG_DONE)
			continue;
		x = xfer_of(m->easy_handle);
		if (x == NULL || x->state != XFER_LIVE)
			continue;
		xfer_complete(net, x, m->data.result);
	}
}

static void
net_leave(struct fetch_net *net)
{
	if (--net->depth > 0)
		return;
	if (net->free_pending)
		net_destroy(net);
	else
		fetch_net_arm(net);
}

void
fetch_net_fd(struct fetch_net *net, int fd, unsigned events)
{
	struct fetch_xfer *x;
	int mask = 0, running;

	if (events & FETCH_IN)
		mask |= CURL_CSELECT_IN;
	if (events & FETCH_OUT)
		mask |= CURL_CSELECT_OUT;
	net->depth++;
	if (!net->free_pending && (x = fetch_tftp_find(net, fd)) != NULL) {
		fetch_tftp_run(net, x, 1);
	} else if (!net->free_pending) {
		net->in_curl++;
		(void)curl_multi_socket_action(net->multi, fd, mask, &running);
		fetch_net_curl_leave(net);
		net_drain(net);
	}
	net_leave(net);
}

void
fetch_net_timeout(struct fetch_net *net)
{
	long long now = clock_mono_ms();
	int running;

	net->armed_due = -1; /* the host's timer is one-shot: it is spent */
	net->depth++;
	if (!net->free_pending && net->curl_due >= 0 && net->curl_due <= now) {
		/* libcurl calls net_on_timer again if it wants more. */
		net->curl_due = -1;
		net->in_curl++;
		(void)curl_multi_socket_action(net->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		fetch_net_curl_leave(net);
	}
	if (!net->free_pending)
		net_drain(net);
	fetch_tftp_due_run(net, now);
	net_leave(net);
}

/* ---- transfers ---------------------------------------------------------- */

#define SET(opt, val)                                           \
	do {                                                    \
		if (cc == CURLE_OK)                             \
			cc = curl_easy_setopt(e, opt, val);     \
	} while (0)

/* libcurl's SSL_CTX hook: adds the custom CA (D-NET-2) to the store. A
 * bad file fails the handshake as "tls trust store unusable". */
static CURLcode
xfer_on_sslctx(CURL *easy, void *sslctx, void *arg)
{
	struct fetch_xfer *x = arg;
	X509_STORE *store = SSL_CTX_get_cert_store(sslctx);

	(void)easy;
	if (store == NULL || X509_STORE_load_file(store, x->ca_extra) != 1) {
		ERR_clear_error();
		return CURLE_SSL_CACERT_BADFILE;
	}
	return CURLE_OK;
}

static CURLcode
xfer_setopts(struct fetch_xfer *x, const struct fetch_req *req, const char *url)
{
	CURL *e = x->easy;
	CURLcode cc = CURLE_OK;
	long timeout = req->timeout_ms > 0 ? req->timeout_ms : BOUND_NET_TIMEOUT_MS;
	long connect = req->connect_timeout_ms > 0 ? req->connect_timeout_ms
						   : FETCH_DEFAULT_CONNECT_MS;

	if (connect > timeout)
		connect = timeout;
	SET(CURLOPT_PRIVATE, (void *)x);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	/* No redirect from https to anything weaker. */
	SET(CURLOPT_REDIR_PROTOCOLS_STR,
	    req->url->scheme == URL_HTTPS ? "https" : "http,https");
	SET(CURLOPT_NOSIGNAL, 1L);
	/* Cancelling while a name resolves must not wait for the resolver
	 * thread: it finishes and frees its own state later. */
	SET(CURLOPT_QUICK_EXIT, 1L);
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_WRITEFUNCTION, xfer_on_body);
	SET(CURLOPT_WRITEDATA, (void *)x);
	SET(CURLOPT_OPENSOCKETFUNCTION, xfer_on_opensocket);
	SET(CURLOPT_OPENSOCKETDATA, (void *)x);
	SET(CURLOPT_HEADERFUNCTION, xfer_on_header);
	SET(CURLOPT_HEADERDATA, (void *)x);
	/* Content codings are the engine's to undo (aes128gcm needs the
	 * device's IKM); no Accept-Encoding is sent either. */
	SET(CURLOPT_HTTP_CONTENT_DECODING, 0L);
	SET(CURLOPT_TIMEOUT_MS, timeout);
	SET(CURLOPT_CONNECTTIMEOUT_MS, connect);
	/* A stalled transfer ends. */
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, FETCH_STALL_S);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRS);
	if (req->user_agent != NULL)
		SET(CURLOPT_USERAGENT, req->user_agent);
	if (req->uid != NULL) {
		SET(CURLOPT_USERNAME, req->uid);
		SET(CURLOPT_PASSWORD, req->pwd != NULL ? req->pwd : "");
		/* Both: nothing is sent until a 401 says which (D-RUL-6). */
		SET(CURLOPT_HTTPAUTH, (long)(CURLAUTH_BASIC | CURLAUTH_DIGEST));
	}
	if (req->post != NULL) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->postlen);
		SET(CURLOPT_COPYPOSTFIELDS, req->post);
		if (req->upload && req->put)
			SET(CURLOPT_CUSTOMREQUEST, "PUT");
		/* An upload redirected by 301/302 goes on with its body;
		 * libcurl would turn it into a GET (a 303 still does). */
		if (req->upload)
			SET(CURLOPT_POSTREDIR, (long)(CURL_REDIR_POST_301 | CURL_REDIR_POST_302));
		/* No "Expect: 100-continue" round trip. */
		x->headers = curl_slist_append(NULL, "Expect:");
		if (x->headers == NULL)
			return CURLE_OUT_OF_MEMORY;
		if (req->content_type != NULL) {
			char ct[128];
			struct curl_slist *more;

			snprintf(ct, sizeof(ct), "Content-Type: %s", req->content_type);
			more = curl_slist_append(x->headers, ct);
			if (more == NULL)
				return CURLE_OUT_OF_MEMORY;
			x->headers = more;
		}
		SET(CURLOPT_HTTPHEADER, x->headers);
	}
	/* TLS for https, and for an http URL redirected to https. */
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_file != NULL) {
		/* The device's trust store, alone; it may change (Custom_CA_Rule),
		 * so libcurl must not cache it. */
		SET(CURLOPT_CAINFO, req->ca_file);
		SET(CURLOPT_CAPATH, (char *)NULL);
		SET(CURLOPT_CA_CACHE_TIMEOUT, 0L);
	}
	if (req->ca_extra_file != NULL) {
		/* The custom CA goes into this handle's own store, after (or
		 * before: both add) what CAINFO loads; an uncached store, so
		 * another transfer's trust is never widened. */
		if (strlen(req->ca_extra_file) >= sizeof(x->ca_extra))
			return CURLE_BAD_FUNCTION_ARGUMENT;
		memcpy(x->ca_extra, req->ca_extra_file, strlen(req->ca_extra_file) + 1);
		SET(CURLOPT_CA_CACHE_TIMEOUT, 0L);
		SET(CURLOPT_SSL_CTX_FUNCTION, xfer_on_sslctx);
		SET(CURLOPT_SSL_CTX_DATA, (void *)x);
	}
	if (req->cert_file != NULL) {
		SET(CURLOPT_SSLCERT, req->cert_file);
		SET(CURLOPT_SSLKEY, req->key_file != NULL ? req->key_file : req->cert_file);
	}
	return cc;
}

enum prov_err
fetch_start(struct fetch_net *net, const struct fetch_req *req,
	    void (*done)(void *arg, struct fetch_result *res), void *arg,
	    struct fetch_xfer **out, struct diag *d)
{
	struct fetch_xfer *x = NULL;
	struct buf url;
	struct in_addr a4;
	enum prov_err rc = PROV_OK;
	CURLcode cc;

	*out = NULL;
	buf_init(&url, BOUND_URL_TEXT + 64);
	if (req == NULL || req->url == NULL || req->url->host[0] == '\0' || done == NULL) {
		rc = diag_set(d, PROV_E_INVAL, 0, 0, "fetch: no URL host");
		goto out;
	}
	if (net->in_curl > 0 || net->free_pending) {
		rc = diag_set(d, PROV_E_INVAL, 0, 0, "fetch: started from inside the net's ops");
		goto out;
	}
	if (req->url->scheme == URL_TFTP && req->tftp_blksize != 0 &&
	    (req->tftp_blksize < FETCH_TFTP_BLKSIZE_MIN ||
	     req->tftp_blksize > FETCH_TFTP_BLKSIZE_MAX)) {
		rc = diag_set(d, PROV_E_INVAL, 0, 0, "fetch: tftp blksize %u outside %u..%u",
			      req->tftp_blksize, FETCH_TFTP_BLKSIZE_MIN, FETCH_TFTP_BLKSIZE_MAX);
		goto out;
	}
	if (url_format(req->url, &url) != PROV_OK) {
		rc = diag_set(d, PROV_E_TOOBIG, 0, 0, "fetch: URL too long");
		goto out;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		rc = diag_set(d, PROV_E_NOMEM, 0, 0, "fetch: out of memory");
		goto out;
	}
	x->net = net;
	x->tc_fd = -1;
	x->done = done;
	x->arg = arg;
	x->on_connect = req->on_connect;
	x->tftp = req->url->scheme == URL_TFTP;
	x->post = req->post != NULL;
	x->put = x->post && req->upload && req->put;
	x->by_name = !req->url->host_ipv6 && inet_pton(AF_INET, req->url->host, &a4) != 1;
	x->max_body = req->max_body != 0 ? req->max_body : PROV_PROFILE_MAX;
	buf_init(&x->res.body, x->max_body);
	snprintf(x->res.final_url, sizeof(x->res.final_url), "%s", url.p);
	if (x->tftp) {
		if ((rc = fetch_tftp_start(net, x, req, d)) != PROV_OK)
			goto out;
		*out = x;
		x = NULL;
		goto out;
	}
	x->easy = curl_easy_init();
	if (x->easy == NULL) {
		rc = diag_set(d, PROV_E_NOMEM, 0, 0, "fetch: out of memory");
		goto out;
	}
	cc = xfer_setopts(x, req, url.p);
	if (cc != CURLE_OK) {
		rc = diag_set(d, cc == CURLE_OUT_OF_MEMORY ? PROV_E_NOMEM : PROV_E_INVAL, 0, 0,
			      "fetch: %s", curl_easy_strerror(cc));
		goto out;
	}
	net->in_curl++;
	if (curl_multi_add_handle(net->multi, x->easy) != CURLM_OK)
		rc = diag_set(d, PROV_E_NOMEM, 0, 0, "fetch: libcurl refused the transfer");
	fetch_net_curl_leave(net);
	if (rc != PROV_OK)
		goto out;
	fetch_list_push(&net->live, x);
	net->nlive++;
	*out = x;
	x = NULL;
out:
	buf_free(&url);
	fetch_xfer_free(x);
	return rc;
}

void
fetch_cancel(struct fetch_xfer *x)
{
	struct fetch_net *net;

	if (x == NULL || x->state != XFER_LIVE)
		return;
	net = x->net;
	fetch_xfer_unlink_live(net, x);
	x->state = XFER_DEAD;
	if (net->in_curl > 0) {
		fetch_list_push(&net->dead, x);
		return;
	}
	if (x->tc != NULL) {
		if (x->tc_fd >= 0)
			net->ops.watch(net->arg, x->tc_fd, 0);
	} else {
		net->in_curl++;
		(void)curl_multi_remove_handle(net->multi, x->easy);
		fetch_net_curl_leave(net);
	}
	fetch_xfer_free(x);
	if (net->depth == 0)
		fetch_net_arm(net);
}
