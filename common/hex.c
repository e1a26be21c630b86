#include "hex.h"

int
hex_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

long
hex_bytes(const char *text, size_t len, unsigned char *out, size_t cap)
{
	size_t i = 0, n = 0;
	int colons = len > 2 && text[2] == ':';

	if (len == 0)
		return -1;
	while (i < len) {
		int hi, lo;

		if (i + 2 > len || n >= cap)
			return -1;
		hi = hex_val((unsigned char)text[i]);
		lo = hex_val((unsigned char)text[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | lo);
		i += 2;
		if (i < len && colons) {
			if (text[i] != ':' || i + 1 == len)
				return -1;
			i++;
		}
	}
	return (long)n;
}
