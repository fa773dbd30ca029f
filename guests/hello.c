/* The smallest C guest: prints its arguments. Shows that a static program starts, sees
 * argv as Linux lays it out, writes to stdout and exits with a status. */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("hello, world\n");
	for (int i = 1; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);
	return argc - 1;
}
