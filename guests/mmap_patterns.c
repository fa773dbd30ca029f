/* Anonymous mappings: mmap, writes, munmap of a middle page (splits the VMA), mprotect
 * (splits and merges), mremap growth, MAP_FIXED_NOREPLACE, mlockall(MCL_FUTURE) populating
 * a new mapping at once. Prints what each step did. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096

int main(void)
{
	char *p = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	for (int i = 0; i < 8; i++)
		p[i * PG] = (char)('a' + i);
	printf("eight pages: %c..%c\n", p[0], p[7 * PG]);
	printf("munmap middle: %d\n", munmap(p + 3 * PG, PG));
	printf("mprotect read-only: %d\n", mprotect(p + 5 * PG, 2 * PG, PROT_READ));
	printf("still readable: %c %c\n", p[5 * PG], p[6 * PG]);
	printf("mprotect back: %d\n", mprotect(p + 5 * PG, 2 * PG, PROT_READ | PROT_WRITE));
	char *q = mremap(p, 3 * PG, 6 * PG, MREMAP_MAYMOVE);
	printf("mremap grow: %s, kept %c%c%c\n", q == MAP_FAILED ? "failed" : "ok", q[0], q[PG],
	       q[2 * PG]);
	q[5 * PG] = 'z';
	printf("new tail zero then written: %c\n", q[5 * PG]);
	void *r = mmap(p + 4 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);
	printf("fixed_noreplace over a mapping: %s\n",
	       r == MAP_FAILED && errno == EEXIST ? "EEXIST" : "mapped");
	printf("munmap all: %d %d\n", munmap(q, 6 * PG), munmap(p + 4 * PG, 4 * PG));

	unsigned char resident[4];
	printf("mlockall(MCL_FUTURE): %d\n", mlockall(MCL_FUTURE));
	char *l = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("locked mapping resident before any touch: %d",
	       l != MAP_FAILED && mincore(l, 4 * PG, resident) == 0);
	for (int i = 0; i < 4; i++)
		printf(" %d", resident[i] & 1);
	printf("\nmunlockall: %d, munmap: %d\n", munlockall(), munmap(l, 4 * PG));
	printf("mlockall bad flags: %d\n", mlockall(MCL_ONFAULT) == -1 && errno == EINVAL);
	return 0;
}
