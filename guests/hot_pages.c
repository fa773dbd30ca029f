/* Hammers known pages, for the viewer's heat overlay: maps 64 pages and writes each once
 * (so all are resident, the same owner), then for ROUNDS rounds (default 3000) adds to
 * one word in each of pages 8..11 and reads one word in each of pages 24..27, and nothing
 * else. The viewer's tests find the mapping as the process's only 64-page anonymous VMA.
 * stdout is deterministic. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PAGES 64
#define PAGE 4096

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 3000;
	volatile unsigned char *p = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	for (int i = 0; i < PAGES; i++)
		p[i * PAGE] = (unsigned char)i;
	unsigned long sum = 0;
	for (long r = 0; r < rounds; r++)
		for (int w = 0; w < 64; w++) {
			p[(8 + w % 4) * PAGE + w * 8] += 1;
			sum += p[(24 + w % 4) * PAGE + w * 8];
		}
	printf("hot_pages: %ld rounds, sum %lu\n", rounds, sum);
	return 0;
}
