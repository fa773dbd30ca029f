/* Prints the program's own /proc/self/maps: with ASLR off, the layout Linux gives a static
 * program (text, data, bss, heap after a small malloc, mmap area, stack, vDSO). */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	char line[512];
	void *heap = malloc(100000); /* glibc grows the break; musl may map */
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	fclose(f);
	free(heap);
	return 0;
}
