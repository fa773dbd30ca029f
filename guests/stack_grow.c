/* Stack growth: recursion with 16 KiB frames takes the stack down 4 MiB, page by page,
 * each new page a fault that expands the stack VMA. */
#include <stdio.h>
#include <string.h>

static int depth(int n)
{
	volatile char frame[16384];
	memset((char *)frame, n, sizeof(frame));
	if (n == 0)
		return frame[100];
	return depth(n - 1) + (frame[200] & 1);
}

int main(void)
{
	printf("recursion result %d\n", depth(256));
	return 0;
}
