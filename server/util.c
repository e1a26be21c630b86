/*
 * util: small helpers every serving module needs (serve.h): finding the
 * MAC a request or message names, escaping untrusted text for logs and
 * history. The clocks are common/clock.h.
 */
#include "serve.h"

#include <stddef.h>

#include "hex.h"

/* The last 12 digits of the first run of at least 12 hex digits: the MAC
 * follows the prefix, and a prefix may itself end in hex letters
 * ("spa" + MAC, "CP-8841-3PCC" + MAC), so a longer run is read from its
 * end. A run of 13-16 digits that is really a serial is misread the same
 * way; that only costs a lookup that finds no device. */
int
serve_find_mac(const char *s, size_t len, char mac[13])
{
	size_t i = 0, j, k;

	while (i < len) {
		if (hex_val((unsigned char)s[i]) < 0) {
			i++;
			continue;
		}
		j = i;
		while (j < len && hex_val((unsigned char)s[j]) >= 0)
			j++;
		if (j - i >= 12) {
			for (k = 0; k < 12; k++) {
				int c = (unsigned char)s[j - 12 + k];
				mac[k] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
			}
			mac[12] = '\0';
			return 1;
		}
		i = j;
	}
	mac[0] = '\0';
	return 0;
}

void
serve_escape(const char *s, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (cap == 0)
		return;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
			if (o + 1 >= cap)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= cap)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}
