/*
 * Fuzz target for delay_parse, delay_at and delay_hhmm (device.md D-SCH-1,
 * D-SCH-4). Every delay a parsed list gives lies in [base, base + rand] of
 * its element.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "delay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t randoms[] = { 0, 1, 29, 30, 31, 12345, UINT64_MAX };
	struct delay_list l;
	struct diag d;
	unsigned m;

	if (delay_hhmm((const char *)data, size, &m) && m > 1440)
		abort();
	diag_init(&d);
	if (delay_parse((const char *)data, size, &l, &d) != PROV_OK) {
		if (d.col == 0 || l.n != 0)
			abort();
		return 0;
	}
	if (l.n > BOUND_DELAY_ITEMS)
		abort();
	for (unsigned i = 0; i <= l.n; i++) {
		for (size_t k = 0; k < sizeof(randoms) / sizeof(randoms[0]); k++) {
			const struct delay_item *it;
			uint32_t secs = 0;

			if (!delay_at(&l, i, randoms[k], &secs))
				continue;
			it = &l.item[i < l.n ? i : l.n - 1];
			if (it->base > BOUND_DELAY_VALUE || it->rand > BOUND_DELAY_VALUE ||
			    secs < it->base || secs - it->base > it->rand)
				abort();
		}
	}
	return 0;
}
