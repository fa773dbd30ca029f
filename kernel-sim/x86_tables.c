/* Per-CPU GDT, IDT, TSS and kernel stack; see kernel-sim/x86_tables.h. */
#include "kernel-sim/x86_tables.h"

#include <errno.h>
#include <string.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/ptrace.h"
#include "mmu/seg.h"

/*
 * A 64-bit interrupt gate (SDM Vol. 3, 6.14.1):
 *
 *   127          96 95         64 63    48 47 46 45 44 40 39 35 34 32 31    16 15      0
 *  +--------------+-------------+--------+--+-----+-----+-----+-----+--------+--------+
 *  |   reserved   | offset 63:32| off31:16| P| DPL |0 type| 0   | IST | select | off15:0|
 *  +--------------+-------------+--------+--+-----+-----+-----+-----+--------+--------+
 */
static void write_gate(uint8_t *idt, int vec, uint64_t target, unsigned dpl)
{
	uint8_t *g = idt + 16 * vec;
	uint64_t lo = (target & 0xffff) | ((uint64_t)__KERNEL_CS << 16) |
		      ((uint64_t)(0x80 | (dpl << 5) | 0xe) << 40) |
		      ((target >> 16) & 0xffff) << 48;
	uint64_t hi = target >> 32;
	memcpy(g, &lo, 8);
	memcpy(g + 8, &hi, 8);
}

/* Linux's idt_setup_traps: every vector at its stub; INT3, INTO and INT 0x80 callable from
 * user mode (DPL 3), everything else only by the hardware. */
static void write_idt(uint8_t *idt)
{
	memset(idt, 0, 4096);
	for (int vec = 0; vec < 256; vec++) {
		unsigned dpl = (vec == 3 || vec == 4 || vec == IA32_SYSCALL_VECTOR) ? 3 : 0;
		write_gate(idt, vec, IDT_ENTRY(vec), dpl);
	}
}

static uint64_t alloc_kernel_pages(struct kernel *k, int cpu, unsigned order)
{
	struct page *page = alloc_pages_node(k, k->cpu_to_node[cpu], GFP_KERNEL | __GFP_ZERO, order);
	return page ? page_to_phys(k, page) : 0;
}

int x86_cpu_tables_init(struct kernel *k, int cpu, struct x86_cpu_tables *t)
{
	memset(t, 0, sizeof(*t));
	t->gdt_pa = alloc_kernel_pages(k, cpu, 0);
	t->idt_pa = alloc_kernel_pages(k, cpu, 0);
	t->tss_pa = alloc_kernel_pages(k, cpu, 0);
	t->kstack_pa = alloc_kernel_pages(k, cpu, 2);
	if (!t->gdt_pa || !t->idt_pa || !t->tss_pa || !t->kstack_pa) {
		x86_cpu_tables_free(k, t);
		return -ENOMEM;
	}
	t->gdt_va = __kva(k, t->gdt_pa);
	t->idt_va = __kva(k, t->idt_pa);
	t->tss_va = __kva(k, t->tss_pa);
	t->kstack_top = __kva(k, t->kstack_pa) + THREAD_SIZE;
	/* TSS: RSP0 at offset 4; no I/O bitmap (its base past the limit). */
	uint8_t *tss = __va(k, t->tss_pa);
	memcpy(tss + 4, &t->kstack_top, 8);
	uint16_t iomap = TSS_SIZE;
	memcpy(tss + 102, &iomap, 2);
	int limit = seg_write_linux_gdt64(k->bus, t->gdt_pa, t->tss_va, TSS_SIZE - 1);
	if (limit < 0) {
		x86_cpu_tables_free(k, t);
		return -ENOMEM;
	}
	t->gdt_limit = (uint16_t)limit;
	write_idt(__va(k, t->idt_pa));
	t->idt_limit = 256 * 16 - 1;
	return 0;
}

static void free_phys(struct kernel *k, uint64_t pa, unsigned order)
{
	if (pa)
		__free_pages(k, pfn_to_page(k, pa >> PAGE_SHIFT), order);
}

void x86_cpu_tables_free(struct kernel *k, struct x86_cpu_tables *t)
{
	free_phys(k, t->gdt_pa, 0);
	free_phys(k, t->idt_pa, 0);
	free_phys(k, t->tss_pa, 0);
	free_phys(k, t->kstack_pa, 2);
	memset(t, 0, sizeof(*t));
}

void x86_load_tls(struct kernel *k, const struct x86_cpu_tables *t, const uint64_t tls[3])
{
	memcpy((uint8_t *)__va(k, t->gdt_pa) + 8 * GDT_ENTRY_TLS_MIN, tls, 3 * 8);
}
