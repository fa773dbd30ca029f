/*
 * statfs/fstatfs on a host directory, the program's own file, /proc, an open /proc file and
 * a pipe, plus the errors (a missing path, a bad descriptor). Prints the
 * fields that do not change while the program runs (not the free-space counts).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

static void show(const char *what, int r, const struct statfs *st)
{
	if (r != 0) {
		printf("%s: error %s\n", what, strerror(errno));
		return;
	}
	printf("%s: type %#lx bsize %ld namelen %ld frsize %ld flags %#lx", what,
	       (unsigned long)st->f_type, (long)st->f_bsize, (long)st->f_namelen,
	       (long)st->f_frsize, (unsigned long)st->f_flags);
	if (st->f_blocks == 0)
		printf(" blocks 0 files %lu", (unsigned long)st->f_files);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct statfs st;
	int fds[2];
	(void)argc;
	show("/", statfs("/", &st), &st);
	show("self", statfs(argv[0], &st), &st);
	show("/proc", statfs("/proc", &st), &st);
	show("/proc/self/maps", statfs("/proc/self/maps", &st), &st);
	int fd = open("/proc/self/maps", O_RDONLY);
	show("fd of /proc/self/maps", fstatfs(fd, &st), &st);
	close(fd);
	if (pipe(fds) == 0)
		show("pipe", fstatfs(fds[0], &st), &st);
	show("missing", statfs("/no/such/dir", &st), &st);
	show("bad fd", fstatfs(1234, &st), &st);
	return 0;
}
