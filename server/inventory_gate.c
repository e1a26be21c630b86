/*
 * inventory_gate: the inventory's reads for serving and showing a device:
 * the history facts beside a device (last request, last resync result),
 * the server's own secrets (the Digest nonce key, ...), and the gate (a
 * device and its key in one constant-cost row). On the statements and
 * helpers of inventory.c (inventory_int.h). See inventory.h.
 */
#include "inventory_int.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "hex.h"

/* ---- history facts ---------------------------------------------------------------- */

int
inv_device_seen(struct inv *inv, const char *mac, struct inv_seen *s)
{
	struct db_stmt *st;
	int rc;

	memset(s, 0, sizeof(*s));
	/* No history table yet (no server has run on this database). */
	if (db_has_column(inv->db, "request", "mac") != 1 ||
	    db_has_column(inv->db, "syslog", "mac") != 1)
		return 0;
	if ((st = inv_stmt(inv, Q_SEEN)) == NULL)
		return -1;
	db_bind_text(st, 1, mac, -1, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW) {
		s->last_ms = db_column_int64(st, 0);
		s->last_status = db_column_int(st, 1);
		inv_col(st, 2, s->user_agent, sizeof(s->user_agent));
	}
	inv_done(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return inv_dbfail(inv, rc);
	if ((st = inv_stmt(inv, Q_RESULT)) == NULL)
		return -1;
	db_bind_text(st, 1, mac, -1, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW) {
		s->result_ms = db_column_int64(st, 0);
		inv_col(st, 1, s->last_result, sizeof(s->last_result));
	}
	inv_done(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 : inv_dbfail(inv, rc);
}

/* ---- the server's own secrets ------------------------------------------------------ */

int
inv_secret(struct inv *inv, const char *name, unsigned char out[INV_KEY_BYTES])
{
	unsigned char raw[INV_KEY_BYTES];
	char hex[INV_KEY_HEX + 1] = "";
	struct db_stmt *st;
	int rc = DB_OK, tries;

	/* Read it; when missing, add a fresh one (a worker racing another
	 * keeps whichever was written first) and read again. Not an
	 * inventory change: the serial stays. */
	for (tries = 0; tries < 2; tries++) {
		if ((st = inv_stmt(inv, Q_SECRET_GET)) == NULL)
			return -1;
		db_bind_text(st, 1, name, -1, DB_STATIC);
		rc = db_step(st);
		if (rc == DB_ROW)
			inv_col(st, 0, hex, sizeof(hex));
		inv_done(st);
		if (rc != DB_ROW && rc != DB_DONE)
			return inv_dbfail(inv, rc);
		if (rc == DB_ROW || tries == 1)
			break;
		if ((st = inv_stmt(inv, Q_SECRET_ADD)) == NULL)
			return -1;
		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			inv_done(st);
			return inv_fail(inv, "no randomness for the server's %s", name);
		}
		hex_encode(raw, sizeof(raw), hex);
		OPENSSL_cleanse(raw, sizeof(raw));
		db_bind_text(st, 1, name, -1, DB_STATIC);
		db_bind_text(st, 2, hex, -1, DB_TRANSIENT);
		OPENSSL_cleanse(hex, sizeof(hex));
		rc = db_step(st);
		inv_done(st);
		if (rc != DB_DONE)
			return inv_dbfail(inv, rc);
	}
	if (rc != DB_ROW || strlen(hex) != INV_KEY_HEX)
		rc = -1;
	for (size_t i = 0; rc != -1 && i < INV_KEY_BYTES; i++) {
		int hi = hex_val((unsigned char)hex[2 * i]), lo = hex_val((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			rc = -1;
		else
			out[i] = (unsigned char)(hi << 4 | lo);
	}
	rc = rc != -1 ? 0 : inv_fail(inv, "%s: server secret %s is not %u hex digits",
				       inv->path, name, INV_KEY_HEX);
	OPENSSL_cleanse(hex, sizeof(hex));
	return rc;
}

/* ---- the gate -------------------------------------------------------------------- */

int
inv_gate(struct inv *inv, const char *mac, unsigned *id, struct inv_device *d,
	 char hex[INV_KEY_HEX + 1], int64_t *serial)
{
	struct db_stmt *st = inv_stmt(inv, Q_GATE);
	int rc, found = 0;

	hex[0] = '\0';
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, mac, -1, DB_STATIC);
	db_bind_int(st, 2, (int)*id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		/* The same copies whether the columns hold values or NULLs. */
		inv_row_device(st, d);
		inv_col(st, 11, hex, INV_KEY_HEX + 1);
		found = db_column_type(st, 0) != DB_NULL;
		if (serial != NULL)
			*serial = db_column_int64(st, 12);
		if (db_column_type(st, 10) != DB_NULL) {
			*id = (unsigned)db_column_int(st, 10);
			found |= 2;
		}
	}
	inv_done(st);
	if (rc != DB_ROW)
		return inv_dbfail(inv, rc == DB_DONE ? DB_CORRUPT : rc);
	return found;
}
