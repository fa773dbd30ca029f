/*
 * Reading a trace (docs/trace-format.md). Nothing in the file is trusted: lengths are
 * bounded before anything is allocated or read, every chunk's CRC-32 is checked before it
 * is decompressed, it must decompress to exactly its stated length and hold exactly its
 * stated number of well-formed events, and the index must agree with the chunks. Any
 * failure is a one-line message naming the file offset.
 *
 * A trace whose writer stopped before writing the index (killed, crashed) ends after its
 * last complete chunk; it is read up to there and `closed` stays false.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "emu/trace.h"
#include "emu/trace_file.h"

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int fail(struct trace_reader *r, const char *fmt, long long off)
{
	snprintf(r->err, sizeof(r->err), fmt, off);
	return -1;
}

/* Reads exactly n bytes; false at end of file or on an error. */
static bool read_exact(struct trace_reader *r, void *buf, size_t n)
{
	return fread(buf, 1, n, r->f) == n;
}

static int read_header(struct trace_reader *r)
{
	uint8_t fh[TRACE_FILE_HEADER_LEN] = {0}, crc[4];
	size_t got = fread(fh, 1, sizeof(fh), r->f);
	r->foreign = memcmp(fh, TRACE_MAGIC, got < 8 ? got : 8) || got == 0;
	if (got != sizeof(fh) || memcmp(fh, TRACE_MAGIC, 8))
		return fail(r, "not an mmemu trace (no %lld-byte MMEMUTRC header)",
			    TRACE_FILE_HEADER_LEN);
	r->major = (uint16_t)get_le(fh + 8, 2);
	r->minor = (uint16_t)get_le(fh + 10, 2);
	r->delta.sized = r->minor >= 1; /* 1.1 added the access size */
	uint32_t hlen = (uint32_t)get_le(fh + 12, 4);
	if (r->major != TRACE_VERSION_MAJOR)
		return fail(r, "trace format version %lld is not supported (this mmemu reads 1)",
			    r->major);
	if (hlen > TRACE_HEADER_MAX)
		return fail(r, "trace header length %lld is too large", hlen);
	r->header = malloc(hlen + 1);
	if (!r->header)
		return fail(r, "out of memory (%lld)", 0);
	if (!read_exact(r, r->header, hlen) || !read_exact(r, crc, 4))
		return fail(r, "trace truncated in its header (%lld bytes)", hlen);
	r->header[hlen] = '\0';
	if (get_le(crc, 4) != crc32(0, (const Bytef *)r->header, hlen) || strlen(r->header) != hlen)
		return fail(r, "trace header damaged (checksum) at offset %lld",
			    TRACE_FILE_HEADER_LEN);
	return 0;
}

/* Loads the index of a closed trace, if the file ends with a trailer; checks that its
 * entries lie inside the file in order. */
static int load_index(struct trace_reader *r, long data_start)
{
	uint8_t t[TRACE_TRAILER_LEN], h[TRACE_CHUNK_HEADER_LEN];
	if (fseek(r->f, 0, SEEK_END))
		return 0; /* not seekable: read sequentially */
	long size = ftell(r->f);
	if (size < data_start + (long)TRACE_TRAILER_LEN ||
	    fseek(r->f, size - TRACE_TRAILER_LEN, SEEK_SET) || !read_exact(r, t, sizeof(t)) ||
	    memcmp(t + 16, TRACE_END_MAGIC, 8))
		return fseek(r->f, data_start, SEEK_SET) ? fail(r, "cannot seek (%lld)", 0) : 0;
	uint64_t at = get_le(t, 8);
	if (at < (uint64_t)data_start || at + TRACE_CHUNK_HEADER_LEN > (uint64_t)size ||
	    fseek(r->f, (long)at, SEEK_SET) || !read_exact(r, h, sizeof(h)) ||
	    get_le(h, 4) != TRACE_INDEX_MAGIC || get_le(h + 12, 4) || get_le(h + 16, 8) ||
	    get_le(h + 24, 8))
		return fail(r, "trace index damaged (trailer points at %lld)", (long long)at);
	uint64_t n = get_le(h + 4, 4);
	if (n * TRACE_INDEX_ENTRY_LEN + at + TRACE_CHUNK_HEADER_LEN + TRACE_TRAILER_LEN !=
	    (uint64_t)size)
		return fail(r, "trace index damaged (length) at offset %lld", (long long)at);
	uint8_t *buf = malloc(n * TRACE_INDEX_ENTRY_LEN + 1);
	r->index = calloc(n + 1, sizeof(*r->index));
	if (!buf || !r->index) {
		free(buf);
		return fail(r, "out of memory (%lld)", 0);
	}
	bool ok = read_exact(r, buf, n * TRACE_INDEX_ENTRY_LEN) &&
		  get_le(h + 8, 4) == crc32(0, buf, (uInt)(n * TRACE_INDEX_ENTRY_LEN));
	uint64_t next = (uint64_t)data_start, events = 0;
	for (size_t i = 0; ok && i < n; i++) {
		const uint8_t *e = buf + i * TRACE_INDEX_ENTRY_LEN;
		struct trace_chunk_info *ci = &r->index[i];
		*ci = (struct trace_chunk_info){get_le(e, 8), get_le(e + 8, 8),
						(uint32_t)get_le(e + 16, 4),
						(uint32_t)get_le(e + 20, 4),
						(uint32_t)get_le(e + 24, 4)};
		ok = ci->offset == next && ci->first_event == events && get_le(e + 28, 4) == 0 &&
		     ci->nevents && ci->raw_len <= TRACE_CHUNK_MAX && ci->comp_len <= TRACE_CHUNK_MAX;
		next = ci->offset + TRACE_CHUNK_HEADER_LEN + ci->comp_len;
		events += ci->nevents;
	}
	free(buf);
	if (!ok || next != at || events != get_le(t + 8, 8))
		return fail(r, "trace index damaged (entries) at offset %lld", (long long)at);
	r->index_len = n;
	return fseek(r->f, data_start, SEEK_SET) ? fail(r, "cannot seek (%lld)", 0) : 0;
}

int trace_reader_open(struct trace_reader *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->f = fopen(path, "rb");
	if (!r->f) {
		snprintf(r->err, sizeof(r->err), "%s: %s", path, strerror(errno));
		return -1;
	}
	r->comp = malloc(TRACE_CHUNK_MAX);
	r->raw = malloc(TRACE_CHUNK_MAX);
	if (!r->comp || !r->raw)
		return fail(r, "out of memory (%lld)", 0);
	if (read_header(r) < 0)
		return -1;
	return load_index(r, ftell(r->f));
}

/* The index block at the end of a closed trace: check it and the trailer. */
static int read_index_block(struct trace_reader *r, const uint8_t *h, long at)
{
	uint64_t n = get_le(h + 4, 4);
	if (n != r->nchunks)
		return fail(r, "trace index does not match the chunks (at offset %lld)", at);
	if (fseek(r->f, (long)(n * TRACE_INDEX_ENTRY_LEN), SEEK_CUR))
		return fail(r, "trace truncated in its index (offset %lld)", at);
	uint8_t t[TRACE_TRAILER_LEN];
	if (!read_exact(r, t, sizeof(t)) || memcmp(t + 16, TRACE_END_MAGIC, 8) ||
	    get_le(t, 8) != (uint64_t)at || get_le(t + 8, 8) != r->nevents)
		return fail(r, "trace trailer damaged (index at offset %lld)", at);
	r->closed = true;
	r->done = true;
	return 0;
}

/* Reads the next block: a chunk becomes the current one; the index ends the trace. */
static int next_block(struct trace_reader *r)
{
	uint8_t h[TRACE_CHUNK_HEADER_LEN];
	long at = ftell(r->f);
	size_t got = fread(h, 1, sizeof(h), r->f);
	if (got == 0 && feof(r->f)) {
		r->done = true; /* a trace left unclosed: complete up to here */
		return 0;
	}
	if (got != sizeof(h))
		return fail(r, "trace truncated in a chunk header at offset %lld", at);
	if (get_le(h, 4) == TRACE_INDEX_MAGIC)
		return read_index_block(r, h, at);
	uint32_t clen = (uint32_t)get_le(h + 4, 4), rlen = (uint32_t)get_le(h + 8, 4);
	if (get_le(h, 4) != TRACE_CHUNK_MAGIC)
		return fail(r, "trace damaged: no chunk at offset %lld", at);
	if (clen > TRACE_CHUNK_MAX || rlen > TRACE_CHUNK_MAX || get_le(h + 16, 8) != r->nevents ||
	    get_le(h + 28, 4) != 0)
		return fail(r, "trace damaged: bad chunk header at offset %lld", at);
	if (r->index && (r->nchunks >= r->index_len || r->index[r->nchunks].offset != (uint64_t)at ||
			 r->index[r->nchunks].comp_len != clen || r->index[r->nchunks].raw_len != rlen ||
			 r->index[r->nchunks].nevents != get_le(h + 12, 4)))
		return fail(r, "trace index does not match the chunk at offset %lld", at);
	if (!read_exact(r, r->comp, clen))
		return fail(r, "trace truncated in the chunk at offset %lld", at);
	uLongf out = rlen;
	if (get_le(h + 24, 4) != crc32(0, r->comp, clen) ||
	    uncompress(r->raw, &out, r->comp, clen) != Z_OK || out != rlen)
		return fail(r, "trace damaged: chunk at offset %lld fails its checksum", at);
	r->pos = r->raw;
	r->end = r->raw + rlen;
	r->left = (uint32_t)get_le(h + 12, 4);
	trace_delta_reset(&r->delta);
	r->nchunks++;
	if (r->left == 0 || rlen == 0)
		return fail(r, "trace damaged: empty chunk at offset %lld", at);
	return 0;
}

int trace_reader_next(struct trace_reader *r, struct trace_event *ev)
{
	while (r->left == 0) {
		if (r->pos != r->end || r->delta.pair_next)
			return fail(r, "trace damaged: chunk %lld has bytes after its events",
				    (long long)r->nchunks - 1);
		if (r->done)
			return 0;
		if (next_block(r) < 0)
			return -1;
	}
	if (trace_decode(&r->delta, &r->pos, r->end, ev) < 0)
		return fail(r, "trace damaged: malformed event %lld", (long long)r->nevents);
	r->left--;
	r->nevents++;
	return 1;
}

int trace_reader_seek_chunk(struct trace_reader *r, size_t i)
{
	if (i >= r->index_len)
		return fail(r, "no chunk %lld in the index", (long long)i);
	if (fseek(r->f, (long)r->index[i].offset, SEEK_SET))
		return fail(r, "cannot seek to chunk %lld", (long long)i);
	r->pos = r->end = r->raw;
	r->left = 0;
	r->delta.pair_next = 0; /* a pair half read before the seek is not the new chunk's */
	r->done = false;
	r->nchunks = i;
	r->nevents = r->index[i].first_event;
	return 0;
}

const char *trace_header_get(const struct trace_reader *r, const char *key, char *buf,
			     size_t len)
{
	size_t klen = strlen(key);
	for (const char *l = r->header; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		if (n > klen && !strncmp(l, key, klen) && l[klen] == '=') {
			snprintf(buf, len, "%.*s", (int)(n - klen - 1), l + klen + 1);
			return buf;
		}
		l = nl ? nl + 1 : NULL;
	}
	return NULL;
}

void trace_reader_close(struct trace_reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->header);
	free(r->comp);
	free(r->raw);
	free(r->index);
	memset(r, 0, sizeof(*r));
}
