#include "mmu/mmu_internal.h"

void seg_reset(struct mmu *m)
{
	memset(&m->seg, 0, sizeof(m->seg));
}
