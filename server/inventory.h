/*
 * inventory: the devices the server knows (server.md S-DEV-1, S-DEV-4,
 * S-DEV-5, S-SEC-3): devices (MAC, serial, product, group, enabled, notes),
 * their variables and keys, groups, product and global variables, and
 * templates, in the server's database beside the history (store.c).
 *
 * Schema: plain SQL types (TEXT, INTEGER, BIGINT, VARCHAR), no rowid or
 * other SQLite-only tricks, and its own row in a schema_version table, so
 * the scale-out issue runs the same statements on PostgreSQL. Statements
 * are prepared once per connection (on first use) and always bound.
 *
 * Every reader opens its own connection: `prov device ...` from the CLI,
 * each server worker once. There is no cache: the server reads the rows of
 * a request when it answers it, so a change made by the CLI is served on
 * the next request (S-DEV-5). WAL lets those reads run beside a writer.
 *
 * Keys (S-SEC-3): 256 random bits from the OpenSSL DRBG per key, kept as 64
 * hex digits, numbered from 1 per device. The newest is current; older
 * ones are kept until the device has fetched with a newer one
 * (inv_key_retire). Key text is never logged; buffers holding it are
 * wiped.
 *
 * Threads: one struct inv per thread.
 */
#ifndef PROV_SERVER_INVENTORY_H
#define PROV_SERVER_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#define INV_NAME_MAX 32u               /* variable name: the phone's BOUND_MACRO_NAME */
#define INV_FIELD_MAX 128u             /* product, group, serial, template name */
#define INV_NOTES_MAX 1024u            /* a device's notes */
#define INV_VALUE_MAX (16u * 1024u)    /* one variable's value */
#define INV_TEMPLATE_MAX (1024u * 1024u) /* one template's text */
#define INV_VARS_MAX 4096u             /* variables of one scope (device, group...) */
#define INV_KEY_BYTES 32u              /* a device key: 256 bits */
#define INV_KEY_HEX (2u * INV_KEY_BYTES) /* ... written as hex digits */
#define INV_BUSY_MS 5000               /* CLI: wait for another writer's lock */
#define INV_SERVE_BUSY_MS 200          /* server: longest wait before "busy" (503) */

struct inv;

/* Where a variable lives; resolution order is device > group > product >
 * global. */
enum inv_scope { INV_GLOBAL, INV_PRODUCT, INV_GROUP, INV_DEVICE };

struct inv_device {
	char mac[13];                  /* 12 lower-case hex digits */
	char product[INV_FIELD_MAX];   /* "" when not set */
	char group[INV_FIELD_MAX];
	char serial[INV_FIELD_MAX];
	char notes[INV_NOTES_MAX];
	int enabled;
	int64_t created_ms;
	unsigned key_id;               /* the current (newest) key, 0 before creation */
	char http_user[INV_FIELD_MAX]; /* HTTP Digest credentials of auth=digest routes, */
	char http_password[INV_FIELD_MAX]; /* "" when not set; the password is a secret */
};

/* One variable. */
struct inv_var {
	char name[INV_NAME_MAX + 1];
	char *value;                   /* owned by the list it is in */
	int secret;                    /* set with --secret: printed only on request */
	size_t name_len;               /* strlen(name), for inv_vars_find */
};

/* A scope's variables, read into memory (inv_vars_get). */
struct inv_vars {
	struct inv_var *v;
	size_t n;
};
void inv_vars_free(struct inv_vars *vs);
/* Whether v's value is a secret, printed only on request (never logged):
 * set as one (--secret), or named as a secret parameter of the phone's
 * catalogue (Password_1_, ...), or a name holding PASS, PWD, SECRET or
 * KEY in any case (so also BYPASS: masked, harmless). */
int inv_var_is_secret(const struct inv_var *v);
/* The value of name (n bytes) in vs, or NULL. */
const char *inv_vars_find(const struct inv_vars *vs, const char *name, size_t n);

/* Opens url ("sqlite:PATH", PATH or "postgresql://...", db.h) and brings
 * the inventory schema up to date: SQLite's always, PostgreSQL's when it
 * is new or with INV_OPEN_MIGRATE (else an older schema is an error that
 * says to run `prov db migrate`). INV_OPEN_SERVE: the server's
 * connection (short busy wait: a locked database answers "busy" rather
 * than stalling every client). Returns 0, or -1 with the reason in err;
 * with INV_OPEN_SERVE, 1 when the database could not be reached or its
 * schema not brought up to date (err says why): the connection is kept
 * (opened before privileges are dropped) and every use tries again,
 * failing as busy until it works. */
extern const int inv_schema_version; /* the version this prov's schema has */
#define INV_OPEN_SERVE 1    /* the server's connection (see above) */
#define INV_OPEN_MIGRATE 2  /* upgrade an existing PostgreSQL schema (prov db migrate) */
int inv_open(struct inv **out, const char *url, int how, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void inv_close(struct inv *inv);

/* The connection itself, for modules keeping their own tables in the
 * inventory's database (activate.c, ca.c, rollout.c, notify.c; borrowed
 * for the life of inv), and its last failure's reason recorded as
 * inventory errors (inv_errmsg). */
struct db;
struct db *inv_db(struct inv *inv);
int inv_sqlfail(struct inv *inv, int rc);

/* The reason of the last failure (borrowed until the next call), and
 * whether it was the database being busy, locked or unreadable (503). */
const char *inv_errmsg(const struct inv *inv);
int inv_busy(const struct inv *inv);

/* The inventory's change counter: every write bumps it in its own
 * transaction, so equal serials mean equal inventories (render.c keeps
 * rendered profiles until it moves). */
int inv_serial(struct inv *inv, int64_t *n) __attribute__((warn_unused_result));

/* One transaction around several calls (import, add). */
int inv_begin(struct inv *inv) __attribute__((warn_unused_result));
int inv_commit(struct inv *inv) __attribute__((warn_unused_result));
void inv_rollback(struct inv *inv);

/* "00:0E:08-ab.cd.ef" and the like into 12 lower-case hex digits. Returns 0,
 * or -1 when s is not a MAC. */
int inv_mac_parse(const char *s, char mac[13]);
/* 1 when s is a valid variable name (letters, digits, '_'; at most
 * INV_NAME_MAX), and not an identity or server name that the inventory
 * cannot set (MA, KEY, ...). */
int inv_var_name_ok(const char *s, const char **why);

/* Devices. get: 1 found, 0 not found, -1 error. add: creates the device
 * and its first key; -1 (and inv_errmsg "... already in the inventory")
 * when it exists. update: writes every field of d; 0 when there is no
 * such device. rm: 1 removed (with its variables and keys), 0 none. */
int inv_device_get(struct inv *inv, const char *mac, struct inv_device *d);
int inv_device_add(struct inv *inv, struct inv_device *d);
int inv_device_update(struct inv *inv, const struct inv_device *d);
int inv_device_rm(struct inv *inv, const char *mac);
/* Calls fn for every device (of group, when not NULL) in MAC order. */
int inv_device_list(struct inv *inv, const char *group,
		    void (*fn)(void *arg, const struct inv_device *d), void *arg);

/* Variables. owner is "" for INV_GLOBAL. set: value NULL unsets
 * (returns 1 when there was one, 0 when not). */
int inv_var_set(struct inv *inv, enum inv_scope scope, const char *owner,
		const char *name, const char *value);
/* inv_var_set, marking the variable secret when secret is not 0 (a
 * variable once secret stays so until unset). */
int inv_var_set_secret(struct inv *inv, enum inv_scope scope, const char *owner,
		       const char *name, const char *value, int secret);
int inv_vars_get(struct inv *inv, enum inv_scope scope, const char *owner,
		 struct inv_vars *out) __attribute__((warn_unused_result));

/* 1 when some scope defines name, 0 when none (template lint). */
int inv_var_known(struct inv *inv, const char *name);

/* Keys. get: the key numbered id (0: the current one) into hex (wiped by
 * the caller), *id set to its number; 1 found, 0 none. rotate: a new
 * current key, its number in *id. retire: forgets keys numbered below id. */
int inv_key_get(struct inv *inv, const char *mac, unsigned *id, char hex[INV_KEY_HEX + 1]);
int inv_key_rotate(struct inv *inv, const char *mac, unsigned *id);
int inv_key_retire(struct inv *inv, const char *mac, unsigned id);

/* Templates. get: *body fresh (caller frees), 1 found, 0 none. */
int inv_template_put(struct inv *inv, const char *name, const char *body, size_t len);
int inv_template_get(struct inv *inv, const char *name, char **body, size_t *len);
int inv_template_rm(struct inv *inv, const char *name);
int inv_template_list(struct inv *inv, void (*fn)(void *arg, const char *name,
						   size_t len, int64_t updated_ms),
		      void *arg);

/* The server's own secret called name (INV_KEY_BYTES random bytes, made
 * on first use and kept in the database, so every worker and every server
 * on it shares it: the Digest nonce key). Returns 0, or -1. The caller
 * wipes out. */
int inv_secret(struct inv *inv, const char *name, unsigned char out[INV_KEY_BYTES])
	__attribute__((warn_unused_result));

/* The device mac and its key numbered *id (0: the current one) in one
 * read that costs the same whether either exists (render.c's gate,
 * S-SEC-2): returns -1 on failure, else bit 0 set when the device exists
 * (*d filled), bit 1 when the key does (hex, *id set). The caller wipes
 * hex and d->http_password. serial (may be NULL): the inventory's change
 * counter (inv_serial) read in the same statement, so the rows and the
 * counter are of one moment, at the cost of one round trip. */
int inv_gate(struct inv *inv, const char *mac, unsigned *id, struct inv_device *d,
	     char hex[INV_KEY_HEX + 1], int64_t *serial) __attribute__((warn_unused_result));

/* What the history says about a device (S-DEV-3), read from the request
 * and syslog tables that store.c writes: its last request's time (0:
 * never seen), status and User-Agent (the firmware it runs), and its last
 * resync result as its syslog told it ("" when none). */
struct inv_seen {
	int64_t last_ms;
	int last_status;
	char user_agent[256];
	int64_t result_ms;
	char last_result[256];
};
int inv_device_seen(struct inv *inv, const char *mac, struct inv_seen *s);

#endif
