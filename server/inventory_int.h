/*
 * inventory_int.h: what inventory.c (schema, names, devices, variables,
 * keys, templates) and inventory_gate.c (history facts, the server's own
 * secrets, the gate) share. Not an interface outside the inventory; see
 * inventory.h.
 */
#ifndef PROV_SERVER_INVENTORY_INT_H
#define PROV_SERVER_INVENTORY_INT_H

#include <stddef.h>

#include "db.h"

#include "inventory.h"

/* The prepared statements, by index into inv_sql[] (inventory.c). */
enum inv_q {
	Q_DEV_GET, Q_DEV_ADD, Q_DEV_UPD, Q_DEV_RM, Q_DEV_LIST, Q_DEV_LIST_GROUP,
	Q_GROUP_ADD, Q_KEY_GET, Q_KEY_CUR, Q_KEY_ADD, Q_KEY_RETIRE, Q_KEY_RM,
	Q_VAR_SET, Q_VAR_UNSET, Q_VAR_LIST, Q_VAR_RM_DEV,
	Q_TPL_PUT, Q_TPL_GET, Q_TPL_RM, Q_TPL_LIST, Q_SEEN, Q_RESULT, Q_VAR_KNOWN, Q_SERIAL,
	Q_SERIAL_BUMP, Q_SECRET_GET, Q_SECRET_ADD, Q_GATE, Q_COUNT
};

struct inv {
	struct db *db;
	char *path;
	struct db_stmt *st[Q_COUNT];
	char err[512];
	int busy;
	int how;                       /* INV_OPEN_* */
	int stale;                     /* serve: the schema was not usable at open */
};

/* A failure: the message in inv->err; returns -1. */
int inv_fail(struct inv *inv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An SQLite failure, and whether the database is unavailable (inv->busy). */
int inv_dbfail(struct inv *inv, int rc);
/* The statement q, prepared on first use, reset and unbound; NULL on failure. */
struct db_stmt *inv_stmt(struct inv *inv, enum inv_q q);
/* Resets st and clears its bindings. */
void inv_done(struct db_stmt *st);
/* Column i of st as text into out ("" for NULL). */
void inv_col(struct db_stmt *st, int i, char *out, size_t cap);
/* The device columns 0-9 of st into d. */
void inv_row_device(struct db_stmt *st, struct inv_device *d);

#endif
