/* The heap: malloc of growing sizes (glibc grows the program break, musl maps), then the
 * break moved by hand with sbrk/brk, up and back down. Prints movements relative to the
 * first break, so the output does not depend on where the heap starts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char *start = sbrk(0);
	void *blocks[16];
	for (int i = 0; i < 16; i++) {
		blocks[i] = malloc(8192u << (i % 5));
		memset(blocks[i], i, 8192u << (i % 5));
	}
	unsigned sum = 0;
	for (int i = 0; i < 16; i++)
		sum += ((unsigned char *)blocks[i])[100] + i;
	printf("checksum %u\n", sum);
	for (int i = 15; i >= 0; i--)
		free(blocks[i]);
	(void)start;
	char *b = sbrk(0);
	if (brk(b + 65536) == 0 && (char *)sbrk(0) == b + 65536) {
		b[65535] = 7;
		printf("brk +64K: ok %d\n", b[65535]);
	}
	char *c = sbrk(1 << 20);
	if (c != (char *)-1) {
		c[(1 << 20) - 1] = 9;
		printf("sbrk +1M: ok %d\n", c[(1 << 20) - 1]);
	}
	printf("brk back down: %d\n", brk(b));
	printf("break restored: %s\n", (char *)sbrk(0) == b ? "yes" : "no");
	return 0;
}
