/* A guard page: touching a PROT_NONE page raises SIGSEGV with si_code SEGV_ACCERR at the
 * faulting address; the handler runs on an alternate stack and jumps back. Then a wild
 * pointer gives SEGV_MAPERR. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static sigjmp_buf back;
static volatile uintptr_t fault_addr;
static volatile int fault_code;
static volatile uintptr_t wild_addr = 16; /* in the never-mapped first page */

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = (uintptr_t)si->si_addr;
	fault_code = si->si_code;
	siglongjmp(back, 1);
}

int main(void)
{
	static char altstack[65536];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_ONSTACK};
	sigaltstack(&ss, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(p + 4096, 4096, PROT_NONE);
	if (!sigsetjmp(back, 1)) {
		p[4096 + 123] = 1;
		printf("no fault?\n");
	}
	printf("guard page: %s at offset %ld\n",
	       fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other", (long)(fault_addr - (uintptr_t)p));
	if (!sigsetjmp(back, 1)) {
		*(volatile int *)wild_addr = 1;
		printf("no fault?\n");
	}
	printf("null page: %s at %#lx\n", fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other",
	       (unsigned long)fault_addr);
	return 0;
}
