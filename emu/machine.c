/* Building and tearing down a machine; see emu/machine.h. */
#include "emu/machine.h"

#include "cpu/fpu.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/swap.h"
#include "kernel-sim/zswap.h"

#include <stdio.h>
#include <string.h>

/* The user FPU state is the CPU's own: the kernel enters through gates that leave it as
 * user code left it (in struct cpu: a kernel entry runs with the state synced; the sync
 * here keeps these accessors right for any other caller). */
static void machine_fpu_save(void *ctx, uint8_t fx[FXSAVE_SIZE])
{
	struct fxsave_image img;
	unsigned len;
	cpu_fpu_sync(ctx);
	fxsave_fill(ctx, true, &img, &len);
	memcpy(fx, img.b, FXSAVE_SIZE);
}

static bool machine_fpu_restore(void *ctx, const uint8_t fx[FXSAVE_SIZE])
{
	struct fxsave_image img;
	memcpy(img.b, fx, FXSAVE_SIZE);
	cpu_fpu_sync(ctx);
	return fxrstor_load(ctx, true, &img);
}

int machine_create(struct machine *m, const struct boot_params *p, const struct tlb_config *tlb,
		   char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	if (tlb)
		m->tlb = *tlb;
	else
		tlb_config_default(&m->tlb);
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
	r = mmu_init(&m->mmu, &m->bus, &m->tlb);
	if (r == 0 && (r = cpu_init(&m->cpu, &m->mmu)) < 0)
		mmu_destroy(&m->mmu);
	if (r < 0) {
		snprintf(err, errlen, "cannot build the CPU: %s", strerror(-r));
		kernel_shutdown(&m->kernel);
		bus_destroy(&m->bus);
		return -1;
	}
	if (p->swap_size && swapon(&m->kernel, p->swap_size, p->swap_path[0] ? p->swap_path : NULL,
				   err, errlen) < 0) {
		machine_destroy(m);
		return -1;
	}
	if (p->zswap && (!p->swap_size || zswap_init(&m->kernel, 20) < 0)) {
		snprintf(err, errlen, "--zswap: %s", p->swap_size ? "cannot set up the pool"
								  : "needs a swap area (--swap)");
		machine_destroy(m);
		return -1;
	}
	/* The kernel's TLB shootdowns (munmap, mprotect, COW) must reach this CPU's TLB. */
	kernel_register_mmu(&m->kernel, 0, &m->mmu);
	m->fpu_ops = (struct fpu_ops){machine_fpu_save, machine_fpu_restore, &m->cpu};
	m->kernel.fpu_ops = &m->fpu_ops;
	return 0;
}

void machine_destroy(struct machine *m)
{
	cpu_destroy(&m->cpu);
	mmu_destroy(&m->mmu);
	kernel_shutdown(&m->kernel);
	bus_destroy(&m->bus);
}
