#include "hostport.h"

#include <string.h>

int
hostport_split(const char *s, char *host, size_t hostcap, const char **port)
{
	const char *h = s, *colon;
	size_t hl;

	*port = NULL;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || (rb[1] != ':' && rb[1] != '\0'))
			return -1;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = strrchr(s, ':');
		hl = colon != NULL ? (size_t)(colon - s) : strlen(s);
	}
	if (hl >= hostcap)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (colon != NULL)
		*port = colon + 1;
	return 0;
}
