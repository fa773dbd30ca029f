/*
 * /proc/PID/maps, smaps, status (memory lines) and statm, byte for byte in Linux's formats
 * (fs/proc/task_mmu.c: show_map_vma, show_smap, task_mem, task_statm; fs/proc/array.c:
 * proc_pid_statm). Values come from the mm's VMAs, counters and page tables.
 */
#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/seq_file.h"
#include "kernel-sim/swap.h"

/* show_vma_header_prefix pads the line to this column before the name. */
#define MAPS_NAME_COLUMN (25 + 8 * 6 - 1)
#define PSS_SHIFT 12

static bool vma_is_initial_heap(const struct vm_area_struct *vma)
{
	return vma->vm_start < vma->vm_mm->brk && vma->vm_end > vma->vm_mm->start_brk;
}

static bool vma_is_initial_stack(const struct vm_area_struct *vma)
{
	return vma->vm_start <= vma->vm_mm->start_stack &&
	       vma->vm_end >= vma->vm_mm->start_stack;
}

static const char *vma_name(const struct vm_area_struct *vma)
{
	if (vma->vm_file)
		return vma->vm_file->f_path;
	if (vma->vm_special)
		return vma->vm_special->name;
	if (vma_is_initial_heap(vma))
		return "[heap]";
	if (vma_is_initial_stack(vma))
		return "[stack]";
	return NULL;
}

static void show_map_vma(struct seq_file *m, const struct vm_area_struct *vma)
{
	unsigned long f = vma->vm_flags;
	const struct inode *inode = vma->vm_file ? vma->vm_file->f_inode : NULL;
	unsigned long long pgoff = inode ? (unsigned long long)vma->vm_pgoff << PAGE_SHIFT : 0;
	size_t start = m->count;
	seq_printf(m, "%08lx-%08lx %c%c%c%c %08llx %02x:%02x %lu ", vma->vm_start, vma->vm_end,
		   f & VM_READ ? 'r' : '-', f & VM_WRITE ? 'w' : '-', f & VM_EXEC ? 'x' : '-',
		   f & VM_MAYSHARE ? 's' : 'p', pgoff, inode ? inode->i_dev_major : 0,
		   inode ? inode->i_dev_minor : 0, inode ? inode->i_ino : 0);
	const char *name = vma_name(vma);
	if (name) {
		size_t len = m->count - start;
		if (len < MAPS_NAME_COLUMN)
			seq_printf(m, "%*s", (int)(MAPS_NAME_COLUMN - len), "");
		seq_putc(m, ' ');
		seq_puts(m, name);
	}
	seq_putc(m, '\n');
}

/* x86-64's gate area (Linux's get_gate_vma): the legacy vsyscall page, in every 64-bit
 * process's maps after its VMAs, though no mm owns it. */
static const struct vm_special_mapping vsyscall_mapping = {"[vsyscall]", NULL, 0};
static const struct vm_area_struct gate_vma = {
	.vm_start = 0xffffffffff600000UL,
	.vm_end = 0xffffffffff601000UL,
	.vm_flags = VM_EXEC,
	.vm_special = &vsyscall_mapping,
};

void proc_pid_maps_show(struct seq_file *m, struct kernel *k, struct mm_struct *mm)
{
	for (const struct vm_area_struct *v = mm->mmap; v; v = v->vm_next)
		show_map_vma(m, v);
	if (mm->task_size > 0xffffffffUL)
		show_map_vma(m, &gate_vma);
}

/* ---- smaps ---- */

struct mem_size_stats {
	unsigned long resident, shared_clean, shared_dirty, private_clean, private_dirty;
	unsigned long referenced, anonymous, lazyfree;
	unsigned long long pss, pss_dirty, pss_locked; /* bytes << PSS_SHIFT */
	unsigned long swap;                             /* bytes in swap */
	unsigned long long swap_pss;                    /* bytes << PSS_SHIFT */
};

/* A swap pte: the page's share of its slot (Linux's smaps_pte_entry for swap entries). */
static void smaps_swap(struct kernel *k, struct mem_size_stats *mss, pte_t pte)
{
	int count = swap_count(k, pte_to_swp_entry(pte));
	mss->swap += PAGE_SIZE;
	mss->swap_pss += ((unsigned long long)PAGE_SIZE << PSS_SHIFT) / (count >= 2 ? count : 1);
}

/* Linux's smaps_page_accumulate. */
static void smaps_page_accumulate(struct mem_size_stats *mss, const struct page *page,
				  bool dirty, bool locked, bool private, unsigned long long pss)
{
	mss->pss += pss;
	if (locked)
		mss->pss_locked += pss;
	if (dirty || PageFlag(page, PG_dirty)) {
		mss->pss_dirty += pss;
		if (private)
			mss->private_dirty += PAGE_SIZE;
		else
			mss->shared_dirty += PAGE_SIZE;
	} else if (private) {
		mss->private_clean += PAGE_SIZE;
	} else {
		mss->shared_clean += PAGE_SIZE;
	}
}

/* Linux's smaps_account for one pte-mapped page. */
static void smaps_account(struct mem_size_stats *mss, const struct page *page, bool young,
			  bool dirty, bool locked)
{
	if (PageAnon(page)) {
		mss->anonymous += PAGE_SIZE;
		if (!PageFlag(page, PG_swapbacked) && !dirty && !PageFlag(page, PG_dirty))
			mss->lazyfree += PAGE_SIZE;
	}
	mss->resident += PAGE_SIZE;
	if (young || PageFlag(page, PG_referenced))
		mss->referenced += PAGE_SIZE;
	unsigned long long full = (unsigned long long)PAGE_SIZE << PSS_SHIFT;
	if (page_count(page) == 1) {
		smaps_page_accumulate(mss, page, dirty, locked, true, full);
		return;
	}
	int mapcount = page_mapcount(page);
	unsigned long long pss = mapcount >= 2 ? full / (unsigned)mapcount : full;
	smaps_page_accumulate(mss, page, dirty, locked, mapcount < 2, pss);
}

static void smaps_vma(struct kernel *k, const struct vm_area_struct *vma,
		      struct mem_size_stats *mss)
{
	unsigned long zero = page_to_pfn(k, k->vm->zero_page);
	for (unsigned long a = vma->vm_start; a < vma->vm_end; a += PAGE_SIZE) {
		pte_t *pte = mm_find_pte(k, vma->vm_mm, a);
		if (pte && is_swap_pte(*pte) && swp_swap_info(k, pte_to_swp_entry(*pte)))
			smaps_swap(k, mss, *pte);
		if (!pte || !(pte_val(*pte) & (_PAGE_PRESENT | _PAGE_GLOBAL)))
			continue;
		unsigned long pfn = pte_pfn(*pte);
		if (pfn == zero || !pfn_valid(k, pfn))
			continue;
		smaps_account(mss, pfn_to_page(k, pfn), pte_val(*pte) & _PAGE_ACCESSED,
			      pte_val(*pte) & _PAGE_DIRTY, vma->vm_flags & VM_LOCKED);
	}
}

static void seq_kb(struct seq_file *m, const char *label, unsigned long bytes, int width)
{
	seq_printf(m, "%s%*lu kB\n", label, width, bytes >> 10);
}

static void show_smap_vma_flags(struct seq_file *m, unsigned long flags)
{
	static const char mnemonics[32][3] = {
		"rd", "wr", "ex", "sh", "mr", "mw", "me", "ms", "gd", "um", "pf", "",
		"uw", "lo", "io", "sr", "rr", "dc", "de", "lf", "ac", "nr", "ht", "sf",
		"ar", "wf", "dd", "sd", "mm", "hg", "nh", "mg",
	};
	seq_puts(m, "VmFlags: ");
	for (int i = 0; i < 32; i++)
		if ((flags & (1UL << i)) && mnemonics[i][0])
			seq_printf(m, "%s ", mnemonics[i]);
	seq_putc(m, '\n');
}

static void show_smap(struct seq_file *m, struct kernel *k, const struct vm_area_struct *vma)
{
	struct mem_size_stats mss = {0};
	smaps_vma(k, vma, &mss);
	show_map_vma(m, vma);
	seq_kb(m, "Size:           ", vma->vm_end - vma->vm_start, 8);
	seq_kb(m, "KernelPageSize: ", PAGE_SIZE, 8);
	seq_kb(m, "MMUPageSize:    ", PAGE_SIZE, 8);
	seq_kb(m, "Rss:            ", mss.resident, 8);
	seq_kb(m, "Pss:            ", (unsigned long)(mss.pss >> PSS_SHIFT), 8);
	seq_kb(m, "Pss_Dirty:      ", (unsigned long)(mss.pss_dirty >> PSS_SHIFT), 8);
	seq_kb(m, "Shared_Clean:   ", mss.shared_clean, 8);
	seq_kb(m, "Shared_Dirty:   ", mss.shared_dirty, 8);
	seq_kb(m, "Private_Clean:  ", mss.private_clean, 8);
	seq_kb(m, "Private_Dirty:  ", mss.private_dirty, 8);
	seq_kb(m, "Referenced:     ", mss.referenced, 8);
	seq_kb(m, "Anonymous:      ", mss.anonymous, 8);
	seq_kb(m, "KSM:            ", 0, 8);
	seq_kb(m, "LazyFree:       ", mss.lazyfree, 8);
	seq_kb(m, "AnonHugePages:  ", 0, 8);
	seq_kb(m, "ShmemPmdMapped: ", 0, 8);
	seq_kb(m, "FilePmdMapped:  ", 0, 8);
	seq_kb(m, "Shared_Hugetlb: ", 0, 8);
	seq_kb(m, "Private_Hugetlb: ", 0, 7);
	seq_kb(m, "Swap:           ", mss.swap, 8);
	seq_kb(m, "SwapPss:        ", (unsigned long)(mss.swap_pss >> PSS_SHIFT), 8);
	seq_kb(m, "Locked:         ", (unsigned long)(mss.pss_locked >> PSS_SHIFT), 8);
	seq_printf(m, "THPeligible:    %8u\n", 0u); /* no transparent huge pages yet */
	show_smap_vma_flags(m, vma->vm_flags);
}

void proc_pid_smaps_show(struct seq_file *m, struct kernel *k, struct mm_struct *mm)
{
	for (const struct vm_area_struct *v = mm->mmap; v; v = v->vm_next)
		show_smap(m, k, v);
}

/* ---- status and statm ---- */

/* Page-table pages under the user half of table (at depth level, 0 = pgd), as Linux's
 * mm_pgtables_bytes counts them: every table but the pgd. */
static unsigned long count_tables(struct kernel *k, const uint64_t *table, int level,
				  int levels, unsigned nr)
{
	unsigned long n = 0;
	if (level == levels - 1)
		return 0;
	for (unsigned i = 0; i < nr; i++) {
		uint64_t e = table[i];
		if (!(e & _PAGE_PRESENT) || (level > 0 && (e & _PAGE_PSE)))
			continue;
		n += 1 + count_tables(k, __va(k, e & PTE_PFN_MASK), level + 1, levels, 512);
	}
	return n;
}

unsigned long mm_pgtables_bytes(struct kernel *k, const struct mm_struct *mm)
{
	int levels = pgtable_layout(k)->levels;
	return count_tables(k, (const uint64_t *)mm->pgd, 0, levels, kernel_pgd_boundary(k)) *
	       PAGE_SIZE;
}

static void seq_pages_kb(struct seq_file *m, const char *label, unsigned long pages)
{
	seq_printf(m, "%s%8lu kB\n", label, pages << (PAGE_SHIFT - 10));
}

/* Bytes of text: the ELF's code range, page aligned, at most the executable mappings. */
static unsigned long mm_text_bytes(const struct mm_struct *mm)
{
	unsigned long text = ((mm->end_code + PAGE_SIZE - 1) & PAGE_MASK) -
			     (mm->start_code & PAGE_MASK);
	unsigned long exec = mm->exec_vm << PAGE_SHIFT;
	return text < exec ? text : exec;
}

void proc_pid_status_mem_show(struct seq_file *m, struct kernel *k, struct mm_struct *mm)
{
	unsigned long anon = get_mm_counter(mm, MM_ANONPAGES);
	unsigned long file = get_mm_counter(mm, MM_FILEPAGES);
	unsigned long shmem = get_mm_counter(mm, MM_SHMEMPAGES);
	unsigned long total_rss = anon + file + shmem;
	unsigned long hiwater_vm = mm->total_vm > mm->hiwater_vm ? mm->total_vm : mm->hiwater_vm;
	unsigned long hiwater_rss = total_rss > mm->hiwater_rss ? total_rss : mm->hiwater_rss;
	unsigned long text = mm_text_bytes(mm);
	unsigned long lib = (mm->exec_vm << PAGE_SHIFT) - text;
	seq_pages_kb(m, "VmPeak:\t", hiwater_vm);
	seq_pages_kb(m, "VmSize:\t", mm->total_vm);
	seq_pages_kb(m, "VmLck:\t", mm->locked_vm);
	seq_pages_kb(m, "VmPin:\t", mm->pinned_vm);
	seq_pages_kb(m, "VmHWM:\t", hiwater_rss);
	seq_pages_kb(m, "VmRSS:\t", total_rss);
	seq_pages_kb(m, "RssAnon:\t", anon);
	seq_pages_kb(m, "RssFile:\t", file);
	seq_pages_kb(m, "RssShmem:\t", shmem);
	seq_pages_kb(m, "VmData:\t", mm->data_vm);
	seq_pages_kb(m, "VmStk:\t", mm->stack_vm);
	seq_kb(m, "VmExe:\t", text, 8);
	seq_kb(m, "VmLib:\t", lib, 8);
	seq_kb(m, "VmPTE:\t", mm_pgtables_bytes(k, mm), 8);
	seq_pages_kb(m, "VmSwap:\t", get_mm_counter(mm, MM_SWAPENTS));
}

void proc_pid_statm_show(struct seq_file *m, struct kernel *k, struct mm_struct *mm)
{
	unsigned long shared = get_mm_counter(mm, MM_FILEPAGES) + get_mm_counter(mm, MM_SHMEMPAGES);
	unsigned long text = (((mm->end_code + PAGE_SIZE - 1) & PAGE_MASK) -
			      (mm->start_code & PAGE_MASK)) >> PAGE_SHIFT;
	unsigned long data = mm->data_vm + mm->stack_vm;
	unsigned long resident = shared + get_mm_counter(mm, MM_ANONPAGES);
	seq_printf(m, "%lu %lu %lu %lu 0 %lu 0\n", mm->total_vm, resident, shared, text, data);
}
