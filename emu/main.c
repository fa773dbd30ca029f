/* mmemu: the command line. Each subcommand lives in emu/cmd_<name>.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "emu/commands.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"run", cmd_run, "run a static ELF program on the machine"},
	{"info", cmd_info, "boot the machine's memory and print its /proc files"},
	{"trace", cmd_trace, "describe a recorded trace (trace info FILE)"},
	{"replay", cmd_replay, "replay a trace, exactly (--verify) or under other settings"},
	{"view", cmd_view, "show a trace in the memory-map viewer, with a timeline"},
};

int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mmemu: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 2;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mmemu COMMAND [options] ...\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'mmemu COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 2, argv + 2);
	return usage_error("unknown command '%s' (try mmemu --help)", argv[1]);
}
