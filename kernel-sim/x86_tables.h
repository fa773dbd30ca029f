/*
 * What the kernel sets up for each CPU before it can run a program, as Linux's cpu_init()
 * and idt_setup_traps() do: a GDT (Linux's x86-64 layout, with the TSS descriptor), an
 * IDT whose 256 gates point at the kernel's entry stubs, a TSS whose RSP0 is the kernel
 * stack that exceptions switch to, and the SYSCALL entry points for the MSRs.
 *
 * The tables live in kernel memory (guest RAM from the buddy allocator) in the real x86
 * formats, so the CPU reads them exactly as hardware would. The entry "stubs" are kernel
 * text addresses the machine's glue registers as C entry points with the CPU.
 *
 *   KERNEL_ENTRY_TEXT + 16 * vector   the IDT gate of each vector (Linux's irq_entries_start)
 *   KERNEL_ENTRY_TEXT + 0x1000        entry_SYSCALL_64
 *   KERNEL_ENTRY_TEXT + 0x1010        entry_SYSCALL_compat
 */
#ifndef KSIM_X86_TABLES_H
#define KSIM_X86_TABLES_H

#include <stdint.h>

struct kernel;

#define __START_KERNEL_map 0xffffffff80000000ULL
#define KERNEL_ENTRY_TEXT (__START_KERNEL_map + 0x1000000ULL) /* Linux's _text */
#define ENTRY_SYSCALL_64 (KERNEL_ENTRY_TEXT + 0x1000)
#define ENTRY_SYSCALL_COMPAT (KERNEL_ENTRY_TEXT + 0x1010)
#define IDT_ENTRY(vec) (KERNEL_ENTRY_TEXT + 16ULL * (vec))
#define IA32_SYSCALL_VECTOR 0x80
#define THREAD_SIZE (16 * 1024) /* kernel stack per CPU, order 2 as on x86-64 */
#define TSS_SIZE 104            /* the 64-bit TSS (SDM Vol. 3, 8.7) */

struct x86_cpu_tables {
	uint64_t gdt_pa, gdt_va;     /* GDT_ENTRIES descriptors */
	uint16_t gdt_limit;
	uint64_t idt_pa, idt_va;     /* 256 16-byte gates */
	uint16_t idt_limit;
	uint64_t tss_pa, tss_va;     /* the 64-bit TSS */
	uint64_t kstack_pa;          /* bottom of the kernel stack */
	uint64_t kstack_top;         /* its top, as a kernel virtual address: TSS.RSP0 */
};

/* Allocates and writes cpu's GDT, IDT, TSS and kernel stack. 0 or -ENOMEM. */
int x86_cpu_tables_init(struct kernel *k, int cpu, struct x86_cpu_tables *t);
void x86_cpu_tables_free(struct kernel *k, struct x86_cpu_tables *t);

/* Writes the three TLS descriptors (set_thread_area) into GDT entries 12-14 of t. */
void x86_load_tls(struct kernel *k, const struct x86_cpu_tables *t, const uint64_t tls[3]);

#endif /* KSIM_X86_TABLES_H */
