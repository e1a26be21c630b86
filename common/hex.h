/*
 * hex: hexadecimal digits, both ways, for the library, the agent and the
 * daemons (DHCP option text, percent-encoding, nonces, session ids, image
 * digests). Pure functions over caller buffers.
 */
#ifndef PROV_COMMON_HEX_H
#define PROV_COMMON_HEX_H

#include <stddef.h>

/* The value of one hex digit (either case), or -1. */
int hex_val(int c);

/* Writes the 2n lower-case digits of in[0..n) and a NUL to out (2n + 1
 * bytes). */
void hex_encode(const unsigned char *in, size_t n, char *out);

/* Decodes hex bytes "0a:1b" or "0a1b" (either case; ':' between every
 * byte or none) of text[0..len) into out. Returns the byte count, or -1
 * when empty, malformed or over cap. */
long hex_bytes(const char *text, size_t len, unsigned char *out, size_t cap);

#endif
