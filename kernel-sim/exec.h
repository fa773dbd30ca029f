/*
 * Starting a program, as Linux's execve path (fs/exec.c, fs/binfmt_elf.c): a new task with
 * a fresh mm, the ELF executable's segments mapped from its page cache, bss and brk, the
 * stack VMA with argv, envp and the auxiliary vector, and the user registers the program
 * starts with.
 */
#ifndef KSIM_EXEC_H
#define KSIM_EXEC_H

#include <stddef.h>

#include "kernel-sim/binfmt_elf.h"
#include "kernel-sim/ptrace.h"
#include "kernel-sim/sched.h"

struct kernel;

struct exec_request {
	const char *host_path;      /* the executable, opened on the host */
	const char *filename;       /* the path as the program sees it (AT_EXECFN, argv[0]) */
	int argc;
	const char *const *argv;
	int envc;
	const char *const *envp;
	uint64_t hwcap, hwcap2;     /* the CPU's capabilities for the auxv */
};

/* Linux's ELF_ET_DYN_BASE for 64-bit programs (2/3 of the 47-bit space), where a static
 * PIE's heap starts. */
#define ELF_ET_DYN_BASE_64 (0x7ffffffff000ULL / 3 * 2)
#define IA32_PAGE_OFFSET 0xffffe000UL
#define STACK_EXPAND (128 * 1024) /* setup_arg_pages grows the stack this much below argv */

/*
 * Creates a task running the executable: reads and checks it (elf_parse), builds its mm,
 * maps its segments and stack, and fills *regs with the state at the entry point. The task
 * becomes k->current. NULL with a one-line reason in err (-errno in *errp) when the file
 * cannot be run.
 */
struct task_struct *exec_new_task(struct kernel *k, const struct exec_request *req,
				  struct pt_regs *regs, int *errp, char *err, size_t errlen);
/* Frees a task whose program has ended: its mm (every page and table) and the task. */
void release_task(struct kernel *k, struct task_struct *task);

#endif /* KSIM_EXEC_H */
