/* The initial process stack as the kernel built it: where argv, envp and the auxiliary
 * vector sit relative to the top of the stack, and the auxv entries in order. With ASLR
 * off the output is a function of the arguments, the environment and the kernel. */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern char **environ;

static const char *aux_name(unsigned long t)
{
	static const char *const names[] = {
		[AT_NULL] = "AT_NULL", [AT_PHDR] = "AT_PHDR", [AT_PHENT] = "AT_PHENT",
		[AT_PHNUM] = "AT_PHNUM", [AT_PAGESZ] = "AT_PAGESZ", [AT_BASE] = "AT_BASE",
		[AT_FLAGS] = "AT_FLAGS", [AT_ENTRY] = "AT_ENTRY", [AT_UID] = "AT_UID",
		[AT_EUID] = "AT_EUID", [AT_GID] = "AT_GID", [AT_EGID] = "AT_EGID",
		[AT_PLATFORM] = "AT_PLATFORM", [AT_HWCAP] = "AT_HWCAP", [AT_CLKTCK] = "AT_CLKTCK",
		[AT_SECURE] = "AT_SECURE", [AT_RANDOM] = "AT_RANDOM", [AT_HWCAP2] = "AT_HWCAP2",
		[AT_EXECFN] = "AT_EXECFN", [AT_SYSINFO] = "AT_SYSINFO",
		[AT_SYSINFO_EHDR] = "AT_SYSINFO_EHDR", [AT_MINSIGSTKSZ] = "AT_MINSIGSTKSZ",
		[27] = "AT_RSEQ_FEATURE_SIZE", [28] = "AT_RSEQ_ALIGN", [29] = "AT_HWCAP3",
		[30] = "AT_HWCAP4",
	};
	if (t < sizeof(names) / sizeof(names[0]) && names[t])
		return names[t];
	return "AT_?";
}

int main(int argc, char **argv)
{
	char **p = environ;
	while (*p)
		p++;
	uintptr_t *aux = (uintptr_t *)(p + 1);
	uintptr_t execfn = 0;
	for (uintptr_t *a = aux; a[0]; a += 2)
		if (a[0] == AT_EXECFN)
			execfn = a[1];
	/* The top of the stack: the end of the execfn string plus the pointer-sized gap. */
	uintptr_t top = execfn + strlen((char *)execfn) + 1 + sizeof(void *);
	printf("argc %d, argv at top-%lu\n", argc, (unsigned long)(top - (uintptr_t)argv));
	for (int i = 0; i < argc; i++)
		printf("argv[%d] at top-%lu: %s\n", i, (unsigned long)(top - (uintptr_t)argv[i]), argv[i]);
	for (int i = 0; environ[i]; i++)
		printf("envp[%d] at top-%lu: %s\n", i, (unsigned long)(top - (uintptr_t)environ[i]),
		       environ[i]);
	for (uintptr_t *a = aux;; a += 2) {
		int in_stack = a[1] < top && top - a[1] < 65536;
		printf("%s", aux_name(a[0]));
		if (a[0] == AT_PAGESZ || a[0] == AT_PHENT || a[0] == AT_SECURE || a[0] == AT_CLKTCK ||
		    a[0] == AT_FLAGS || a[0] == AT_BASE || a[0] == 27 || a[0] == 28)
			printf(" %lu", (unsigned long)a[1]);
		else if (in_stack)
			printf(" top-%lu", (unsigned long)(top - a[1]));
		if (a[0] == AT_PLATFORM || a[0] == AT_EXECFN)
			printf(" \"%s\"", (char *)a[1]);
		printf("\n");
		if (!a[0])
			break;
	}
	return 0;
}
