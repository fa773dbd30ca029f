/*
 * TLB shootdown after the kernel changes user ptes, as Linux's arch/x86/mm/tlb.c
 * (flush_tlb_mm_range): every CPU whose MMU has this mm's tables loaded in CR3 drops the
 * stale translations, with one INVLPG per page up to tlb_single_page_flush_ceiling (33)
 * pages, else by reloading CR3 (a flush of the whole non-global context, as
 * native_flush_tlb_local). INVLPG also drops the page-walk caches of the context, so tables
 * freed with the pages leave no stale pointers behind.
 *
 * The machine registers each CPU's MMU (kernel_register_mmu); until it does, and for mms
 * no CPU has loaded, there is nothing to flush.
 */
#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "mmu/mmu.h"
#include "mmu/paging.h"

#define TLB_SINGLE_PAGE_FLUSH_CEILING 33

void kernel_register_mmu(struct kernel *k, int cpu, struct mmu *mmu)
{
	BUG_ON(cpu < 0 || cpu >= NR_CPUS);
	k->cpu_mmu[cpu] = mmu;
}

static bool mmu_runs_mm(const struct kernel *k, const struct mmu *m, const struct mm_struct *mm)
{
	return (m->cr0 & CR0_PG) && (m->cr3 & PTE_PFN_MASK) == __pa(k, mm->pgd);
}

void flush_tlb_mm_range(struct kernel *k, struct mm_struct *mm, unsigned long start,
			unsigned long end)
{
	unsigned long pages = (end - start) >> PAGE_SHIFT;
	for (int cpu = 0; cpu < k->nr_cpu_ids; cpu++) {
		struct mmu *m = k->cpu_mmu[cpu];
		if (!m || !mmu_runs_mm(k, m, mm))
			continue;
		if (pages > TLB_SINGLE_PAGE_FLUSH_CEILING) {
			struct x86_fault f;
			bool ok = mmu_set_cr3(m, m->cr3 & ~(1ULL << 63), &f);
			BUG_ON(!ok); /* reloading the value it holds cannot be refused */
			continue;
		}
		for (unsigned long a = start; a < end; a += PAGE_SIZE)
			mmu_invlpg(m, a);
	}
}
