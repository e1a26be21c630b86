/*
 * prov device import FILE.csv: many devices in one transaction
 * (interfaces.md "Inventory and rendering"). RFC 4180 CSV: fields
 * separated by ',', optionally quoted with '"' ("" inside quotes is one
 * '"'; a quoted field may span lines), CRLF or LF line ends. The first
 * record is the header. Every error names FILE:LINE (the line a record
 * starts on) and nothing is imported: the whole file is one transaction.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "csv.h"
#include "inventory.h"

enum import_col {
	COL_MAC, COL_PRODUCT, COL_GROUP, COL_SERIAL, COL_NOTES, COL_ENABLED, COL_HTTP_USER,
	COL_HTTP_PASSWORD, COL_VAR
};

struct import {
	const char *file;
	struct csv csv;
};

/* The next record, or 0 at the end; -1 after printing why not. */
static int
import_record(struct import *im, unsigned *start)
{
	int r = csv_next(&im->csv, start);

	if (r < 0)
		cli_err("%s:%u: %s", im->file, im->csv.err_line, im->csv.err);
	return r;
}

/* The header: which column is what. Returns EXIT_OK or EXIT_USAGE. */
static int
import_header(struct import *im, enum import_col *cols, char names[][INV_NAME_MAX + 1],
	      size_t *ncols)
{
	static const char *const fixed[] = { "mac", "product", "group", "serial", "notes",
					     "enabled", "http_user", "http_password" };
	unsigned start;
	int r = import_record(im, &start), mac = 0;

	if (r <= 0) {
		if (r == 0)
			cli_err("%s: empty: the first line is the header mac,product,...", im->file);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < im->csv.nfield; i++) {
		const char *h = im->csv.field[i], *why;
		size_t k;

		for (k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
			if (strcmp(h, fixed[k]) == 0)
				break;
		cols[i] = (enum import_col)k;
		if (k == COL_VAR) {
			if (!inv_var_name_ok(h, &why)) {
				cli_err("%s:%u: column %zu '%s': %s", im->file, start, i + 1, h, why);
				return EXIT_USAGE;
			}
			strcpy(names[i], h);
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(im->csv.field[j], h) == 0) {
				cli_err("%s:%u: column '%s' twice", im->file, start, h);
				return EXIT_USAGE;
			}
		mac |= k == COL_MAC;
	}
	if (!mac) {
		cli_err("%s:%u: no 'mac' column", im->file, start);
		return EXIT_USAGE;
	}
	*ncols = im->csv.nfield;
	return EXIT_OK;
}

/* MACs seen so far, and the line of each, for duplicate errors. */
struct import_seen {
	char (*mac)[13];
	unsigned *line;
	size_t n, cap;
};

static int
import_seen_add(struct import_seen *s, const char *mac, unsigned line, unsigned *dup)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->mac[i], mac) == 0) {
			*dup = s->line[i];
			return 1;
		}
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 1024;
		char (*nm)[13] = realloc(s->mac, nc * sizeof(*nm));
		unsigned *nl;

		if (nm == NULL)
			return -1;
		s->mac = nm;
		nl = realloc(s->line, nc * sizeof(*nl));
		if (nl == NULL)
			return -1;
		s->line = nl;
		s->cap = nc;
	}
	strcpy(s->mac[s->n], mac);
	s->line[s->n++] = line;
	return 0;
}

/* One data record into the open transaction. */
static int
import_row(struct import *im, struct inv *inv, unsigned line, const enum import_col *cols,
	   char names[][INV_NAME_MAX + 1], size_t ncols, struct import_seen *seen)
{
	struct inv_device d;
	unsigned dup = 0;
	int r;

	memset(&d, 0, sizeof(d));
	d.enabled = 1;
	if (im->csv.nfield != ncols) {
		cli_err("%s:%u: %zu fields, the header has %zu", im->file, line, im->csv.nfield, ncols);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < ncols; i++) {
		const char *v = im->csv.field[i];
		char *dst = cols[i] == COL_PRODUCT ? d.product : cols[i] == COL_GROUP ? d.group :
			cols[i] == COL_SERIAL ? d.serial : cols[i] == COL_HTTP_USER ? d.http_user :
			cols[i] == COL_HTTP_PASSWORD ? d.http_password : NULL;

		if (cols[i] == COL_MAC && inv_mac_parse(v, d.mac) < 0) {
			cli_err("%s:%u: '%s' is not a MAC (12 hex digits)", im->file, line, v);
			return EXIT_USAGE;
		}
		if (dst != NULL) {
			if (strlen(v) >= INV_FIELD_MAX) {
				cli_err("%s:%u: field %zu longer than %u bytes", im->file, line, i + 1,
					INV_FIELD_MAX - 1);
				return EXIT_USAGE;
			}
			strcpy(dst, v);
		} else if (cols[i] == COL_NOTES) {
			snprintf(d.notes, sizeof(d.notes), "%s", v);
		} else if (cols[i] == COL_ENABLED) {
			if (strcmp(v, "") != 0 && strcmp(v, "yes") != 0 && strcmp(v, "1") != 0 &&
			    strcmp(v, "no") != 0 && strcmp(v, "0") != 0) {
				cli_err("%s:%u: enabled '%s' is not yes, no, 1 or 0", im->file, line, v);
				return EXIT_USAGE;
			}
			d.enabled = !(strcmp(v, "no") == 0 || strcmp(v, "0") == 0);
		}
	}
	/* The Digest credentials of auth=digest routes, as prov device set
	 * --http-user/--http-password takes them: both or neither. */
	if (strpbrk(d.http_user, ":\"\\") != NULL) {
		cli_err("%s:%u: http_user holds ':', '\"' or '\\'", im->file, line);
		OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
		return EXIT_USAGE;
	}
	if ((d.http_user[0] == '\0') != (d.http_password[0] == '\0')) {
		cli_err("%s:%u: http_user and http_password go together", im->file, line);
		OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
		return EXIT_USAGE;
	}
	r = import_seen_add(seen, d.mac, line, &dup);
	if (r != 0) {
		if (r > 0)
			cli_err("%s:%u: %s: duplicate of line %u", im->file, line, d.mac, dup);
		else
			cli_err("%s:%u: out of memory", im->file, line);
		return r > 0 ? EXIT_USAGE : EXIT_FAIL;
	}
	r = inv_device_add(inv, &d);
	OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
	if (r < 0) {
		cli_err("%s:%u: %s", im->file, line, inv_errmsg(inv));
		return inv_busy(inv) ? EXIT_FAIL : EXIT_USAGE;
	}
	for (size_t i = 0; i < ncols; i++)
		if (cols[i] == COL_VAR && im->csv.field[i][0] != '\0' &&
		    inv_var_set(inv, INV_DEVICE, d.mac, names[i], im->csv.field[i]) < 0) {
			cli_err("%s:%u: %s", im->file, line, inv_errmsg(inv));
			return EXIT_FAIL;
		}
	return EXIT_OK;
}

int
device_import(const char *cmd, const char *file, struct inv *inv)
{
	struct import im;
	struct import_seen seen = { NULL, NULL, 0, 0 };
	enum import_col *cols = NULL;
	char (*names)[INV_NAME_MAX + 1] = NULL;
	char *text, *buf = NULL;
	size_t len, ncols = 0;
	unsigned line;
	int rc = EXIT_FAIL, r;

	text = cli_read_file(file, CLI_FILE_MAX, &len);
	if (text == NULL)
		return EXIT_FAIL;
	im.file = file;
	buf = malloc(csv_buf_size(len));
	cols = calloc(CSV_COLS_MAX, sizeof(*cols));
	names = calloc(CSV_COLS_MAX, sizeof(*names));
	if (buf == NULL || cols == NULL || names == NULL) {
		cli_err("%s: out of memory", cmd);
		goto out;
	}
	csv_init(&im.csv, text, len, buf);
	if ((rc = import_header(&im, cols, names, &ncols)) != EXIT_OK)
		goto out;
	if (inv_begin(inv) < 0) {
		cli_err("%s: %s", cmd, inv_errmsg(inv));
		rc = EXIT_FAIL;
		goto out;
	}
	while ((r = import_record(&im, &line)) > 0) {
		if (im.csv.nfield == 1 && im.csv.field[0][0] == '\0')
			continue; /* a blank line */
		if ((rc = import_row(&im, inv, line, cols, names, ncols, &seen)) != EXIT_OK)
			break;
	}
	if (r < 0)
		rc = EXIT_USAGE;
	if (rc == EXIT_OK && inv_commit(inv) < 0) {
		cli_err("%s: %s", cmd, inv_errmsg(inv));
		rc = EXIT_FAIL;
	}
	if (rc != EXIT_OK) {
		inv_rollback(inv);
		cli_err("%s: %s: nothing imported", cmd, file);
	}
out:
	free(seen.mac);
	free(seen.line);
	free(cols);
	free(names);
	free(buf);
	free(text);
	return rc;
}
