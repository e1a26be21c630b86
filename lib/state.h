/*
 * state: the persistent store of one device, an SQLite database
 * DIR/state.db (WAL, synchronous=FULL). device.md D-PER-1.
 *
 * Tables: meta (identity and schema version), param (values and access
 * levels set away from the factory default), unknown (unknown parameter
 * names, D-PAR-4), status (D-STA-1). Every change is one transaction, so a
 * crash leaves the old state or the new. Several processes may open the
 * same directory: writers serialise on SQLite's lock (waiting up to
 * BOUND_STATE_BUSY_MS), and state_stale() tells a process that another one
 * committed since it last loaded. Statements are prepared once and always
 * bound. One struct state is used by one thread at a time.
 */
#ifndef PROV_STATE_H
#define PROV_STATE_H

#include "diag.h"

struct state;

/* Creates DIR (if needed) and a new, empty database in it, recording the
 * identity pairs (key, value) given in NULL-terminated keys/values.
 * PROV_E_EXISTS if DIR already holds a device. */
enum prov_err state_create(const char *dir, const char *const *keys,
			   const char *const *values, struct state **out,
			   struct diag *d) PROV_WUR;
enum prov_err state_open(const char *dir, struct state **out, struct diag *d) PROV_WUR;
void state_close(struct state *st);

/* The directory, borrowed for the life of st. */
const char *state_dir(const struct state *st);

/* Nonzero when another connection committed since the last state_mark(). */
int state_stale(struct state *st);
/* Records the current data version as loaded. */
void state_mark(struct state *st);

/* Transactions: begin (write = 1 takes the write lock at once), commit,
 * rollback. Rollback is safe when no transaction is open. */
enum prov_err state_begin(struct state *st, int write, struct diag *d) PROV_WUR;
enum prov_err state_commit(struct state *st, struct diag *d) PROV_WUR;
void state_rollback(struct state *st);

/* Iterators call fn for each row; a result other than PROV_OK stops the
 * walk and is returned. */
enum prov_err state_each_param(struct state *st,
			       enum prov_err (*fn)(void *arg, const char *name,
						   const char *value, int ua),
			       void *arg, struct diag *d) PROV_WUR;
enum prov_err state_each_unknown(struct state *st,
				 enum prov_err (*fn)(void *arg, const char *name),
				 void *arg, struct diag *d) PROV_WUR;

/* Forgets the mark: the next state_stale() says yes (after a failed load,
 * so that the next operation loads again). */
void state_forget(struct state *st);

/* value NULL: the parameter is back at its default value (row deleted
 * when ua is also the default, signalled by ua < 0). */
enum prov_err state_put_param(struct state *st, const char *name,
			      const char *value, int ua, struct diag *d) PROV_WUR;
enum prov_err state_put_unknown(struct state *st, const char *name,
				struct diag *d) PROV_WUR;

/* meta and status: key/value. get returns PROV_E_NOTFOUND when absent;
 * *value is fresh (caller frees). */
enum prov_err state_get(struct state *st, const char *table, const char *key,
			char **value, struct diag *d) PROV_WUR;
enum prov_err state_put(struct state *st, const char *table, const char *key,
			const char *value, struct diag *d) PROV_WUR;

#endif
