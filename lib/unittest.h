/*
 * PROV_STATIC marks a function that is static in the library but reachable
 * from unit tests, which compile libprov with -DPROV_UNITTEST (curl's
 * UNITTEST). Such functions are declared under #ifdef PROV_UNITTEST in the
 * module's header.
 */
#ifndef PROV_UNITTEST_H
#define PROV_UNITTEST_H

#ifdef PROV_UNITTEST
#define PROV_STATIC
#else
#define PROV_STATIC static
#endif

#endif
