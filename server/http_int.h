/*
 * http_int: what http.c (connections: read, send, linger, the timer),
 * http_accept.c (accept, the caps, overload) and http_resp.c (history,
 * responses, GET, uploads) share. Not for use outside server/http*.c: http.h is the API.
 */
#ifndef PROV_SERVER_HTTP_INT_H
#define PROV_SERVER_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "http.h"
#include "config.h"
#include "http_parse.h"
#include "metrics.h"
#include "root.h"
#include "tls.h"

#define HTTP_INBUF 4096u                  /* input buffer per connection */
#define HTTP_HEAD_MAX 1024u               /* response head (status line + headers) */
#define HTTP_TLS_CHUNK 16384u             /* file bytes per SSL_write: one TLS record */
#define HTTP_SENDFILE_CHUNK (256u * 1024u) /* bytes asked of one sendfile call */
#define HTTP_SEND_BURST (1024u * 1024u)   /* bytes written per connection per loop turn */
#define HTTP_READ_BURST (256u * 1024u)    /* bytes read per plain connection per turn */
#define HTTP_ACCEPT_BURST 256u            /* accepts per listener readiness */
#define HTTP_ACCEPT_PAUSE_MS 100          /* pause accepting when out of fds */
#define HTTP_LINGER_MS 1000               /* drain after the last response, at most */
#define HTTP_LINGER_MAX (256u * 1024u)    /* bytes discarded while lingering */
#define HTTP_REFUSED_MAX 64u              /* 503 answers in flight per worker */
#define HTTP_RETRY_AFTER_S 1              /* Retry-After of a 503 over a cap */
#define HTTP_SHED_DRAIN 4096u             /* request bytes read before a shed close */
#define HTTP_SHED_LOG_MS 1000             /* at most one shedding report per period */
#define HTTP_UPLOAD_NAME_MAX 255u         /* longest upload file name: NAME_MAX */
#define HTTP_CLIENT_BUCKETS 1024u         /* per-client count hash buckets (power of 2) */
#define HTTP_METRICS_MIN (16u * 1024u)    /* first /metrics render buffer */
#define HTTP_METRICS_MAX (1024u * 1024u)  /* largest /metrics body */

#define HTTP_STR_(x) #x
#define HTTP_STR(x) HTTP_STR_(x)         /* a numeric limit in a header line */

/* ---- connections ------------------------------------------------------ */

enum conn_state { CS_HANDSHAKE, CS_READ, CS_SEND, CS_LINGER };
enum conn_after { AFTER_BODY, AFTER_NEXT, AFTER_CLOSE };

/* I/O results besides a byte count (> 0). */
#define IO_EOF 0
#define IO_WANT_READ (-1)
#define IO_WANT_WRITE (-2)
#define IO_ERROR (-3)

struct http_client {
	struct http_client *next;
	unsigned char addr[16];        /* IPv6, or IPv4-mapped */
	unsigned count;
};

struct http_upload {
	int fd;
	int existed;                   /* the name was there before: 204, not 201 */
	char tmp[ROOT_PATH_MAX];
	char name[ROOT_PATH_MAX + 1];
};

/* A report upload (reportd.h): the body, kept in memory up to
 * REPORTD_BODY_MAX. */
struct http_report {
	char *buf;
	size_t len, cap;
	char mac[13];                  /* the path's MAC, "" when none */
	int need_cert;
	int over;                      /* past REPORTD_BODY_MAX: dropped, then 413 */
};

struct http_conn {
	struct http *h;
	struct http_conn *prev, *next;
	int fd;
	SSL *ssl;                      /* HTTPS, or NULL */
	enum conn_state state;
	unsigned watch;                /* events watched on the loop */
	struct http_client *cl;        /* NULL for a refused connection */
	int refused;                   /* over a cap: 503 then close */
	char client[64];               /* "ADDR:PORT" / "[ADDR6]:PORT" */
	const char *why;               /* reason of the coming close, for the log */
	/* the one timer, inside the connection: stopping it is one heap
	 * removal (loop_timer_del), and a stale id is a no-op */
	uint64_t tm_id;                /* armed timer, or 0 */
	int64_t tm_at;                 /* when it fires */
	int64_t deadline;
	const char *deadline_why;
	/* input */
	struct http_parse p;
	char fields[HTTP_FIELD_STORE];        /* p's header values (http_fields) */
	char in[HTTP_INBUF];
	size_t in_off, in_len;
	size_t read_burst;             /* bytes read this loop turn */
	int read_short;                /* this turn's last recv got less than asked */
	int nodelay;                   /* TCP_NODELAY is set */
	size_t linger_bytes;           /* bytes discarded while lingering */
	unsigned nreq;                 /* requests answered */
	int req_started;               /* bytes of the current request seen */
	uint64_t t0_us;                /* the current request's first byte, monotonic */
	int64_t t0_wall_ms;
	struct http_upload *up;
	struct http_report *rep;       /* a report route's upload, or NULL */
	/* output */
	char *out;                     /* head and in-memory body */
	size_t out_len, out_off, head_len;
	int file_fd;                   /* body from a file, or -1 */
	uint64_t file_off, file_left;  /* next byte to read, bytes not yet read */
	char *tbuf;                    /* TLS: file bytes read, not yet written */
	size_t tbuf_len, tbuf_off;
	uint64_t body_sent;
	enum conn_after after;
	/* history of the request being answered */
	int rec;                       /* a final response is queued: record it */
	int status;
	int method;                    /* enum http_method, or -1 */
	/* TLS identity */
	int peer_ok;
	struct tls_peer peer;
	/* the body of an activation or a renewal (activate.c), or NULL */
	char *act_body;
	size_t act_len, act_cap;
	int act_over;                  /* more than act_cap bytes came */
	int act_cert;                  /* a renewal CSR (ca.h), not an activation */
};

struct http {
	struct srv *srv;
	int fd;
	int tls;
	int admin;                     /* the --admin listener: api.c answers */
	int draining;
	int accepting;                 /* the listen fd is on the loop */
	uint64_t accept_timer;
	int reserve;                   /* a spare descriptor, freed to shed (or -1) */
	unsigned n_shed;               /* shed since the last report */
	int64_t shed_log_at;           /* when the last report was made */
	struct http_conn *conns;
	unsigned n_conns, n_served, n_refused;
	int64_t full_since;            /* at http_max_conns since (loop ms), 0: under it */
	unsigned n_held;               /* times the cap was reached since the last report */
	int64_t hold_log_at;           /* when the last report was made */
	uint32_t seed;                 /* per-listener hash seed: chains stay short */
	struct http_client *clients[HTTP_CLIENT_BUCKETS];
};

/* http.c */
enum metrics_proto http_conn_proto(const struct http_conn *c);
const struct config_limits *http_conn_lim(const struct http_conn *c);
int http_conn_deadline(struct http_conn *c, unsigned ms, const char *why);
struct http_client **http_client_slot(struct http *h, const unsigned char key[16]);
int http_conn_run(struct http_conn *c);
void http_conn_close(struct http_conn *c, const char *why);

/* http_accept.c */
void http_accept(void *arg, int fd, unsigned events);
void http_unhold(struct http *h);

/* http_resp.c */
void http_conn_record(struct http_conn *c);
int http_conn_error(struct http_conn *c, int status, const char *why, const char *extra);
int http_conn_on_body(void *arg, const char *buf, size_t len);
void http_conn_upload_abort(struct http_conn *c);
int http_conn_headers(struct http_conn *c);
int http_conn_done(struct http_conn *c);
int http_conn_reply(struct http_conn *c, int status, const char *ctype, const char *extra,
		    const char *body, size_t len);

/* activate.c: POST ACT_PATH and CA_PATH. start: 2 when the request is
 * neither, else as http_conn_headers; done: the answer. */
int activate_http_start(struct http_conn *c);
int activate_http_done(struct http_conn *c);
void activate_http_free(struct http_conn *c);

/* api.c: every request of an admin listener (struct http's admin). */
int api_http_start(struct http_conn *c);
int api_http_done(struct http_conn *c);

#endif
