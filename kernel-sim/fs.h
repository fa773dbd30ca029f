/*
 * Files as a process sees them, as Linux's fs/file.c, fs/namei.c, fs/open.c and
 * <linux/fdtable.h> model them, cut down to what a single-threaded guest needs:
 *
 *   task->files -> files_struct: fd[0..max_fds) -> struct open_file (one per open file
 *                  description: dup()ed fds share it, with its offset and status flags)
 *   task->fs    -> fs_struct: the root (a host directory, or the host's /), the working
 *                  directory (a guest path) and the umask
 *
 * An open file is one of:
 *   - a host file descriptor (regular files, directories, terminals, devices): the guest
 *     sees the host's files, as qemu-user does, confined to the root directory when one is
 *     set (--root). fds 0, 1, 2 start as dups of the host's stdin, stdout and stderr;
 *   - one end of an in-kernel pipe;
 *   - a /proc file: a text snapshot printed at open time (kernel-sim/proc_fs.c).
 *
 * mmap() of an open file goes through mm's struct file (kernel-sim/mm.h): the first mmap
 * of an open file description makes one with file_open_host() and keeps it in
 * open_file->filp, so every mapping of that description shares one page cache. write()
 * and pwrite() also update the pages of that cache that cover the bytes written, and
 * read() takes cached pages from it, so the simple cases stay coherent; see the limits in
 * docs/kernel-sim.md.
 *
 * Paths are resolved component by component (path_lookup): "." and ".." are handled in the
 * guest's namespace, so ".." never climbs above the root, and symbolic links are read
 * and followed by the kernel, absolute targets restarting at the root. The host then gets
 * a path without symlinks below the root.
 *
 * open_file, files_struct, fs_struct and the pipe ring are kmalloc'd (guest RAM); /proc
 * snapshots and path scratch buffers are host heap.
 */
#ifndef KSIM_FS_H
#define KSIM_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kernel;
struct task_struct;
struct file;
struct proc_entry;

#define G_PATH_MAX 4096	 /* bytes of a path, NUL included */
#define G_MAXSYMLINKS 40 /* links followed in one lookup */
#define G_AT_FDCWD (-100)
#define PIPE_BUF_SIZE 65536 /* bytes a pipe holds (Linux: 16 pages) */

/* Open flags as the x86 guest ABI numbers them (octal, <asm-generic/fcntl.h>). */
#define G_O_ACCMODE 00000003
#define G_O_RDONLY 00000000
#define G_O_WRONLY 00000001
#define G_O_RDWR 00000002
#define G_O_CREAT 00000100
#define G_O_EXCL 00000200
#define G_O_NOCTTY 00000400
#define G_O_TRUNC 00001000
#define G_O_APPEND 00002000
#define G_O_NONBLOCK 00004000
#define G_O_DSYNC 00010000
#define G_O_ASYNC 00020000
#define G_O_DIRECT 00040000
#define G_O_LARGEFILE 00100000
#define G_O_DIRECTORY 00200000
#define G_O_NOFOLLOW 00400000
#define G_O_NOATIME 01000000
#define G_O_CLOEXEC 02000000
#define G_O_SYNC 04010000
#define G_O_PATH 010000000
#define G_O_TMPFILE 020200000

/* *at() flags. */
#define G_AT_SYMLINK_NOFOLLOW 0x100
#define G_AT_REMOVEDIR 0x200
#define G_AT_EACCESS 0x200
#define G_AT_SYMLINK_FOLLOW 0x400
#define G_AT_NO_AUTOMOUNT 0x800
#define G_AT_EMPTY_PATH 0x1000
#define G_AT_STATX_SYNC_TYPE 0x6000

enum open_file_type {
	OFT_HOST, /* a host file descriptor */
	OFT_PIPE, /* an end of an in-kernel pipe */
	OFT_PROC, /* a /proc snapshot */
};

/* An in-kernel pipe: a ring of PIPE_BUF_SIZE bytes. */
struct pipe_inode_info {
	uint8_t *buf; /* the ring, kmalloc'd */
	size_t head;  /* offset of the oldest byte */
	size_t len;   /* bytes held */
	int readers;  /* open read ends */
	int writers;  /* open write ends */
};

/* An open file description (the fd side of Linux's struct file). */
struct open_file {
	int f_count; /* fd slots referring to it */
	enum open_file_type type;
	unsigned int f_flags;	       /* G_O_* access mode and status flags (no O_CLOEXEC) */
	int host_fd;		       /* OFT_HOST: the host descriptor (owned), else -1 */
	bool is_dir;		       /* a directory: OFT_HOST, or a /proc listing */
	bool is_tty;		       /* OFT_HOST on a terminal */
	char *path;		       /* guest path it was opened by (kstrdup'd) */
	char *host_path;	       /* OFT_HOST: host path, for mmap (kstrdup'd), or NULL */
	struct file *filp;	       /* the struct file mmap() maps (one reference), or NULL */
	struct pipe_inode_info *pipe;  /* OFT_PIPE */
	bool pipe_writer;	       /* OFT_PIPE: this is the write end */
	const struct proc_entry *proc; /* OFT_PROC: the file's show function (proc_fs.c) */
	bool text_valid;	       /* OFT_PROC: text holds a snapshot */
	char *text;		       /* OFT_PROC: the snapshot (host heap) */
	size_t text_len;
	uint64_t f_pos;	    /* OFT_PROC: read position */
	uint64_t dir_index; /* OFT_HOST directory: entries handed out (i386 d_off) */
};

struct files_struct {
	int max_fds;	       /* slots in fd[] */
	struct open_file **fd; /* kmalloc'd, NULL slots are free */
	bool *close_on_exec;   /* FD_CLOEXEC per slot */
};

struct fs_struct {
	char *root; /* host directory that is the guest's "/", "" for the host's / */
	char *pwd;  /* working directory, an absolute normalized guest path */
	unsigned int umask;
};

/* ---- tasks' tables ---- */

/* An fd table whose 0, 1, 2 dup the host descriptors stdio[0..2] (-1: leave closed).
 * NULL when out of memory. */
struct files_struct *files_alloc(struct kernel *k, const int stdio[3]);
void files_free(struct kernel *k, struct files_struct *files);
/* The root (host directory or NULL) and working directory (NULL: the host's current
 * directory when the root is the host's /, else "/"). NULL when out of memory. */
struct fs_struct *fs_alloc(struct kernel *k, const char *root, const char *pwd);
void fs_free(struct kernel *k, struct fs_struct *fs);

/* ---- open file descriptions ---- */

/* A new description of type with f_count 1 (not installed). NULL when out of memory. */
struct open_file *open_file_alloc(struct kernel *k, enum open_file_type type, unsigned int flags,
				  const char *path);
/* Drops one reference; the last closes the host fd, the pipe end, the snapshot, the filp. */
void open_file_put(struct kernel *k, struct open_file *of);
/* The description behind fd of the current task, or NULL (-EBADF). */
struct open_file *fget(struct kernel *k, int fd);
/* Installs of in the lowest free slot >= minfd (taking over the caller's reference).
 * The fd, or -EMFILE (RLIMIT_NOFILE) / -ENOMEM. */
int fd_install(struct kernel *k, struct open_file *of, int minfd, bool cloexec);
/* Closes fd: 0 or -EBADF. */
int close_fd(struct kernel *k, int fd);
/* The struct file that mmap() maps for of, made at the first call. NULL with *err set
 * (-ENODEV: not a regular file, -ENOMEM, ...). */
struct file *open_file_filp(struct kernel *k, struct open_file *of, int *err);
/* Writes the bytes [pos, pos + len) just written to a host file into the pages of of's
 * page cache that cover them (write() coherence with mmap). */
void open_file_sync_cache(struct kernel *k, struct open_file *of, uint64_t pos, const void *buf,
			  size_t len);
/* Overwrites buf, the bytes [pos, pos + len) just read from a host file, with the pages of
 * of's page cache that cover them (so read() sees stores made through MAP_SHARED). */
void open_file_read_cache(struct kernel *k, struct open_file *of, uint64_t pos, void *buf,
			  size_t len);

/* File attributes, whichever ABI's struct stat they go to (Linux's struct kstat). */
struct kstat {
	uint64_t dev, ino, rdev; /* device numbers as the host encodes them (makedev) */
	uint32_t mode, nlink, uid, gid;
	int64_t size, blksize, blocks; /* blocks of 512 bytes */
	int64_t atime_sec, mtime_sec, ctime_sec;
	uint32_t atime_nsec, mtime_nsec, ctime_nsec;
};

/* ---- path resolution (namei.c) ---- */

#define LOOKUP_FOLLOW 0x1 /* follow a symbolic link in the last component */

struct nameidata {
	char guest[G_PATH_MAX];	   /* the resolved absolute guest path ("/" for the root) */
	char host[2 * G_PATH_MAX]; /* the host path it names */
	bool proc;		   /* under /proc: served by proc_fs.c, host is unset */
};

/* Resolves name relative to dirfd (G_AT_FDCWD: the working directory) for the current task.
 * 0, or -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG, -EBADF. */
int path_lookup(struct kernel *k, int dirfd, const char *name, unsigned int flags,
		struct nameidata *nd);
/* Copies a path argument from user memory: 0, -EFAULT or -ENAMETOOLONG (-ENOENT when
 * empty and empty_ok is false). */
int getname(struct kernel *k, uint64_t uaddr, char *buf, bool empty_ok);
/* Positions a host directory read through INT 0x80 calls after its first index entries
 * (the d_off cookies getdents64 gives i386 tasks). The index, or -errno. */
int64_t dir_seek_index(struct open_file *of, uint64_t index);
/* Host open() flags for guest flags. */
int host_open_flags(unsigned int gflags);

/* ---- /proc (proc_fs.c) ---- */

/* Opens the /proc file nd names with guest flags: a snapshot of its text. 0 with *ofp
 * set, or -ENOENT (no such file), -EACCES (opened for writing), -ENOMEM. */
int proc_open(struct kernel *k, const struct nameidata *nd, unsigned int flags,
	      struct open_file **ofp);
/* (Re)prints of's /proc file into its snapshot, as a read at offset 0 does: Linux's
 * seq_file runs the show at read time, so a file opened early shows the state when it is
 * read. */
void proc_fill(struct kernel *k, struct open_file *of);
/* Reads the /proc symbolic link at guest path (self, exe, fd/N) into buf (not
 * terminated). Its length, or -EINVAL (not a link), -ENOENT. */
long proc_readlink(struct kernel *k, const char *guest, char *buf, size_t size);
/* Attributes of a /proc path: 0 or -ENOENT. */
int proc_getattr(struct kernel *k, const char *guest, struct kstat *st);

#endif /* KSIM_FS_H */
