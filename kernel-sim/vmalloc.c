/*
 * vmalloc, vmap and /proc/vmallocinfo, as Linux's mm/vmalloc.c; the kernel page tables'
 * boot (init_mem_mapping, preallocate_vmalloc_pages of arch/x86/mm/init_64.c). See
 * kernel-sim/vmalloc.h for the guest and host views of the space.
 *
 * Busy areas sit on one list sorted by address; a new area takes the lowest gap that fits
 * (first fit), as Linux's augmented free-area tree finds it, in linear time here. Areas are
 * freed at once: no lazy purge, so /proc/vmallocinfo never shows "unpurged vm_area".
 *
 * Bookkeeping (struct vmap_area) is host memory; the pages[] array of an area lives where
 * Linux puts it: for more than a page of pointers in a nested vmalloc area (shown as
 * "vpages"), else on the host heap in place of kmalloc.
 */
#define _GNU_SOURCE
#include "kernel-sim/vmalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel-sim/bug.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/seq_file.h"
#include "kernel-sim/vmstat.h"

/* The gfp bits that say how hard to try, kept for a nested pages[] allocation. */
#define GFP_RECLAIM_MASK                                                                       \
	(__GFP_RECLAIM | __GFP_HIGH | __GFP_IO | __GFP_FS | __GFP_NOWARN | __GFP_RETRY_MAYFAIL | \
	 __GFP_NOFAIL | __GFP_NORETRY | __GFP_MEMALLOC | __GFP_NOMEMALLOC)

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* ---- the space and its mirror ---- */

static uint8_t *mirror_at(const struct vmap_state *vs, uint64_t kva)
{
	return vs->mirror + (kva - vs->vmalloc_start);
}

bool is_vmalloc_kva(const struct kernel *k, uint64_t kva)
{
	const struct vmap_state *vs = k->vmap;
	return vs && kva >= vs->vmalloc_start && kva < vs->vmalloc_end;
}

bool is_vmalloc_addr(const struct kernel *k, const void *addr)
{
	const struct vmap_state *vs = k->vmap;
	const uint8_t *p = addr;
	return vs && p >= vs->mirror &&
	       (uint64_t)(p - vs->mirror) < vs->vmalloc_end - vs->vmalloc_start;
}

uint64_t vmalloc_kva(const struct kernel *k, const void *addr)
{
	BUG_ON(!is_vmalloc_addr(k, addr));
	return k->vmap->vmalloc_start + (uint64_t)((const uint8_t *)addr - k->vmap->mirror);
}

void *vmalloc_from_kva(const struct kernel *k, uint64_t kva)
{
	BUG_ON(!is_vmalloc_kva(k, kva));
	return mirror_at(k->vmap, kva);
}

uint64_t vmalloc_total_bytes(struct kernel *k)
{
	return k->vmap ? k->vmap->vmalloc_end - k->vmap->vmalloc_start : 0;
}

unsigned long vmalloc_nr_pages(struct kernel *k)
{
	return k->nr_vmalloc_pages;
}

/*
 * Aliases the frames of pages[0..n) at the mirror of [kva, kva + n pages), one mmap() per
 * run of consecutive frames. 0 or -ENOMEM (the host refused a mapping).
 */
static int mirror_map(struct kernel *k, uint64_t kva, struct page **pages, unsigned n)
{
	for (unsigned i = 0; i < n;) {
		unsigned long pfn = page_to_pfn(k, pages[i]);
		unsigned run = 1;
		while (i + run < n && page_to_pfn(k, pages[i + run]) == pfn + run)
			run++;
		/* the mem_map's frames, private memory (mmu/bus.h), never reach vmalloc */
		BUG_ON(!bus_ram_shared(k->bus, PFN_PHYS(pfn), (uint64_t)run << PAGE_SHIFT));
		void *want = mirror_at(k->vmap, kva + PFN_PHYS(i));
		void *got = mmap(want, (size_t)run << PAGE_SHIFT, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED, k->bus->ram_fd, (off_t)PFN_PHYS(pfn));
		if (got == MAP_FAILED)
			return -ENOMEM;
		i += run;
	}
	return 0;
}

/* Turns the mirror of [kva, kva + len) back into an inaccessible hole. */
static void mirror_unmap(struct kernel *k, uint64_t kva, uint64_t len)
{
	void *got = mmap(mirror_at(k->vmap, kva), len, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	BUG_ON(got == MAP_FAILED);
}

/* ---- page tables of an area ---- */

/* The pte for kva in init_pgd, allocating missing tables; NULL when out of memory. */
static pte_t *vmalloc_pte_alloc(struct kernel *k, uint64_t kva)
{
	pgd_t *pgd = pgd_offset_k(k, kva);
	BUG_ON(pgd_none(*pgd)); /* preallocate_vmalloc_pages() filled every vmalloc pgd entry */
	p4d_t *p4d = p4d_alloc(k, pgd, kva);
	pud_t *pud = p4d ? pud_alloc(k, p4d, kva) : NULL;
	pmd_t *pmd = pud ? pmd_alloc(k, pud, kva) : NULL;
	return pmd ? pte_alloc_kernel(k, pmd, kva) : NULL;
}

/* Maps pages[0..n) at [kva, ...) with prot in init_pgd and in the mirror. 0 or -ENOMEM;
 * on failure what was mapped stays mapped (the caller's release clears it). */
static int vmap_pages_range(struct kernel *k, uint64_t kva, struct page **pages, unsigned n,
			    pgprot_t prot)
{
	for (unsigned i = 0; i < n; i++) {
		pte_t *pte = vmalloc_pte_alloc(k, kva + PFN_PHYS(i));
		if (!pte)
			return -ENOMEM;
		BUG_ON(!pte_none(*pte));
		set_pte(pte, pfn_pte(page_to_pfn(k, pages[i]), prot));
	}
	return mirror_map(k, kva, pages, n);
}

/* Clears every pte of [start, end) in init_pgd and the mirror. The tables stay, as Linux
 * keeps the vmalloc range's tables once built. */
static void vunmap_range(struct kernel *k, uint64_t start, uint64_t end)
{
	for (uint64_t kva = start; kva < end; kva += PAGE_SIZE) {
		enum pg_level level;
		pte_t *pte = lookup_address(k, kva, &level);
		if (pte && level == PG_LEVEL_4K)
			pte_clear(pte);
	}
	/* Linux flushes the TLBs here (flush_tlb_kernel_range); the CPU side will hook in. */
	mirror_unmap(k, start, end - start);
}

/* Every pgd entry of the vmalloc range gets its next-level table now, so each pgd_alloc()
 * copies them and later vmallocs never need to sync pgds (Linux's
 * preallocate_vmalloc_pages; it runs after the buddy allocator is up, here from memblock
 * with the other boot tables, which keeps the buddy and pcp lists untouched by boot). */
static int preallocate_vmalloc_pages(struct kernel *k)
{
	struct vmap_state *vs = k->vmap;
	uint64_t pgdir_size = 1ULL << vs->pgt.pgdir_shift;
	for (uint64_t addr = vs->vmalloc_start; addr < vs->vmalloc_end;
	     addr = align_up(addr + 1, pgdir_size)) {
		p4d_t *p4d = p4d_alloc(k, pgd_offset_k(k, addr), addr);
		if (!p4d)
			return -ENOMEM;
		if (vs->pgt.levels == 5)
			continue;
		if (!pud_alloc(k, p4d, addr))
			return -ENOMEM;
	}
	return 0;
}

/* ---- areas ---- */

/* Bytes of vmalloc space a size-byte area needs with its guard page. */
static uint64_t area_span(uint64_t size, unsigned long flags)
{
	return size + ((flags & VM_NO_GUARD) ? 0 : PAGE_SIZE);
}

/*
 * Reserves the lowest range of span bytes aligned to align and links a new area for it.
 * NULL when no gap fits or the host has no memory for the record.
 */
static struct vmap_area *alloc_vmap_area(struct kernel *k, uint64_t size, uint64_t align,
					 unsigned long flags, const char *caller)
{
	struct vmap_state *vs = k->vmap;
	uint64_t span = area_span(size, flags);
	uint64_t space = vs->vmalloc_end - vs->vmalloc_start;
	if (align > space || span > space)
		return NULL;
	uint64_t addr = align_up(vs->vmalloc_start, align);
	struct list_head *before = &vs->busy;
	struct vmap_area *busy;
	list_for_each_entry(busy, &vs->busy, list) {
		if (busy->va_end <= addr)
			continue;
		if (addr + span <= busy->va_start) {
			before = &busy->list;
			break;
		}
		addr = align_up(busy->va_end, align);
	}
	if (addr + span > vs->vmalloc_end)
		return NULL;
	struct vmap_area *va = calloc(1, sizeof(*va));
	char *name = caller ? strdup(caller) : NULL;
	if (!va || (caller && !name)) {
		free(va);
		free(name);
		return NULL;
	}
	va->va_start = addr;
	va->va_end = addr + span;
	va->vm = (struct vm_struct){mirror_at(vs, addr), span, flags, NULL, 0, name};
	list_add_tail(&va->list, before);
	vs->nr_areas++;
	return va;
}

static struct vmap_area *find_vmap_area(const struct kernel *k, uint64_t kva)
{
	struct vmap_area *va;
	list_for_each_entry(va, &k->vmap->busy, list) {
		if (kva < va->va_start)
			return NULL;
		if (kva < va->va_end)
			return va;
	}
	return NULL;
}

struct vm_struct *find_vm_area(const struct kernel *k, const void *addr)
{
	if (!is_vmalloc_addr(k, addr))
		return NULL;
	struct vmap_area *va = find_vmap_area(k, vmalloc_kva(k, addr));
	return va ? &va->vm : NULL;
}

static void free_area_pages_array(struct kernel *k, struct vm_struct *vm)
{
	if (is_vmalloc_addr(k, vm->pages))
		vfree(k, vm->pages);
	else
		free(vm->pages);
	vm->pages = NULL;
}

/* Frees the frames of a VM_ALLOC area (uncounting them) and its pages[] array. */
static void vm_free_pages(struct kernel *k, struct vm_struct *vm)
{
	for (unsigned i = 0; i < vm->nr_pages; i++) {
		struct page *page = vm->pages[i];
		__ClearPageVmalloc(page);
		__free_pages(k, page, 0);
	}
	k->nr_vmalloc_pages -= vm->nr_pages;
	vm->nr_pages = 0;
	if (vm->pages)
		free_area_pages_array(k, vm);
}

/* Unmaps an area, frees what it owns and forgets it. */
static void release_vmap_area(struct kernel *k, struct vmap_area *va)
{
	uint64_t mapped_end = va->va_start + va->vm.size -
			      ((va->vm.flags & VM_NO_GUARD) ? 0 : PAGE_SIZE);
	vunmap_range(k, va->va_start, mapped_end);
	if (va->vm.flags & VM_ALLOC)
		vm_free_pages(k, &va->vm);
	list_del(&va->list);
	k->vmap->nr_areas--;
	free(va->vm.caller);
	free(va);
}

/* pages[] for nr frames: a nested vmalloc when more than a page, as Linux does. */
static struct page **alloc_pages_array(struct kernel *k, unsigned long nr, gfp_t gfp, int node,
				       const char *caller)
{
	size_t bytes = nr * sizeof(struct page *);
	if (bytes > PAGE_SIZE)
		return __vmalloc_node(k, bytes, 1, (gfp & GFP_RECLAIM_MASK) | __GFP_ZERO, node,
				      caller);
	return calloc(nr, sizeof(struct page *));
}

/*
 * Fills a reserved VM_ALLOC area: one order-0 frame at a time from node, then the page
 * tables and the mirror (Linux's __vmalloc_area_node). 0 or -ENOMEM; on failure the frames
 * taken so far stay recorded in the area for its release.
 */
static int vmalloc_area_populate(struct kernel *k, struct vmap_area *va, gfp_t gfp, int node)
{
	struct vm_struct *vm = &va->vm;
	unsigned long nr = (vm->size - PAGE_SIZE) >> PAGE_SHIFT;
	vm->pages = alloc_pages_array(k, nr, gfp, node, vm->caller);
	if (!vm->pages)
		return -ENOMEM;
	gfp_t page_gfp = gfp | __GFP_NOWARN;
	if (!(gfp & (__GFP_DMA | __GFP_DMA32)))
		page_gfp |= __GFP_HIGHMEM;
	while (vm->nr_pages < nr) {
		struct page *page = alloc_pages_node(k, node, page_gfp, 0);
		if (!page)
			return -ENOMEM;
		SetPageVmalloc(page);
		k->nr_vmalloc_pages++;
		vm->pages[vm->nr_pages++] = page;
	}
	return vmap_pages_range(k, va->va_start, vm->pages, vm->nr_pages, PAGE_KERNEL);
}

void *__vmalloc_node(struct kernel *k, unsigned long size, unsigned long align, gfp_t gfp,
		     int node, const char *caller)
{
	if (!k->vmap || size == 0 || (size >> PAGE_SHIFT) > k->totalram_pages)
		return NULL;
	if ((align & (align - 1)) || node < NUMA_NO_NODE || node >= k->nr_node_ids)
		return NULL;
	struct vmap_area *va = alloc_vmap_area(k, align_up(size, PAGE_SIZE),
					       align < PAGE_SIZE ? PAGE_SIZE : align, VM_ALLOC,
					       caller);
	if (!va)
		return NULL;
	if (vmalloc_area_populate(k, va, gfp, node) < 0) {
		release_vmap_area(k, va);
		return NULL;
	}
	return va->vm.addr;
}

/* The area that starts at addr, or NULL with a warning (freeing what was never given). */
static struct vmap_area *area_starting_at(struct kernel *k, const void *addr)
{
	struct vmap_area *va = NULL;
	if (k->vmap && is_vmalloc_addr(k, addr))
		va = find_vmap_area(k, vmalloc_kva(k, addr));
	if (WARN_ON(!va || va->vm.addr != addr))
		return NULL;
	return va;
}

void vfree(struct kernel *k, const void *addr)
{
	if (!addr)
		return;
	struct vmap_area *va = area_starting_at(k, addr);
	if (va)
		release_vmap_area(k, va);
}

void *vmap_pages(struct kernel *k, struct page **pages, unsigned int count, unsigned long flags,
		 pgprot_t prot, const char *caller)
{
	if (!k->vmap || count == 0 || count > k->max_pfn)
		return NULL;
	flags = (flags & ~VM_ALLOC) | VM_MAP;
	struct vmap_area *va = alloc_vmap_area(k, PFN_PHYS(count), PAGE_SIZE, flags, caller);
	if (!va)
		return NULL;
	if (vmap_pages_range(k, va->va_start, pages, count, prot) < 0) {
		release_vmap_area(k, va);
		return NULL;
	}
	return va->vm.addr;
}

void vunmap(struct kernel *k, const void *addr)
{
	if (!addr)
		return;
	struct vmap_area *va = area_starting_at(k, addr);
	if (va && !WARN_ON(va->vm.flags & VM_ALLOC))
		release_vmap_area(k, va);
}

struct page *vmalloc_to_page(const struct kernel *k, const void *addr)
{
	if (!is_vmalloc_addr(k, addr))
		return NULL;
	enum pg_level level;
	pte_t *pte = lookup_address(k, vmalloc_kva(k, addr), &level);
	if (!pte || level != PG_LEVEL_4K || !pte_present(*pte) || !pfn_valid(k, pte_pfn(*pte)))
		return NULL;
	return pfn_to_page(k, pte_pfn(*pte));
}

unsigned long vmalloc_to_pfn(const struct kernel *k, const void *addr)
{
	struct page *page = vmalloc_to_page(k, addr);
	return page ? page_to_pfn(k, page) : 0;
}

/* ---- /proc/vmallocinfo ---- */

static void show_numa_info(struct seq_file *m, struct kernel *k, const struct vm_struct *vm)
{
	unsigned counters[MAX_NUMNODES] = {0};
	for (unsigned i = 0; i < vm->nr_pages; i++)
		counters[page_to_nid(vm->pages[i])]++;
	for_each_online_node(k, nid)
		if (counters[nid])
			seq_printf(m, " N%d=%u", nid, counters[nid]);
}

static void show_vm_area(struct seq_file *m, struct kernel *k, const struct vmap_area *va)
{
	const struct vm_struct *vm = &va->vm;
	seq_printf(m, "0x%016" PRIx64 "-0x%016" PRIx64 " %7ld", va->va_start,
		   va->va_start + vm->size, (long)vm->size);
	if (vm->caller)
		seq_printf(m, " %s+0x0/0x0", vm->caller);
	if (vm->nr_pages)
		seq_printf(m, " pages=%u", vm->nr_pages);
	if (vm->flags & VM_IOREMAP)
		seq_puts(m, " ioremap");
	if (vm->flags & VM_ALLOC)
		seq_puts(m, " vmalloc");
	if (vm->flags & VM_MAP)
		seq_puts(m, " vmap");
	if (vm->flags & VM_USERMAP)
		seq_puts(m, " user");
	if (vm->flags & VM_DMA_COHERENT)
		seq_puts(m, " dma-coherent");
	if (vm->pages && is_vmalloc_addr(k, vm->pages))
		seq_puts(m, " vpages");
	show_numa_info(m, k, vm);
	seq_putc(m, '\n');
}

void vmallocinfo_show(struct seq_file *m, struct kernel *k)
{
	if (!k->vmap)
		return;
	struct vmap_area *va;
	list_for_each_entry(va, &k->vmap->busy, list)
		show_vm_area(m, k, va);
}

/* ---- boot and shutdown ---- */

/* The vmalloc space's size from the boot parameters; 0 when they ask for a bad one. */
static uint64_t vmalloc_size_param(const struct kernel *k)
{
	uint64_t want = k->params.vmalloc_size;
	if (want == 0) {
		uint64_t twice_ram = align_up(2 * PFN_PHYS(k->max_pfn), 1ULL << 30);
		want = twice_ram > VMALLOC_SIZE_DEFAULT_MIN ? twice_ram : VMALLOC_SIZE_DEFAULT_MIN;
		return want < VMALLOC_SIZE_MAX ? want : VMALLOC_SIZE_MAX;
	}
	if ((want & (PAGE_SIZE - 1)) || want < 2 * PAGE_SIZE || want > VMALLOC_SIZE_MAX)
		return 0;
	return want;
}

int vmalloc_init(struct kernel *k)
{
	BUG_ON(k->vmap);
	if (k->params.arch != KARCH_X86_64)
		return 0;
	uint64_t size = vmalloc_size_param(k);
	if (size == 0 || sysconf(_SC_PAGESIZE) != (long)PAGE_SIZE)
		return -EINVAL;
	struct vmap_state *vs = calloc(1, sizeof(*vs));
	if (!vs)
		return -ENOMEM;
	vs->pgt = pgtable_layout_x86_64_4level;
	vs->vmalloc_start = VMALLOC_START;
	vs->vmalloc_end = VMALLOC_START + size;
	INIT_LIST_HEAD(&vs->busy);
	vs->mirror = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			  0);
	if (vs->mirror == MAP_FAILED) {
		free(vs);
		return -ENOMEM;
	}
	k->vmap = vs;
	k->vmalloc_total = size;
	int err = init_mem_mapping(k);
	if (!err)
		err = preallocate_vmalloc_pages(k);
	if (err)
		vmalloc_shutdown(k);
	return err;
}

void vmalloc_shutdown(struct kernel *k)
{
	struct vmap_state *vs = k->vmap;
	if (!vs)
		return;
	struct vmap_area *va, *n;
	list_for_each_entry_safe(va, n, &vs->busy, list) {
		if (!is_vmalloc_addr(k, va->vm.pages))
			free(va->vm.pages);
		free(va->vm.caller);
		free(va);
	}
	munmap(vs->mirror, vs->vmalloc_end - vs->vmalloc_start);
	free(vs);
	k->vmap = NULL;
	k->vmalloc_total = 0;
}
