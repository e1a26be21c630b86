/*
 * config: the option table of `prov serve` and its file format
 * (config.h). One table row per option: the file and the command line
 * both go through config_set, so they cannot disagree.
 */
#include "config.h"
#include "db.h"
#include "log.h"
#include "hostport.h"
#include "render.h"
#include "reportd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum opt_type { OPT_STR, OPT_BOOL, OPT_UINT, OPT_U64, OPT_LISTEN, OPT_LEVEL, OPT_ROUTE };

struct opt {
	const char *name;
	enum opt_type type;
	size_t off;            /* field in struct srv_cfg */
	size_t count_off;      /* OPT_LISTEN: the n_* counter */
	unsigned long long min, max;
	unsigned long long def; /* OPT_BOOL, OPT_UINT, OPT_U64, OPT_LEVEL: the default */
};

#define F(field) offsetof(struct srv_cfg, field)
#define L(field) offsetof(struct srv_cfg, lim.field)

/* One row per option: name, type, field, counter (listen), bounds
 * (numbers), default (Redis static_configs[]). */
static const struct opt opts[] = {
	{ "root", OPT_STR, F(root), 0, 0, 0, 0 },
	{ "upload", OPT_STR, F(upload), 0, 0, 0, 0 },
	{ "db", OPT_STR, F(db), 0, 0, 0, 0 },
	{ "cert", OPT_STR, F(cert), 0, 0, 0, 0 },
	{ "key", OPT_STR, F(key), 0, 0, 0, 0 },
	{ "client-ca", OPT_STR, F(client_ca), 0, 0, 0, 0 },
	{ "require-client-cert", OPT_BOOL, F(require_client_cert), 0, 0, 1, 0 },
	{ "user", OPT_STR, F(user), 0, 0, 0, 0 },
	{ "log", OPT_STR, F(log), 0, 0, 0, 0 },
	{ "log-level", OPT_LEVEL, F(log_level), 0, 0, 0, LOG_INFO },
	{ "workers", OPT_UINT, F(workers), 0, 1, 64, 1 },
	{ "tftp", OPT_LISTEN, F(tftp), F(n_tftp), 0, 0, 0 },
	{ "http", OPT_LISTEN, F(http), F(n_http), 0, 0, 0 },
	{ "https", OPT_LISTEN, F(https), F(n_https), 0, 0, 0 },
	{ "syslog", OPT_LISTEN, F(syslog), F(n_syslog), 0, 0, 0 },
	{ "admin", OPT_LISTEN, F(admin), F(n_admin), 0, 0, 0 },
	{ "tftp-max-transfers", OPT_UINT, L(tftp_max_transfers), 0, 1, 1000000, 4096 },
	{ "tftp-max-per-client", OPT_UINT, L(tftp_max_per_client), 0, 1, 100000, 4096 },
	{ "tftp-timeout-ms", OPT_UINT, L(tftp_timeout_ms), 0, 10, 255000, 1000 },
	{ "tftp-retries", OPT_UINT, L(tftp_retries), 0, 0, 100, 5 },
	{ "tftp-max-timeout-s", OPT_UINT, L(tftp_max_timeout_s), 0, 1, 255, 5 },
	{ "tftp-max-transfer-ms", OPT_UINT, L(tftp_max_transfer_ms), 0, 10, 86400000, 15 * 60 * 1000 },
	{ "tftp-max-window", OPT_UINT, L(tftp_max_window), 0, 1, 65535, 64 },
	{ "tftp-max-blksize", OPT_UINT, L(tftp_max_blksize), 0, 8, 65464, 65464 },
	{ "http-max-conns", OPT_UINT, L(http_max_conns), 0, 1, 1000000, 10000 },
	{ "http-max-per-client", OPT_UINT, L(http_max_per_client), 0, 1, 1000000, 10000 },
	{ "http-header-max", OPT_UINT, L(http_header_max), 0, 256, 1024 * 1024, 16 * 1024 },
	{ "http-body-max", OPT_U64, L(http_body_max), 0, 0, 1ull << 40, 16ull * 1024 * 1024 },
	{ "http-header-timeout-ms", OPT_UINT, L(http_header_timeout_ms), 0, 10, 3600000, 10000 },
	{ "http-body-timeout-ms", OPT_UINT, L(http_body_timeout_ms), 0, 10, 3600000, 10000 },
	{ "http-idle-timeout-ms", OPT_UINT, L(http_idle_timeout_ms), 0, 10, 3600000, 30000 },
	{ "http-send-timeout-ms", OPT_UINT, L(http_send_timeout_ms), 0, 10, 3600000, 30000 },
	{ "http-keepalive-max", OPT_UINT, L(http_keepalive_max), 0, 1, 10000000, 1000 },
	{ "http-overload-wait-ms", OPT_UINT, L(http_overload_wait_ms), 0, 0, 3600000, 10000 },
	{ "syslog-msg-max", OPT_UINT, L(syslog_msg_max), 0, 64, 65507, 4096 },
	{ "syslog-rate", OPT_UINT, L(syslog_rate), 0, 0, 1000000, 20 },
	{ "syslog-burst", OPT_UINT, L(syslog_burst), 0, 1, 1000000, 200 },
	{ "history-max-age-days", OPT_UINT, L(history_max_age_days), 0, 0, 36500, 90 },
	{ "history-max-mb", OPT_UINT, L(history_max_mb), 0, 0, 16u * 1024 * 1024, 1024 },
	{ "route", OPT_ROUTE, F(routes), F(n_routes), 0, 0, 0 },
	{ "enum-miss-burst", OPT_UINT, L(enum_miss_burst), 0, 0, 1000000, 1000 },
	{ "enum-miss-rate", OPT_UINT, L(enum_miss_rate), 0, 0, 1000000, 600 },
	{ "enum-cooldown-s", OPT_UINT, L(enum_cooldown_s), 0, 1, 86400, 300 },
	{ "activation-rule", OPT_STR, F(activation_rule), 0, 0, 0, 0 },
	{ "device-ca", OPT_STR, F(device_ca), 0, 0, 0, 0 },
	{ "device-cert-days", OPT_UINT, F(device_cert_days), 0, 1, 36500, 365 },
	{ "admin-token-file", OPT_STR, F(admin_token_file), 0, 0, 0, 0 },
	{ "admin-tls", OPT_BOOL, F(admin_tls), 0, 0, 1, 0 },
};

#undef F
#undef L

/* Every default is in its row of opts[]; the rest is zero (no file, no
 * listener). */
void
config_defaults(struct srv_cfg *c)
{
	char *base = (char *)c;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const struct opt *o = &opts[i];

		switch (o->type) {
		case OPT_BOOL:
		case OPT_LEVEL:
			*(int *)(void *)(base + o->off) = (int)o->def;
			break;
		case OPT_UINT:
			*(unsigned *)(void *)(base + o->off) = (unsigned)o->def;
			break;
		case OPT_U64:
			*(unsigned long long *)(void *)(base + o->off) = o->def;
			break;
		case OPT_STR:
		case OPT_LISTEN:
		case OPT_ROUTE:
			break;
		}
	}
}

__attribute__((format(printf, 3, 4)))
static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
config_parse_listen(const char *text, struct config_listen *l)
{
	char host[64];
	const char *port_s;
	char *end;
	unsigned long port;

	memset(l, 0, sizeof(*l));
	if (strlen(text) >= sizeof(l->text))
		return -1;
	/* IPv6 only in brackets; an empty IPv4 host is the wildcard. */
	if (hostport_split(text, host, sizeof(host), &port_s) != 0 || port_s == NULL ||
	    (text[0] == '[' ? host[0] == '\0' : strchr(host, ':') != NULL))
		return -1;
	if (*port_s < '0' || *port_s > '9')
		return -1;
	errno = 0;
	port = strtoul(port_s, &end, 10);
	if (errno != 0 || *end != '\0' || port > 65535)
		return -1;
	if (text[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&l->addr;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -1;
		l->addrlen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&l->addr;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (host[0] == '\0')
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -1;
		l->addrlen = sizeof(*s4);
	}
	strcpy(l->text, text);
	return 0;
}

static const struct opt *
opt_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strcmp(opts[i].name, name) == 0)
			return &opts[i];
	return NULL;
}

int
config_is_flag(const char *name)
{
	const struct opt *o = opt_find(name);

	return o == NULL ? -1 : o->type == OPT_BOOL;
}

static int
parse_u64(const char *v, unsigned long long *out)
{
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

int
config_set(struct srv_cfg *c, const char *name, const char *value, char *err, size_t errlen)
{
	const struct opt *o = opt_find(name);
	char *base = (char *)c;
	unsigned long long n;

	if (o == NULL)
		return fail(err, errlen, "unknown option '%s'", name);
	switch (o->type) {
	case OPT_STR: {
		char **field = (char **)(void *)(base + o->off);
		char *copy;

		if (value[0] == '\0')
			return fail(err, errlen, "%s: empty value", name);
		copy = strdup(value);
		if (copy == NULL)
			return fail(err, errlen, "out of memory");
		free(*field);
		*field = copy;
		return 0;
	}
	case OPT_BOOL: {
		int *field = (int *)(void *)(base + o->off);

		if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 || strcmp(value, "on") == 0
		    || strcmp(value, "1") == 0)
			*field = 1;
		else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0
			 || strcmp(value, "off") == 0 || strcmp(value, "0") == 0)
			*field = 0;
		else
			return fail(err, errlen, "%s: '%s' is not yes or no", name, value);
		return 0;
	}
	case OPT_UINT:
	case OPT_U64:
		if (parse_u64(value, &n) < 0 || n < o->min || n > o->max)
			return fail(err, errlen, "%s: '%s' is not a number from %llu to %llu", name,
				    value, o->min, o->max);
		if (o->type == OPT_UINT)
			*(unsigned *)(void *)(base + o->off) = (unsigned)n;
		else
			*(unsigned long long *)(void *)(base + o->off) = n;
		return 0;
	case OPT_LEVEL: {
		int lv = log_level_parse(value);

		if (lv < 0)
			return fail(err, errlen,
				    "%s: '%s' is not one of err, warning, notice, info, debug", name,
				    value);
		*(int *)(void *)(base + o->off) = lv;
		return 0;
	}
	case OPT_LISTEN: {
		struct config_listen *arr = (struct config_listen *)(void *)(base + o->off);
		unsigned *count = (unsigned *)(void *)(base + o->count_off);
		struct config_listen l;

		if (config_parse_listen(value, &l) < 0)
			return fail(err, errlen,
				    "%s: '%s' is not ADDR:PORT, [ADDR6]:PORT or :PORT", name, value);
		if (*count >= CONFIG_LISTEN_MAX)
			return fail(err, errlen, "%s: more than %u addresses", name,
				    CONFIG_LISTEN_MAX);
		arr[(*count)++] = l;
		return 0;
	}
	case OPT_ROUTE: {
		char **arr = (char **)(void *)(base + o->off);
		unsigned *count = (unsigned *)(void *)(base + o->count_off);
		struct route r;
		char why[384];

		if (reportd_route_is(value)) {
			/* A report route (reportd.h): kept apart, render never sees it. */
			if (reportd_route_check(value, why, sizeof(why)) < 0)
				return fail(err, errlen, "%s: %s", name, why);
			if (c->n_reports >= CONFIG_ROUTE_MAX)
				return fail(err, errlen, "%s: more than %u report routes", name,
					    CONFIG_ROUTE_MAX);
			if ((c->reports[c->n_reports] = strdup(value)) == NULL)
				return fail(err, errlen, "out of memory");
			c->n_reports++;
			return 0;
		}
		if (route_parse(value, &r, why, sizeof(why)) < 0)
			return fail(err, errlen, "%s: %s", name, why);
		if (*count >= CONFIG_ROUTE_MAX)
			return fail(err, errlen, "%s: more than %u routes", name, CONFIG_ROUTE_MAX);
		if ((arr[*count] = strdup(value)) == NULL)
			return fail(err, errlen, "out of memory");
		(*count)++;
		return 0;
	}
	}
	return fail(err, errlen, "%s: bad option type", name);
}

int
config_parse(struct srv_cfg *c, const char *text, size_t len, const char *name, char *err,
	     size_t errlen)
{
	size_t pos = 0;
	unsigned line = 0;

	if (len > CONFIG_FILE_MAX)
		return fail(err, errlen, "%s: larger than %u bytes", name, CONFIG_FILE_MAX);
	while (pos < len) {
		char buf[CONFIG_LINE_MAX + 1], why[256];
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		char *p, *key, *val, *end;

		line++;
		if (ll > CONFIG_LINE_MAX)
			return fail(err, errlen, "%s:%u: line longer than %u bytes", name, line,
				    CONFIG_LINE_MAX);
		memcpy(buf, text + pos, ll);
		buf[ll] = '\0';
		pos += ll + (nl != NULL);
		if (memchr(buf, '\0', ll) != NULL)
			return fail(err, errlen, "%s:%u: NUL byte", name, line);
		p = buf;
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		key = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p != '\0')
			*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		val = p;
		/* A '#' after white space starts a comment. */
		for (end = val; *end != '\0'; end++)
			if (*end == '#' && (end == val || end[-1] == ' ' || end[-1] == '\t')) {
				*end = '\0';
				break;
			}
		end = val + strlen(val);
		while (end > val && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		if (*val == '\0')
			return fail(err, errlen, "%s:%u: %s: missing value", name, line, key);
		{
			const struct opt *o = opt_find(key);

			/* Listen options take several space-separated addresses. */
			if (o != NULL && o->type == OPT_LISTEN) {
				char *save = NULL, *tok;

				for (tok = strtok_r(val, " \t", &save); tok != NULL;
				     tok = strtok_r(NULL, " \t", &save))
					if (config_set(c, key, tok, why, sizeof(why)) < 0)
						return fail(err, errlen, "%s:%u: %s", name, line, why);
				continue;
			}
		}
		if (config_set(c, key, val, why, sizeof(why)) < 0)
			return fail(err, errlen, "%s:%u: %s", name, line, why);
	}
	return 0;
}

int
config_load(struct srv_cfg *c, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fail(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > CONFIG_FILE_MAX) {
		fail(err, errlen, "%s: larger than %u bytes", path, CONFIG_FILE_MAX);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size && (n = read(fd, text + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	rc = config_parse(c, text, got, path, err, errlen);
	if (rc == 0) {
		free(c->file);
		c->file = strdup(path);
	}
out:
	free(text);
	close(fd);
	return rc;
}

static int
readable(const char *what, const char *path, int dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return fail(err, errlen, "%s %s: %s", what, path, strerror(errno));
	if (dir && !S_ISDIR(st.st_mode))
		return fail(err, errlen, "%s %s: not a directory", what, path);
	if (!dir && !S_ISREG(st.st_mode))
		return fail(err, errlen, "%s %s: not a regular file", what, path);
	if (access(path, dir ? R_OK | X_OK : R_OK) < 0)
		return fail(err, errlen, "%s %s: %s", what, path, strerror(errno));
	return 0;
}

/* 1 when the directory a is b or lies beneath it, once both are resolved
 * (symlinks, "..", trailing '/'). */
static int
beneath(const char *a, const char *b)
{
	size_t n = strlen(b);

	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || strcmp(b, "/") == 0);
}

/* An upload directory equal to, inside or containing the root would let an
 * unauthenticated upload replace a served file (or serve a report). */
static int
check_overlap(const struct srv_cfg *c, char *err, size_t errlen)
{
	char *r = realpath(c->root, NULL), *u = realpath(c->upload, NULL);
	int rc = 0;

	if (r == NULL || u == NULL)
		rc = fail(err, errlen, "%s: %s", r == NULL ? c->root : c->upload, strerror(errno));
	else if (beneath(u, r) || beneath(r, u))
		rc = fail(err, errlen, "upload %s and root %s overlap: an upload could replace a "
			  "served file; give separate trees", c->upload, c->root);
	free(r);
	free(u);
	return rc;
}

/* 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104. */
static int
loopback(const struct config_listen *l)
{
	if (l->addr.ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)&l->addr)->sin_addr.s_addr) >> 24) == 127;
	if (l->addr.ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)&l->addr)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

int
config_check(const struct srv_cfg *c, char *err, size_t errlen)
{
	if (c->root == NULL)
		return fail(err, errlen, "no root directory (--root DIR or 'root DIR')");
	if (readable("root", c->root, 1, err, errlen) < 0)
		return -1;
	if (c->upload != NULL && (readable("upload", c->upload, 1, err, errlen) < 0
				  || check_overlap(c, err, errlen) < 0))
		return -1;
	if (c->n_tftp + c->n_http + c->n_https + c->n_syslog == 0)
		return fail(err, errlen, "nothing to serve: give --tftp, --http, --https or --syslog");
	if (c->n_https > 0 || c->admin_tls) {
		if (c->cert == NULL || c->key == NULL)
			return fail(err, errlen, "%s needs --cert PEM and --key PEM",
				    c->n_https > 0 ? "https" : "admin-tls");
		if (readable("cert", c->cert, 0, err, errlen) < 0
		    || readable("key", c->key, 0, err, errlen) < 0)
			return -1;
		if (c->client_ca != NULL && readable("client-ca", c->client_ca, 0, err, errlen) < 0)
			return -1;
	}
	if (c->require_client_cert && c->client_ca == NULL)
		return fail(err, errlen, "require-client-cert needs --client-ca PEM");
	if (c->log != NULL && strcmp(c->log, "stderr") != 0 && strcmp(c->log, "syslog") != 0)
		return fail(err, errlen, "log: '%s' is not stderr or syslog", c->log);
	if (c->activation_rule != NULL && c->n_https == 0)
		return fail(err, errlen, "activation-rule: activation is answered over HTTPS only:"
			    " give an --https listener");
	if (c->device_ca != NULL && (c->n_https == 0 || c->client_ca == NULL))
		return fail(err, errlen, "device-ca: renewals are answered over HTTPS to a device"
			    " presenting its certificate: give --https and --client-ca (with the"
			    " device CA's ca.pem in it)");
	if (c->n_admin > 0 && c->admin_token_file == NULL)
		return fail(err, errlen, "admin: the API needs authentication: give"
			    " --admin-token-file FILE (a token of at least 32 characters)");
	/* S-SEC-4: loopback, or TLS so the token does not cross a network in
	 * clear. */
	for (unsigned i = 0; i < c->n_admin && !c->admin_tls; i++)
		if (!loopback(&c->admin[i]))
			return fail(err, errlen, "admin %s: not a loopback address: the token would"
				    " cross the network in clear; give --admin-tls (with --cert and"
				    " --key) or bind 127.0.0.1", c->admin[i].text);
	if (c->db != NULL && !db_url_ok(c->db))
		return fail(err, errlen, "db '%s': not a database URL (sqlite:PATH or"
			    " postgresql://USER@HOST[:PORT]/DB)", c->db);
	for (unsigned i = 0; i < c->n_routes; i++) {
		struct route r;

		if (route_parse(c->routes[i], &r, err, errlen) < 0)
			return -1;
	}
	return 0;
}

void
config_fini(struct srv_cfg *c)
{
	free(c->file);
	free(c->root);
	free(c->upload);
	free(c->db);
	free(c->cert);
	free(c->key);
	free(c->client_ca);
	free(c->activation_rule);
	free(c->device_ca);
	free(c->admin_token_file);
	free(c->user);
	free(c->log);
	for (unsigned i = 0; i < c->n_routes; i++)
		free(c->routes[i]);
	for (unsigned i = 0; i < c->n_reports; i++)
		free(c->reports[i]);
	memset(c, 0, sizeof(*c));
}
