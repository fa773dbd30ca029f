/* The page-touching loop: maps N MiB (default 64) and writes one byte per page, so every
 * page arrives through one anonymous write fault. stdout is deterministic; the fault
 * counts go to stderr for the benchmarks. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 64;
	size_t len = (size_t)mib << 20;
	struct rusage before, after;
	getrusage(RUSAGE_SELF, &before);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	unsigned long sum = 0;
	for (size_t off = 0; off < len; off += 4096)
		p[off] = (char)(off >> 12);
	for (size_t off = 0; off < len; off += 4096)
		sum += (unsigned char)p[off];
	getrusage(RUSAGE_SELF, &after);
	printf("touched %ld MiB, checksum %lu\n", mib, sum);
	fprintf(stderr, "minflt %ld majflt %ld\n", after.ru_minflt - before.ru_minflt,
		after.ru_majflt - before.ru_majflt);
	/* Every fault since the process began, exec's included (a cold page cache makes some of
	 * them major, a warm one minor: the sum is what compares). */
	fprintf(stderr, "total faults %ld\n", after.ru_minflt + after.ru_majflt);
	return 0;
}
