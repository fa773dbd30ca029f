/*
 * PNG writer (see emu/png.h). A file is the 8-byte signature and chunks; each chunk is
 *
 *   +-----------+-----------+-------------+------------------------------+
 *   | length:4  | type:4    | data:length | CRC-32 of type and data:4    |
 *   +-----------+-----------+-------------+------------------------------+
 *
 * all integers big-endian. IHDR gives the geometry, IDAT the zlib-compressed scanlines
 * (each prefixed by its filter-type byte), IEND ends the file.
 */
#include "emu/png.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Writes one chunk of type (4 letters) with len bytes of data. false on a write error. */
static bool write_chunk(FILE *f, const char *type, const uint8_t *data, uint32_t len)
{
	uint8_t head[8], tail[4];
	put_be32(head, len);
	memcpy(head + 4, type, 4);
	uLong crc = crc32(0L, head + 4, 4);
	if (len)
		crc = crc32(crc, data, len);
	put_be32(tail, (uint32_t)crc);
	return fwrite(head, 1, 8, f) == 8 && (!len || fwrite(data, 1, len, f) == len) &&
	       fwrite(tail, 1, 4, f) == 4;
}

/* The raw scanlines: per row a filter byte (0, none) and width RGB triples. */
static uint8_t *scanlines(const void *pixels, unsigned w, unsigned h, size_t pitch, size_t *len)
{
	size_t row = 1 + (size_t)w * 3;
	uint8_t *raw = malloc(row * h);
	if (!raw)
		return NULL;
	for (unsigned y = 0; y < h; y++) {
		const uint32_t *src = (const uint32_t *)((const uint8_t *)pixels + y * pitch);
		uint8_t *dst = raw + y * row;
		*dst++ = 0;
		for (unsigned x = 0; x < w; x++) {
			*dst++ = (uint8_t)(src[x] >> 16);
			*dst++ = (uint8_t)(src[x] >> 8);
			*dst++ = (uint8_t)src[x];
		}
	}
	*len = row * h;
	return raw;
}

static int fail(char *err, size_t errlen, const char *what, const char *path)
{
	snprintf(err, errlen, "%s: %s", path, what);
	return -1;
}

int png_write_xrgb(const char *path, const void *pixels, unsigned width, unsigned height,
		   size_t pitch, char *err, size_t errlen)
{
	static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	if (!width || !height || width > 0x7fffffff / 4 || height > 0x7fffffff / 4)
		return fail(err, errlen, "bad image size", path);
	size_t raw_len = 0;
	uint8_t *raw = scanlines(pixels, width, height, pitch, &raw_len);
	uLongf z_len = raw ? compressBound(raw_len) : 0;
	uint8_t *z = raw ? malloc(z_len) : NULL;
	if (!z || compress2(z, &z_len, raw, raw_len, 6) != Z_OK || z_len > 0x7fffffff) {
		free(raw);
		free(z);
		return fail(err, errlen, "out of memory compressing the image", path);
	}
	free(raw);
	uint8_t ihdr[13];
	put_be32(ihdr, width);
	put_be32(ihdr + 4, height);
	ihdr[8] = 8;  /* bit depth */
	ihdr[9] = 2;  /* colour type: truecolour */
	ihdr[10] = 0; /* compression: deflate */
	ihdr[11] = 0; /* filter method: adaptive (type 0 used throughout) */
	ihdr[12] = 0; /* no interlace */
	FILE *f = fopen(path, "wb");
	if (!f) {
		free(z);
		return fail(err, errlen, strerror(errno), path);
	}
	bool ok = fwrite(signature, 1, 8, f) == 8 && write_chunk(f, "IHDR", ihdr, 13) &&
		  write_chunk(f, "IDAT", z, (uint32_t)z_len) && write_chunk(f, "IEND", NULL, 0);
	free(z);
	if (fclose(f) != 0)
		ok = false;
	return ok ? 0 : fail(err, errlen, "write error", path);
}
