/* mmemu: the command line. Subcommands live in emu/cmd_*.c. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: mmemu COMMAND [options]\n");
		return argc < 2 ? 2 : 0;
	}
	fprintf(stderr, "mmemu: unknown command '%s' (try mmemu --help)\n", argv[1]);
	return 2;
}
