#include "prov/prov.h"

#include <stddef.h>

const char *
prov_strerror(enum prov_err err)
{
	switch (err) {
	case PROV_OK: return "success";
	case PROV_E_NOMEM: return "out of memory";
	case PROV_E_INVAL: return "invalid value";
	case PROV_E_SYNTAX: return "syntax error";
	case PROV_E_TOOBIG: return "too big";
	case PROV_E_UNKNOWN: return "unknown parameter";
	case PROV_E_DENIED: return "not allowed";
	case PROV_E_IO: return "i/o error";
	case PROV_E_BUSY: return "state locked by another process";
	case PROV_E_EXISTS: return "device already exists";
	case PROV_E_NOTFOUND: return "no device";
	case PROV_E_CORRUPT: return "state corrupt";
	case PROV_E_NOKEY: return "encrypted, and no key";
	case PROV_E_DECRYPT: return "decrypt failed";
	case PROV_E_GZIP: return "gzip stream corrupt";
	}
	return "unknown error";
}

const char *
prov_version(void)
{
	return PROV_VERSION_STRING;
}
