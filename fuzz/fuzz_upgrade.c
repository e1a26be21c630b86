/*
 * Fuzz target for the upgrade image header (upgrade.h: "PROVIMG1
 * version=V size=N sha256=HEX\n" + payload) and the version an image name
 * gives (device.md D-UPG-1, D-UPG-2). The input is checked as an image;
 * when it verifies, the payload must lie inside the input. Its first line
 * is also read as a URL path for upgrade_version_of, whose result must be
 * a printable version of bounded length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upgrade.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct upgrade_image img;
	struct diag d;
	char path[512], v[UPGRADE_VERSION_MAX + 1];
	size_t n = 0;

	diag_init(&d);
	if (upgrade_image_check(data, size, &img, &d) == PROV_OK) {
		if (img.payload_len == 0 || img.payload_off + img.payload_len != size)
			abort();
		if (img.has_header && (img.version[0] == '\0' ||
				       strlen(img.version) > UPGRADE_VERSION_MAX))
			abort();
	}
	while (n < size && n + 1 < sizeof(path) && data[n] != '\n' && data[n] != '\0') {
		path[n] = (char)data[n];
		n++;
	}
	path[n] = '\0';
	if (upgrade_version_of(path, v, sizeof(v))) {
		size_t vl = strlen(v);

		if (vl == 0 || vl > UPGRADE_VERSION_MAX)
			abort();
		for (size_t i = 0; i < vl; i++)
			if (v[i] <= ' ' || v[i] > '~')
				abort();
	}
	return 0;
}
