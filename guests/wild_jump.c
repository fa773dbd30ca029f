/* A program that goes wrong on purpose, one way per argument, so a run can be compared
 * with the native one: the signal that kills it and what it printed before.
 *
 *   null        call through a pointer into the never-mapped first page   SIGSEGV
 *   nx          jump into a data array (not executable)                  SIGSEGV
 *   kernel      jump to a kernel address                                 SIGSEGV
 *   noncanon    jump to a non-canonical address (x86-64; #GP)            SIGSEGV
 *   ud2         an undefined instruction                                 SIGILL
 *   garbage     jump into executable memory holding bytes no x86 decodes SIGILL
 *   hlt         a privileged instruction at CPL 3 (#GP)                  SIGSEGV
 *   int3        a breakpoint                                             SIGTRAP
 *   spin        loop for ever (to be stopped from outside)
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

typedef void (*fn_t)(void);

/* Volatile so the compiler cannot see where the calls go and fold them away. */
static volatile uintptr_t target;
static unsigned char data_bytes[64] = {0x90, 0x90, 0xc3};

static void jump(uintptr_t where)
{
	target = where;
	((fn_t)target)();
}

/* FF /7 is undefined in every mode: group 5 has no /7 member. */
static void run_garbage(void)
{
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	memset(p, 0xff, 4096);
	jump((uintptr_t)p);
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "null";
	printf("going wrong: %s\n", how);
	fflush(stdout);
	if (!strcmp(how, "null"))
		jump(16);
	else if (!strcmp(how, "nx"))
		jump((uintptr_t)data_bytes);
	else if (!strcmp(how, "kernel"))
		jump(sizeof(void *) == 8 ? (uintptr_t)0xffffffff81000000ULL : (uintptr_t)0xc1000000u);
	else if (!strcmp(how, "noncanon") && sizeof(void *) == 8)
		jump((uintptr_t)0x0000800000000000ULL);
	else if (!strcmp(how, "ud2"))
		__asm__ volatile("ud2");
	else if (!strcmp(how, "garbage"))
		run_garbage();
	else if (!strcmp(how, "hlt"))
		__asm__ volatile("hlt");
	else if (!strcmp(how, "int3"))
		__asm__ volatile("int3");
	else if (!strcmp(how, "spin"))
		for (volatile unsigned long n = 0;; n++)
			;
	printf("still here\n");
	return 1;
}
