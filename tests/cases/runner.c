/*
 * case-runner KIND FILE: runs one numbered case file (tests/cases/README.md).
 * Exit 0: pass; 1: fail; 2: usage or unreadable file.
 */
#include "case.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASE_MAX_SECTIONS 32
#define CASE_MAX_BYTES (8u * 1024u * 1024u)

struct section {
	char name[64];
	char *text;
	size_t len;
};

struct case_file {
	const char *path;
	char *data;
	struct section sec[CASE_MAX_SECTIONS];
	int nsec;
	struct macro_vars vars;
};

static const struct {
	const char *kind;
	int (*run)(struct case_file *);
} kinds[] = {
	{ "macro", case_run_macro },
	{ "cond", case_run_cond },
	{ "url", case_run_url },
	{ "delay", case_run_delay },
	{ "rule", case_run_rule },
	{ "profile", case_run_profile },
	{ "param", case_run_param },
	{ "codec", case_run_codec },
};

const char *
case_path(const struct case_file *cf)
{
	return cf->path;
}

const char *
case_section(const struct case_file *cf, const char *name, size_t *len)
{
	for (int i = 0; i < cf->nsec; i++) {
		if (strcmp(cf->sec[i].name, name) == 0) {
			if (len != NULL)
				*len = cf->sec[i].len;
			return cf->sec[i].text;
		}
	}
	return NULL;
}

int
case_fail(struct case_file *cf, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cf->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int
case_expect(struct case_file *cf, const char *section, const char *got, size_t len)
{
	size_t wlen;
	const char *want = case_section(cf, section, &wlen);

	if (want == NULL)
		return case_fail(cf, "no @@ %s section", section);
	if (wlen == len && memcmp(want, got, len) == 0)
		return 0;
	fprintf(stderr, "%s: @@ %s differs\n--- want\n%.*s\n--- got\n%.*s\n---\n",
		cf->path, section, (int)wlen, want, (int)len, got);
	return 1;
}

void
case_diag_format(const struct diag *d, unsigned flags, char *out, size_t outlen)
{
	if (d->line > 0 || (flags & CASE_DIAG_ZERO))
		snprintf(out, outlen, "%u:%u: %s", d->line, d->col, d->msg);
	else
		snprintf(out, outlen, "%s", d->msg);
}

int
case_check(struct case_file *cf, enum prov_err rc, const struct diag *d,
	   unsigned flags, const char *got, size_t len)
{
	char msg[CASE_DIAG_MAX];

	case_diag_format(d, flags, msg, sizeof(msg));
	if (case_section(cf, "error", NULL) != NULL) {
		if (rc == PROV_OK)
			return case_fail(cf, "expected an error, got:\n%.*s",
					 (int)len, got);
		return case_expect(cf, "error", msg, strlen(msg));
	}
	if (rc != PROV_OK)
		return case_fail(cf, "unexpected error (%s): %s",
				 prov_strerror(rc), msg);
	return case_expect(cf, "expect", got, len);
}

/* NAME=VALUE lines of section "vars". */
static int
vars_lookup(void *arg, const char *name, size_t n, unsigned flags, struct buf *out)
{
	struct case_file *cf = arg;
	size_t len;
	const char *s = case_section(cf, "vars", &len);
	const char *end = s + len;

	if (s == NULL)
		return 0;
	if (n == 2 && name[0] == 'S' && name[1] >= 'A' && name[1] <= 'D' &&
	    !(flags & MACRO_SECRETS))
		return 0;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end;
		const char *eq = memchr(s, '=', (size_t)(eol - s));

		if (eq != NULL && (size_t)(eq - s) == n && memcmp(s, name, n) == 0) {
			enum prov_err rc = buf_add(out, eq + 1, (size_t)(eol - eq - 1));
			return rc == PROV_OK ? 1 : -(int)rc;
		}
		s = eol + 1;
	}
	return 0;
}

const struct macro_vars *
case_vars(struct case_file *cf)
{
	cf->vars.lookup = vars_lookup;
	cf->vars.arg = cf;
	return &cf->vars;
}

/* Splits data into sections in place. Lines before the first "@@" are
 * comments. */
static int
case_split(struct case_file *cf, size_t size)
{
	char *p = cf->data, *end = cf->data + size;
	struct section *cur = NULL;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *eol = nl ? nl : end;

		if (eol - p >= 3 && p[0] == '@' && p[1] == '@' && p[2] == ' ') {
			size_t nlen = (size_t)(eol - p - 3);

			if (cur != NULL && cur->len > 0)
				cur->len--; /* drop the newline before the next header */
			if (cf->nsec == CASE_MAX_SECTIONS || nlen == 0 || nlen >= sizeof(cur->name))
				return case_fail(cf, "bad section header");
			cur = &cf->sec[cf->nsec++];
			memcpy(cur->name, p + 3, nlen);
			cur->name[nlen] = '\0';
			cur->text = nl ? nl + 1 : end;
			cur->len = 0;
		} else if (cur != NULL) {
			cur->len += (size_t)(eol - p) + (nl ? 1 : 0);
		}
		p = nl ? nl + 1 : end;
	}
	if (cur != NULL && cur->len > 0 && cur->text[cur->len - 1] == '\n')
		cur->len--;
	for (int i = 0; i < cf->nsec; i++)
		cf->sec[i].text[cf->sec[i].len] = '\0';
	return 0;
}

int
main(int argc, char **argv)
{
	struct case_file cf;
	FILE *f;
	size_t size;
	int rc = 2;

	if (argc != 3) {
		fprintf(stderr, "usage: case-runner KIND FILE\n");
		return 2;
	}
	memset(&cf, 0, sizeof(cf));
	cf.path = argv[2];
	f = fopen(argv[2], "rb");
	if (f == NULL) {
		perror(argv[2]);
		return 2;
	}
	cf.data = malloc(CASE_MAX_BYTES + 1);
	if (cf.data == NULL) {
		fclose(f);
		return 2;
	}
	size = fread(cf.data, 1, CASE_MAX_BYTES, f);
	fclose(f);
	cf.data[size] = '\0';
	if (case_split(&cf, size) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kinds[i].kind, argv[1]) == 0) {
			rc = kinds[i].run(&cf);
			goto out;
		}
	}
	fprintf(stderr, "case-runner: unknown kind '%s'\n", argv[1]);
out:
	free(cf.data);
	return rc;
}
