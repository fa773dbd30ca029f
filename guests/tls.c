/* Thread-local storage: initialised and zeroed __thread variables, reached through %fs
 * (x86-64) or %gs (i386) as the C library set them up with arch_prctl or set_thread_area. */
#include <stdio.h>

static __thread int counter = 41;
static __thread char buffer[64];
static __thread long zeroed;

static void bump(void)
{
	counter++;
	buffer[0] = 'x';
}

int main(void)
{
	bump();
	printf("counter %d buffer %c zeroed %ld\n", counter, buffer[0], zeroed);
	return 0;
}
