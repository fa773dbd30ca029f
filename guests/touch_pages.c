/* The page-touching loop: maps N MiB (default 64) and writes one byte per page, so every
 * page arrives through one anonymous write fault, then reads them back. With ROUNDS > 1
 * (default 1) it unmaps and does it all again ROUNDS times, so the later rounds fault on
 * frames the kernel has freed and allocates again (the benchmarks' steady state). stdout
 * is deterministic; the fault counts go to stderr for the benchmarks. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>

/* One round: map, write-fault every page, read them back; the checksum, or -1. */
static long touch_round(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	unsigned long sum = 0;
	for (size_t off = 0; off < len; off += 4096)
		p[off] = (char)(off >> 12);
	for (size_t off = 0; off < len; off += 4096)
		sum += (unsigned char)p[off];
	munmap(p, len);
	return (long)sum;
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 64;
	long rounds = argc > 2 ? atol(argv[2]) : 1;
	size_t len = (size_t)mib << 20;
	struct rusage before, after;
	long sum = 0;
	getrusage(RUSAGE_SELF, &before);
	for (long r = 0; r < rounds; r++)
		if ((sum = touch_round(len)) < 0)
			return 1;
	getrusage(RUSAGE_SELF, &after);
	if (rounds == 1)
		printf("touched %ld MiB, checksum %ld\n", mib, sum);
	else
		printf("touched %ld MiB %ld times, checksum %ld\n", mib, rounds, sum);
	fprintf(stderr, "minflt %ld majflt %ld\n", after.ru_minflt - before.ru_minflt,
		after.ru_majflt - before.ru_majflt);
	/* Every fault since the process began, exec's included (a cold page cache makes some of
	 * them major, a warm one minor: the sum is what compares). */
	fprintf(stderr, "total faults %ld\n", after.ru_minflt + after.ru_majflt);
	return 0;
}
