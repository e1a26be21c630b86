/*
 * vars: the macro variables of a device (device.md D-MAC-2): identity,
 * GPP values, $UIDn, $CCERT, and the runtime values the engine sets
 * ($PRVST, $SERVIP, $ERR, ...), which expand to "" until set.
 * $SA..$SD are answered only with MACRO_SECRETS.
 */
#ifndef PROV_VARS_H
#define PROV_VARS_H

#include "device.h"
#include "macro.h"

/* The macro variables of dev (D-MAC-2) for macro_expand and cond_eval. */
void vars_init(struct prov_device *dev, struct macro_vars *vars);

/* Sets a runtime macro value (PRVST, SERVIP, ERR, ...). */
enum prov_err vars_runtime_set(struct prov_device *dev, const char *name,
			       const char *value) PROV_WUR;

#endif
