/* Building and tearing down a machine; see emu/machine.h. */
#include "emu/machine.h"

#include <stdio.h>
#include <string.h>

int machine_create(struct machine *m, const struct boot_params *p, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	int r = bus_init(&m->bus, p->ram_size);
	if (r < 0) {
		snprintf(err, errlen, "cannot map %llu bytes of guest RAM: %s",
			 (unsigned long long)p->ram_size, strerror(-r));
		return -1;
	}
	if (kernel_boot(&m->kernel, &m->bus, p, err, errlen) < 0) {
		bus_destroy(&m->bus);
		return -1;
	}
	return 0;
}

void machine_destroy(struct machine *m)
{
	kernel_shutdown(&m->kernel);
	bus_destroy(&m->bus);
}
