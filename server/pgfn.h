/*
 * pgfn: libpq loaded on first use (dlopen), as lib/curlfn.c loads
 * libcurl: every `prov` command links the server's code, and libpq with
 * its Kerberos and LDAP libraries would cost each of them (prov unpack
 * included) its start-up time (issue 17's start-up goal). Only db_pg.c
 * and db.c call libpq, and only through this table: including this
 * header maps the PQ* names onto it.
 *
 * The package still depends on libpq5 (debian/control): dh_shlibdeps
 * cannot see a library loaded this way.
 */
#ifndef PROV_SERVER_PGFN_H
#define PROV_SERVER_PGFN_H

#include <libpq-fe.h>

#define PGFN_SONAME "libpq.so.5"

#define PGFN_LIST(X) \
	X(PQclear) X(PQcmdTuples) X(PQconnectdbParams) X(PQerrorMessage) X(PQexec) \
	X(PQexecParams) X(PQexecPrepared) X(PQfinish) X(PQftype) X(PQgetisnull) \
	X(PQgetlength) X(PQgetvalue) X(PQnfields) X(PQntuples) X(PQprepare) X(PQreset) \
	X(PQresultErrorField) X(PQresultErrorMessage) X(PQresultStatus) \
	X(PQsetNoticeProcessor) X(PQstatus) X(PQtransactionStatus)

struct pgfn {
#define PGFN_FIELD(name) __typeof__(&name) name;
	PGFN_LIST(PGFN_FIELD)
#undef PGFN_FIELD
};
extern struct pgfn pgfn;

/* Loads libpq once (thread-safe). Returns 0, or -1 with the reason in
 * pgfn_error(). */
int pgfn_load(void);
const char *pgfn_error(void);

#ifndef PGFN_IMPL
#define PQclear pgfn.PQclear
#define PQcmdTuples pgfn.PQcmdTuples
#define PQconnectdbParams pgfn.PQconnectdbParams
#define PQerrorMessage pgfn.PQerrorMessage
#define PQexec pgfn.PQexec
#define PQexecParams pgfn.PQexecParams
#define PQexecPrepared pgfn.PQexecPrepared
#define PQfinish pgfn.PQfinish
#define PQftype pgfn.PQftype
#define PQgetisnull pgfn.PQgetisnull
#define PQgetlength pgfn.PQgetlength
#define PQgetvalue pgfn.PQgetvalue
#define PQnfields pgfn.PQnfields
#define PQntuples pgfn.PQntuples
#define PQprepare pgfn.PQprepare
#define PQreset pgfn.PQreset
#define PQresultErrorField pgfn.PQresultErrorField
#define PQresultErrorMessage pgfn.PQresultErrorMessage
#define PQresultStatus pgfn.PQresultStatus
#define PQsetNoticeProcessor pgfn.PQsetNoticeProcessor
#define PQstatus pgfn.PQstatus
#define PQtransactionStatus pgfn.PQtransactionStatus
#endif

#endif
