/* zswap: see kernel-sim/zswap.h. */
#include "kernel-sim/zswap.h"

#include <errno.h>

#include "kernel-sim/kernel.h"

int zswap_init(struct kernel *k, int max_pool_percent)
{
	(void)k;
	(void)max_pool_percent;
	return -ENOSYS;
}

void zswap_shutdown(struct kernel *k)
{
	(void)k;
}

bool zswap_store(struct kernel *k, swp_entry_t entry, const void *src)
{
	(void)k;
	(void)entry;
	(void)src;
	return false;
}

bool zswap_load(struct kernel *k, swp_entry_t entry, void *dst)
{
	(void)k;
	(void)entry;
	(void)dst;
	return false;
}

void zswap_invalidate(struct kernel *k, swp_entry_t entry)
{
	(void)k;
	(void)entry;
}

struct zswap_stats zswap_get_stats(const struct kernel *k)
{
	(void)k;
	return (struct zswap_stats){0};
}
