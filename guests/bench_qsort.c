/* A CPU-bound guest: N ints (default 1,000,000) from a fixed xorshift32 generator, sorted
 * by the C library's qsort with a comparison function (indirect calls, branches, memory
 * traffic). Prints a position-weighted checksum of the sorted array; exits 1 if the array
 * is not in order, so a wrong comparison or flag in the emulator cannot go unnoticed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static uint32_t xorshift32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	if (n <= 0)
		return 2;
	int *a = malloc((size_t)n * sizeof(*a));
	if (!a)
		return 2;
	uint32_t seed = 2463534242u;
	for (long i = 0; i < n; i++)
		a[i] = (int)xorshift32(&seed);
	qsort(a, (size_t)n, sizeof(*a), cmp_int);
	uint64_t sum = 0;
	for (long i = 0; i < n; i++) {
		if (i && a[i - 1] > a[i]) {
			printf("not sorted at %ld\n", i);
			return 1;
		}
		sum = sum * 31 + (uint32_t)a[i];
	}
	printf("qsort of %ld ints: min %d max %d checksum %016llx\n", n, a[0], a[n - 1],
	       (unsigned long long)sum);
	free(a);
	return 0;
}
