/* The subcommands of mmemu. Each takes the arguments after its name and returns the exit
 * status: 0 on success, 2 for a usage error (bad option, impossible machine). */
#ifndef EMU_COMMANDS_H
#define EMU_COMMANDS_H

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_view(int argc, char **argv);

/* Prints "mmemu: " and the message on one line to stderr; returns 2. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* EMU_COMMANDS_H */
