/*
 * The fd table and open file descriptions (Linux's fs/file.c, fs/file_table.c): allocating
 * and freeing files_struct and fs_struct, installing and closing descriptors, and the
 * link from an open file to the struct file that mmap() maps. See kernel-sim/fs.h.
 */
#include "kernel-sim/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/slab.h"

#define NR_OPEN_DEFAULT 64 /* slots of a new table; it doubles as needed */
#define RLIMIT_NOFILE_INDEX 7

/* ---- open file descriptions ---- */

struct open_file *open_file_alloc(struct kernel *k, enum open_file_type type, unsigned int flags,
				  const char *path)
{
	struct open_file *of = kzalloc(k, sizeof(*of), GFP_KERNEL);
	if (!of)
		return NULL;
	of->path = kstrdup(k, path ? path : "", GFP_KERNEL);
	if (!of->path) {
		kfree(k, of);
		return NULL;
	}
	of->f_count = 1;
	of->type = type;
	of->f_flags = flags & ~(unsigned)G_O_CLOEXEC;
	of->host_fd = -1;
	return of;
}

static void pipe_release(struct kernel *k, struct open_file *of)
{
	struct pipe_inode_info *pipe = of->pipe;
	if (of->pipe_writer)
		pipe->writers--;
	else
		pipe->readers--;
	if (pipe->readers || pipe->writers)
		return;
	kfree(k, pipe->buf);
	kfree(k, pipe);
}

void open_file_put(struct kernel *k, struct open_file *of)
{
	if (--of->f_count)
		return;
	if (of->host_fd >= 0)
		close(of->host_fd);
	if (of->type == OFT_PIPE)
		pipe_release(k, of);
	if (of->filp)
		fput(k, of->filp);
	free(of->text);
	kfree(k, of->host_path);
	kfree(k, of->path);
	kfree(k, of);
}

/* ---- the fd table ---- */

static int host_dup(int fd)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

/* Installs a dup of host descriptor hfd as fd (0..2) of a new table. */
static int install_stdio(struct kernel *k, struct files_struct *files, int fd, int hfd)
{
	static const char *const names[] = {"/dev/stdin", "/dev/stdout", "/dev/stderr"};
	static const unsigned int modes[] = {G_O_RDONLY, G_O_WRONLY, G_O_WRONLY};
	int dupfd = host_dup(hfd);
	if (dupfd < 0)
		return 0; /* a closed host descriptor leaves the guest's closed too */
	struct open_file *of = open_file_alloc(k, OFT_HOST, modes[fd], names[fd]);
	if (!of) {
		close(dupfd);
		return -ENOMEM;
	}
	int fl = fcntl(dupfd, F_GETFL);
	if (fl >= 0 && (fl & O_ACCMODE) == O_RDWR)
		of->f_flags = G_O_RDWR;
	of->host_fd = dupfd;
	of->is_tty = isatty(dupfd);
	files->fd[fd] = of;
	return 0;
}

struct files_struct *files_alloc(struct kernel *k, const int stdio[3])
{
	static const int host_stdio[3] = {0, 1, 2};
	struct files_struct *files = kzalloc(k, sizeof(*files), GFP_KERNEL);
	if (!files)
		return NULL;
	files->max_fds = NR_OPEN_DEFAULT;
	files->fd = kzalloc(k, NR_OPEN_DEFAULT * sizeof(*files->fd), GFP_KERNEL);
	files->close_on_exec = kzalloc(k, NR_OPEN_DEFAULT * sizeof(bool), GFP_KERNEL);
	if (!files->fd || !files->close_on_exec)
		goto out_free;
	if (!stdio)
		stdio = host_stdio;
	for (int fd = 0; fd < 3; fd++)
		if (install_stdio(k, files, fd, stdio[fd]) < 0)
			goto out_free;
	return files;
out_free:
	files_free(k, files);
	return NULL;
}

void files_free(struct kernel *k, struct files_struct *files)
{
	if (!files)
		return;
	for (int fd = 0; files->fd && fd < files->max_fds; fd++)
		if (files->fd[fd])
			open_file_put(k, files->fd[fd]);
	kfree(k, files->fd);
	kfree(k, files->close_on_exec);
	kfree(k, files);
}

static struct files_struct *current_files(struct kernel *k)
{
	return k->current ? k->current->files : NULL;
}

struct open_file *fget(struct kernel *k, int fd)
{
	struct files_struct *files = current_files(k);
	if (!files || fd < 0 || fd >= files->max_fds)
		return NULL;
	return files->fd[fd];
}

/* Doubles the table until it has a slot fd. 0 or -ENOMEM. */
static int expand_files(struct kernel *k, struct files_struct *files, int fd)
{
	int n = files->max_fds;
	while (n <= fd)
		n *= 2;
	struct open_file **nfd = kzalloc(k, (size_t)n * sizeof(*nfd), GFP_KERNEL);
	bool *ncloexec = kzalloc(k, (size_t)n * sizeof(bool), GFP_KERNEL);
	if (!nfd || !ncloexec) {
		kfree(k, nfd);
		kfree(k, ncloexec);
		return -ENOMEM;
	}
	memcpy(nfd, files->fd, (size_t)files->max_fds * sizeof(*nfd));
	memcpy(ncloexec, files->close_on_exec, (size_t)files->max_fds * sizeof(bool));
	kfree(k, files->fd);
	kfree(k, files->close_on_exec);
	files->fd = nfd;
	files->close_on_exec = ncloexec;
	files->max_fds = n;
	return 0;
}

static int nofile_limit(const struct kernel *k)
{
	uint64_t cur = k->current->rlim[RLIMIT_NOFILE_INDEX].rlim_cur;
	return cur > (1u << 20) ? 1 << 20 : (int)cur;
}

int fd_install(struct kernel *k, struct open_file *of, int minfd, bool cloexec)
{
	struct files_struct *files = current_files(k);
	int limit = nofile_limit(k);
	int fd = minfd;
	while (fd < files->max_fds && files->fd[fd])
		fd++;
	if (fd >= limit)
		return -EMFILE;
	if (fd >= files->max_fds && expand_files(k, files, fd) < 0)
		return -ENOMEM;
	files->fd[fd] = of;
	files->close_on_exec[fd] = cloexec;
	return fd;
}

int close_fd(struct kernel *k, int fd)
{
	struct open_file *of = fget(k, fd);
	if (!of)
		return -EBADF;
	k->current->files->fd[fd] = NULL;
	k->current->files->close_on_exec[fd] = false;
	open_file_put(k, of);
	return 0;
}

/* ---- root and working directory ---- */

struct fs_struct *fs_alloc(struct kernel *k, const char *root, const char *pwd)
{
	char host_cwd[G_PATH_MAX];
	struct fs_struct *fs = kzalloc(k, sizeof(*fs), GFP_KERNEL);
	if (!fs)
		return NULL;
	if (!pwd)
		pwd = !root && getcwd(host_cwd, sizeof(host_cwd)) ? host_cwd : "/";
	fs->root = kstrdup(k, root ? root : "", GFP_KERNEL);
	fs->pwd = kstrdup(k, pwd, GFP_KERNEL);
	fs->umask = 022;
	if (!fs->root || !fs->pwd) {
		fs_free(k, fs);
		return NULL;
	}
	/* "/" as the root means the host's root: no prefix. */
	if (!strcmp(fs->root, "/"))
		fs->root[0] = '\0';
	return fs;
}

void fs_free(struct kernel *k, struct fs_struct *fs)
{
	if (!fs)
		return;
	kfree(k, fs->root);
	kfree(k, fs->pwd);
	kfree(k, fs);
}

/* ---- mmap of an open file ---- */

struct file *open_file_filp(struct kernel *k, struct open_file *of, int *err)
{
	struct stat st;
	if (of->filp)
		return of->filp;
	if (of->type != OFT_HOST || !of->host_path || fstat(of->host_fd, &st) < 0 ||
	    !S_ISREG(st.st_mode)) {
		*err = -ENODEV;
		return NULL;
	}
	unsigned int acc = of->f_flags & G_O_ACCMODE;
	unsigned int mode =
	    (acc != G_O_WRONLY ? FMODE_READ : 0) | (acc != G_O_RDONLY ? FMODE_WRITE : 0);
	struct file *f = file_open_host(k, of->host_path, mode, err);
	if (!f)
		return NULL;
	/* Maps name the file by the guest's path, as Linux prints it from the task's root. */
	char *name = kstrdup(k, of->path, GFP_KERNEL);
	if (name) {
		kfree(k, f->f_path);
		f->f_path = name;
	}
	of->filp = f;
	return f;
}

void open_file_sync_cache(struct kernel *k, struct open_file *of, uint64_t pos, const void *buf,
			  size_t len)
{
	const uint8_t *src = buf;
	if (!of->filp)
		return;
	while (len) {
		size_t off = pos & ~PAGE_MASK;
		size_t chunk = PAGE_SIZE - off < len ? PAGE_SIZE - off : len;
		struct page *page = find_get_page(of->filp, (unsigned long)(pos >> PAGE_SHIFT));
		if (page)
			memcpy((uint8_t *)page_address(k, page) + off, src, chunk);
		src += chunk;
		pos += chunk;
		len -= chunk;
	}
}

void open_file_read_cache(struct kernel *k, struct open_file *of, uint64_t pos, void *buf,
			  size_t len)
{
	uint8_t *dst = buf;
	if (!of->filp)
		return;
	uint64_t size = of->filp->f_inode->i_size;
	if (pos >= size)
		return;
	if (len > size - pos)
		len = (size_t)(size - pos);
	while (len) {
		size_t off = pos & ~PAGE_MASK;
		size_t chunk = PAGE_SIZE - off < len ? PAGE_SIZE - off : len;
		struct page *page = find_get_page(of->filp, (unsigned long)(pos >> PAGE_SHIFT));
		if (page)
			memcpy(dst, (uint8_t *)page_address(k, page) + off, chunk);
		dst += chunk;
		pos += chunk;
		len -= chunk;
	}
}
