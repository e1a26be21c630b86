/*
 *fetch_int: what fetch.c (libcurl, the net, transfers) and fetch_tftp.c
 *(TFTP through tftpc.c) share. Not for use outside lib/fetch*.c:
 * fetch.h is the module's contract.
 */
#ifndef PROV_FETCH_INT_H
#define PROV_FETCH_INT_H

#include "curlfn.h"
#include "fetch.h"
#include "tftpc.h"

/* The oldest libcurl fetch.c works with, at build time and (curlfn.c) at run time. */
#define FETCH_CURL_MIN 0x075700
#if LIBCURL_VERSION_NUM < FETCH_CURL_MIN
#error "libcurl 7.87 or later is needed (CURLOPT_PROTOCOLS_STR, CURLOPT_QUICK_EXIT)"
#endif

enum xfer_state {
	XFER_LIVE,  /* in net->live, counted */
	XFER_DONE,  /* its done callback is running */
	XFER_DEAD   /* cancelled inside libcurl, parked in net->dead */
};

enum xfer_abort {
	ABORT_NONE,
	ABORT_TOOBIG,   /* a 2xx body over max_body */
	ABORT_ERRPAGE,  /* an error page over max_body: report its status */
	ABORT_NOMEM
};

struct fetch_xfer {
	struct fetch_net *net;
	struct fetch_xfer *prev, *next; /* in net->live or net->dead */
	CURL *easy;
	struct curl_slist *headers;
	void (*done)(void *arg, struct fetch_result *res);
	void *arg;
	enum xfer_state state;
	enum xfer_abort abort;
	int tftp, post, put;
	struct tftpc *tc;     /* TFTP: the client (no easy handle then) */
	int tc_fd;            /* the fd of tc the host watches, -1 */
	int tc_fire;          /* due in this fetch_net_timeout round */
	int by_name;          /* the host is a name, not an address */
	size_t max_body;
	size_t discarded;     /* bytes of error pages thrown away */
	long code;            /* status of the HTTP response being read */
	long permanent;       /* 301 and 308 responses seen */
	char sock_ip[64];     /* the address the first socket was opened for */
	void (*on_connect)(void *arg, const char *ip, unsigned port);
	int connected;        /* on_connect was called */
	unsigned sock_port;
	char errbuf[CURL_ERROR_SIZE];
	char ca_extra[PATH_MAX]; /* req->ca_extra_file, "" for none */
	struct fetch_result res;
};

struct fetch_net {
	CURLM *multi;
	struct fetch_net_ops ops;
	void *arg;
	struct fetch_xfer *live; /* in progress: nlive of them */
	struct fetch_xfer *dead; /* cancelled while libcurl ran */
	size_t nlive;
	size_t ntftp;            /* of them TFTP */
	int in_curl;             /* depth of calls into libcurl */
	int depth;               /* depth of fetch_net_fd/timeout calls */
	int free_pending;        /*fetch_net_free from inside a callback */
	long long curl_due;      /* libcurl's deadline (monotonic ms), -1 */
	long long armed_due;     /* what the host's timer is armed for, -1 */
};

/* fetch.c */
void fetch_list_push(struct fetch_xfer **head, struct fetch_xfer *x);
void fetch_net_arm(struct fetch_net *net);
void fetch_xfer_free(struct fetch_xfer *x);
void fetch_xfer_unlink_live(struct fetch_net *net, struct fetch_xfer *x);
void fetch_net_curl_leave(struct fetch_net *net);

/* fetch_tftp.c */
void fetch_tftp_run(struct fetch_net *net, struct fetch_xfer *x, int readable);
struct fetch_xfer *fetch_tftp_find(struct fetch_net *net, int fd);
void fetch_tftp_due_run(struct fetch_net *net, long long now);
enum prov_err fetch_tftp_start(struct fetch_net *net, struct fetch_xfer *x,
			       const struct fetch_req *req, struct diag *d);

void fetch_res_set(struct fetch_result *r, enum fetch_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
