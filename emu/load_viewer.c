/*
 * The viewer module's loader: see emu/load_viewer.h.
 */
#include "emu/load_viewer.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/machine.h"
#include "emu/viewer_module.h"

/* dlopens path and checks that its table is one this program can use. */
static const struct viewer_module *load_file(const char *path, char *err, size_t errlen)
{
	/* RTLD_NOW: a symbol missing from the executable shows here, as a message, and not
	 * later as a crash in the middle of a run. */
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		snprintf(err, errlen, "cannot load the viewer module: %s", why ? why : path);
		return NULL;
	}
	const struct viewer_module *vm = dlsym(h, VIEWER_MODULE_SYMBOL);
	if (!vm) {
		snprintf(err, errlen, "cannot load the viewer module: %s has no %s", path,
			 VIEWER_MODULE_SYMBOL);
	} else if (vm->version != VIEWER_MODULE_VERSION ||
		   vm->machine_size != sizeof(struct machine)) {
		snprintf(err, errlen,
			 "cannot load the viewer module: %s comes from another build of mmemu", path);
		vm = NULL;
	}
	if (!vm)
		dlclose(h);
	return vm;
}

/* The directory of the running executable into dir: false when /proc does not say. */
static bool exe_dir(char *dir, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", dir, len - 1);
	if (n <= 0)
		return false;
	dir[n] = '\0';
	char *slash = strrchr(dir, '/');
	if (!slash)
		return false;
	*slash = '\0';
	return true;
}

const struct viewer_module *viewer_module_load(char *err, size_t errlen)
{
	const char *forced = getenv("MMEMU_VIEWER_MODULE");
	if (forced && *forced)
		return load_file(forced, err, errlen);
	char dir[PATH_MAX], beside[PATH_MAX + sizeof(MMEMU_MODULE_RELDIR) + 1];
	char path[sizeof(beside) + sizeof(VIEWER_MODULE_FILE) + 1];
	const char *dirs[3] = {NULL, NULL, MMEMU_MODULE_DIR};
	if (exe_dir(dir, sizeof(dir))) {
		dirs[0] = dir;
		snprintf(beside, sizeof(beside), "%s/%s", dir, MMEMU_MODULE_RELDIR);
		dirs[1] = beside;
	}
	for (int i = 0; i < 3; i++) {
		if (!dirs[i])
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirs[i], VIEWER_MODULE_FILE);
		if (access(path, F_OK) == 0)
			return load_file(path, err, errlen);
	}
	snprintf(err, errlen, "cannot load the viewer module: no %s in %s%s%s", VIEWER_MODULE_FILE,
		 dirs[0] ? dirs[0] : "", dirs[0] ? ", " MMEMU_MODULE_RELDIR " from there or " : "",
		 MMEMU_MODULE_DIR);
	return NULL;
}
