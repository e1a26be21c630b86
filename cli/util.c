#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("prov: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_help(const char *text)
{
	fputs(text, stdout);
	return EXIT_OK;
}

int
cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "prov: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'prov %s --help')\n", cmd);
	return EXIT_USAGE;
}

int
cli_exit_for(enum prov_err err)
{
	switch (err) {
	case PROV_OK:
		return EXIT_OK;
	case PROV_E_INVAL:
	case PROV_E_SYNTAX:
	case PROV_E_TOOBIG:
	case PROV_E_UNKNOWN:
	case PROV_E_DENIED:
	case PROV_E_NOTFOUND:
		return EXIT_USAGE;
	default:
		return EXIT_FAIL;
	}
}

char *
cli_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *data = NULL;
	size_t n = 0, alloc = 0;

	if (f == NULL) {
		cli_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t r;

		if (alloc - n < 65536) {
			size_t na = alloc ? alloc * 2 : 65536;
			char *nd;

			if (na > max + 65536)
				na = max + 65536;
			nd = realloc(data, na + 1);
			if (nd == NULL) {
				cli_err("%s: out of memory", path);
				goto fail;
			}
			data = nd;
			alloc = na;
		}
		r = fread(data + n, 1, alloc - n, f);
		n += r;
		if (n > max) {
			cli_err("%s: larger than %zu bytes", path, max);
			goto fail;
		}
		if (r == 0) {
			if (ferror(f)) {
				cli_err("%s: read error", path);
				goto fail;
			}
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	data[n] = '\0';
	*len = n;
	return data;
fail:
	if (f != stdin)
		fclose(f);
	free(data);
	return NULL;
}

/* Nonzero if s[0..n) is empty, white space, or a UTF-8 byte order mark. */
static int
cli_blank(const char *s, size_t n)
{
	size_t i = n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;

	for (; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

int
cli_load_profile(const char *path, const char *key, struct prov_profile **p)
{
	char msg[512];
	size_t len, plen;
	char *data = cli_read_file(path, CLI_FILE_MAX, &len);
	void *plain = NULL;
	enum prov_err rc;

	*p = NULL;
	if (data == NULL)
		return EXIT_FAIL;
	/* Packed or not, as a phone reads it (D-ENC-1): by content. */
	rc = prov_unpack(data, len, key, 0, &plain, &plen, NULL, msg, sizeof(msg));
	free(data);
	if (rc != PROV_OK) {
		cli_err("%s: %s", path, msg);
		return rc == PROV_E_TOOBIG ? EXIT_USAGE : EXIT_FAIL;
	}
	/* Nothing but white space (or a byte order mark) is no profile: a
	 * truncated download or a wrong path, never "0 changed". */
	if (cli_blank(plain, plen)) {
		free(plain);
		cli_err("%s: empty profile", path);
		return EXIT_USAGE;
	}
	rc = prov_profile_parse(path, plain, plen, 0, p, msg, sizeof(msg));
	memset(plain, 0, plen);
	free(plain);
	if (rc != PROV_OK) {
		cli_err("%s", msg);
		return cli_exit_for(rc);
	}
	return EXIT_OK;
}

struct prov_device *
cli_open(const char *cmd, const char *dir, int *status)
{
	struct prov_device *dev = NULL;
	char msg[512];
	enum prov_err rc;

	if (dir == NULL) {
		*status = cli_usage(cmd, "--state DIR is required");
		return NULL;
	}
	rc = prov_device_open(dir, &dev, msg, sizeof(msg));
	if (rc != PROV_OK) {
		cli_err("%s: %s", cmd, msg);
		*status = cli_exit_for(rc);
		return NULL;
	}
	return dev;
}

/* --state DIR plus the given extra options; returns optind, CLI_HELPED,
 * or minus an exit status. */
int
cli_state_opts(const char *cmd, const char *help, int argc, char **argv,
	   const char **dir, double *scale, int *json)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "state", required_argument, NULL, 's' },
		{ "time-scale", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	*dir = NULL;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hs:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			cli_help(help);
			return CLI_HELPED;
		case 's':
			*dir = optarg;
			break;
		case 't':
			if (scale == NULL)
				goto bad;
			*scale = strtod(optarg, &end);
			if (*end != '\0' || !(*scale >= 1.0 && *scale <= 1e7))
				return -cli_usage(cmd, "--time-scale takes 1..10000000");
			break;
		case 'j':
			if (json == NULL)
				goto bad;
			*json = 1;
			break;
		default:
		bad:
			return -cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (*dir == NULL)
		return -cli_usage(cmd, "--state DIR is required");
	return optind;
}

void
cli_json_str(const char *s)
{
	if (s == NULL) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

int
cli_subcommand(const char *group, const struct cli_sub *subs, size_t n, const char *help,
	       int argc, char **argv, char *cmd, size_t cmdlen)
{
	if (argc < 2) {
		fputs(help, stderr);
		return -EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_help(help);
		return CLI_HELPED;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(subs[i].name, argv[1]) == 0) {
			snprintf(cmd, cmdlen, "%s %s", group, argv[1]);
			return (int)i;
		}
	return -cli_usage(group, "unknown command '%s'", argv[1]);
}
