/*
 * Loading the viewer module (emu/viewer_module.h) when a command needs the viewer.
 *
 * Where it is looked for, first found first:
 *   1. $MMEMU_VIEWER_MODULE, when set: that file and nothing else;
 *   2. mmemu-viewer.so in the directory of the running executable (/proc/self/exe): a
 *      build tree, or an install that keeps the two together;
 *   3. the install's module directory seen from there, MMEMU_MODULE_RELDIR (../lib/mmemu:
 *      an install made with `cmake --install --prefix P`, or moved);
 *   4. the install's module directory, MMEMU_MODULE_DIR (CMAKE_INSTALL_PREFIX/lib/mmemu,
 *      where `cmake --install` puts it).
 */
#ifndef EMU_LOAD_VIEWER_H
#define EMU_LOAD_VIEWER_H

#include <stddef.h>

struct viewer_module;

/* The module's table, the module staying loaded until the process ends. NULL with a
 * one-line reason in err (no module where it was looked for, or the one found could not
 * be loaded, or comes from another build). */
const struct viewer_module *viewer_module_load(char *err, size_t errlen);

#endif /* EMU_LOAD_VIEWER_H */
