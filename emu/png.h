/*
 * A minimal PNG writer (ISO/IEC 15948, the W3C PNG specification): 8-bit RGB, no
 * interlace, filter type 0 on every row, one zlib stream in one IDAT chunk. Enough for the
 * viewer's screenshots; SDL2's core library writes BMP only.
 */
#ifndef EMU_PNG_H
#define EMU_PNG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Writes a width x height image to path. pixels holds height rows of pitch bytes, each
 * pixel a native-endian uint32_t 0x00RRGGBB (SDL_PIXELFORMAT_XRGB8888/RGB888).
 * Returns 0, or -1 with a one-line reason in err (errlen bytes).
 */
int png_write_xrgb(const char *path, const void *pixels, unsigned width, unsigned height,
		   size_t pitch, char *err, size_t errlen);

#endif /* EMU_PNG_H */
