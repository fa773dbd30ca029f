/*
 * Writing a trace (docs/trace-format.md): the file header, then events gathered into
 * chunks of about TRACE_CHUNK_RAW bytes, each compressed with zlib on its own and written
 * as soon as it is full, then at close the index of the chunks and the trailer. A writer
 * stopped before close leaves every full chunk behind, which a reader accepts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "emu/trace.h"
#include "emu/trace_file.h"
#include "kernel-sim/bug.h"

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void write_bytes(struct trace_writer *w, const void *buf, size_t n)
{
	if (w->error)
		return;
	if (fwrite(buf, 1, n, w->f) != n)
		w->error = errno ? errno : EIO;
	w->offset += n;
}

/* A deflate stream at level 1 (fast: the delta coding has done most of the work), kept for
 * the whole trace: made once rather than for each chunk, which compress2 would do (its
 * quarter-megabyte state then comes and goes as fresh pages of memory every chunk). */
static void *deflate_open(void)
{
	z_stream *zs = calloc(1, sizeof(*zs));
	if (zs && deflateInit(zs, 1) != Z_OK) {
		free(zs);
		return NULL;
	}
	return zs;
}

static void deflate_close(void *p)
{
	if (p)
		deflateEnd(p);
	free(p);
}

/* The most bytes of raw chunk a writer holds (an event may pass TRACE_CHUNK_RAW by up to
 * its own size), and room for them compressed in one zlib stream. */
#define RAW_ROOM (TRACE_CHUNK_RAW + TRACE_EVENT_MAX + TRACE_TEXT_MAX)

/*
 * Compresses the chunk's raw bytes not compressed yet into its zlib stream, after the
 * compressed bytes so far; with finish, the rest and the stream's end. The stream then
 * holds raw[0..raw_len) exactly as one deflate of the whole chunk would; compressing it
 * as it grows (trace_writer_event and the others, every TRACE_DEFLATE_STEP bytes) leaves
 * only the last step for the chunk's flush, which for the last chunk the run's end waits
 * for. Where the steps fall depends on the events alone (a file is a function of its
 * events). false on a zlib failure.
 */
static bool deflate_more(struct trace_writer *w, bool finish)
{
	z_stream *zs = w->zs;
	zs->next_in = w->raw + w->deflated;
	zs->avail_in = (uInt)(w->raw_len - w->deflated);
	zs->next_out = w->comp + w->comp_len;
	zs->avail_out = (uInt)(w->comp_room - w->comp_len);
	int rc = deflate(zs, finish ? Z_FINISH : Z_NO_FLUSH);
	w->deflated = w->raw_len - zs->avail_in;
	w->comp_len = w->comp_room - zs->avail_out;
	/* The room is deflateBound's for the largest chunk: zlib never runs out of it. */
	return finish ? rc == Z_STREAM_END : rc == Z_OK && zs->avail_in == 0;
}

/* After an event: the new raw bytes into the stream once a step of them waits. */
static void deflate_step(struct trace_writer *w)
{
	if (w->raw_len - w->deflated >= TRACE_DEFLATE_STEP && !deflate_more(w, false))
		w->error = ENOMEM;
}

int trace_writer_create(struct trace_writer *w, const char *path, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->delta.sized = true; /* this writer writes format 1.1 and later */
	w->raw = malloc(RAW_ROOM);
	w->zs = deflate_open();
	w->comp_room = w->zs ? deflateBound(w->zs, RAW_ROOM) : 0;
	w->comp = malloc(w->comp_room ? w->comp_room : 1);
	w->f = fopen(path, "wb");
	if (!w->raw || !w->comp || !w->zs || !w->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(w->f ? ENOMEM : errno));
		if (w->f)
			fclose(w->f);
		free(w->raw);
		free(w->comp);
		deflate_close(w->zs);
		w->f = NULL;
		return -1;
	}
	w->chunk_fresh = true;
	return 0;
}

void trace_writer_header(struct trace_writer *w, const char *header)
{
	size_t hlen = strlen(header);
	BUG_ON(w->offset != 0 || hlen > TRACE_HEADER_MAX);
	uint8_t fh[TRACE_FILE_HEADER_LEN];
	memcpy(fh, TRACE_MAGIC, 8);
	put_le(fh + 8, TRACE_VERSION_MAJOR, 2);
	put_le(fh + 10, TRACE_VERSION_MINOR, 2);
	put_le(fh + 12, hlen, 4);
	write_bytes(w, fh, sizeof(fh));
	write_bytes(w, header, hlen);
	uint8_t crc[4];
	put_le(crc, crc32(0, (const Bytef *)header, (uInt)hlen), 4);
	write_bytes(w, crc, 4);
}

int trace_writer_open(struct trace_writer *w, const char *path, const char *header, char *err,
		      size_t errlen)
{
	if (strlen(header) > TRACE_HEADER_MAX) {
		memset(w, 0, sizeof(*w));
		snprintf(err, errlen, "%s: trace header too long", path);
		return -1;
	}
	if (trace_writer_create(w, path, err, errlen) < 0)
		return -1;
	trace_writer_header(w, header);
	return 0;
}

static void index_add(struct trace_writer *w, const struct trace_chunk_info *ci)
{
	if (w->nchunks == w->index_cap) {
		size_t cap = w->index_cap ? 2 * w->index_cap : 64;
		struct trace_chunk_info *n = realloc(w->index, cap * sizeof(*n));
		if (!n) {
			w->error = ENOMEM;
			return;
		}
		w->index = n;
		w->index_cap = cap;
	}
	w->index[w->nchunks++] = *ci;
}

/* The chunk compressed (its zlib stream complete in comp) as a chunk block of the file. */
static void write_chunk(struct trace_writer *w)
{
	uint32_t clen = (uint32_t)w->comp_len;
	struct trace_chunk_info ci = {w->offset, w->total, w->nevents, (uint32_t)w->raw_len, clen};
	uint8_t h[TRACE_CHUNK_HEADER_LEN] = {0};
	put_le(h, TRACE_CHUNK_MAGIC, 4);
	put_le(h + 4, clen, 4);
	put_le(h + 8, w->raw_len, 4);
	put_le(h + 12, w->nevents, 4);
	put_le(h + 16, w->total, 8);
	put_le(h + 24, crc32(0, w->comp, clen), 4);
	write_bytes(w, h, sizeof(h));
	write_bytes(w, w->comp, clen);
	/* A chunk on disk is a chunk a reader gets, whatever happens to this process next. */
	if (!w->error && fflush(w->f))
		w->error = errno;
	index_add(w, &ci);
}

void trace_writer_flush(struct trace_writer *w)
{
	if (!w->f || w->nevents == 0)
		return;
	bool done = deflate_more(w, true);
	if (deflateReset(w->zs) != Z_OK)
		done = false;
	if (done) {
		write_chunk(w);
		w->total += w->nevents;
	} else {
		w->error = ENOMEM; /* the chunk is lost; the next starts afresh all the same */
	}
	w->nevents = 0;
	w->raw_len = 0;
	w->deflated = 0;
	w->comp_len = 0;
	trace_delta_reset(&w->delta);
	w->chunk_fresh = true;
}

void trace_writer_event(struct trace_writer *w, const struct trace_event *ev)
{
	if (!w->f)
		return;
	w->chunk_fresh = false;
	w->raw_len += trace_encode(&w->delta, ev, w->raw + w->raw_len);
	w->nevents++;
	if (w->raw_len >= TRACE_CHUNK_RAW)
		trace_writer_flush(w);
	else
		deflate_step(w);
}

void trace_writer_translation(struct trace_writer *w, unsigned type, unsigned flags,
			      unsigned size, uint64_t la, uint64_t pa)
{
	if (!w->f)
		return;
	w->chunk_fresh = false;
	w->raw_len += trace_encode_translation(&w->delta, type, flags, size, la, pa,
						 w->raw + w->raw_len);
	w->nevents++;
	if (w->raw_len >= TRACE_CHUNK_RAW)
		trace_writer_flush(w);
	else
		deflate_step(w);
}

unsigned trace_writer_batch(struct trace_writer *w, const struct mmu_trace_access *a, unsigned n,
			    unsigned *runs)
{
	if (!w->f)
		return n;
	w->chunk_fresh = false;
	unsigned done = trace_encode_batch(&w->delta, a, n, w->raw, &w->raw_len, TRACE_CHUNK_RAW,
					   runs);
	w->nevents += done;
	if (w->raw_len >= TRACE_CHUNK_RAW)
		trace_writer_flush(w);
	else
		deflate_step(w);
	return done;
}

void trace_writer_fetch_run(struct trace_writer *w, uint64_t la, uint64_t pa, uint64_t count)
{
	if (!w->f)
		return;
	w->chunk_fresh = false;
	w->raw_len += trace_encode_fetch_run(&w->delta, la, pa, count, w->raw + w->raw_len);
	w->nevents++;
	if (w->raw_len >= TRACE_CHUNK_RAW)
		trace_writer_flush(w);
	else
		deflate_step(w);
}

/* The index block and the trailer that points at it. */
static void write_index(struct trace_writer *w)
{
	uint64_t at = w->offset;
	size_t n = w->nchunks * TRACE_INDEX_ENTRY_LEN;
	uint8_t *buf = calloc(1, n + 1);
	if (!buf) {
		w->error = ENOMEM;
		return;
	}
	for (size_t i = 0; i < w->nchunks; i++) {
		uint8_t *e = buf + i * TRACE_INDEX_ENTRY_LEN;
		put_le(e, w->index[i].offset, 8);
		put_le(e + 8, w->index[i].first_event, 8);
		put_le(e + 16, w->index[i].nevents, 4);
		put_le(e + 20, w->index[i].raw_len, 4);
		put_le(e + 24, w->index[i].comp_len, 4);
	}
	uint8_t h[TRACE_CHUNK_HEADER_LEN] = {0};
	put_le(h, TRACE_INDEX_MAGIC, 4);
	put_le(h + 4, w->nchunks, 4);
	put_le(h + 8, crc32(0, buf, (uInt)n), 4);
	write_bytes(w, h, sizeof(h));
	write_bytes(w, buf, n);
	free(buf);
	uint8_t t[TRACE_TRAILER_LEN];
	put_le(t, at, 8);
	put_le(t + 8, w->total, 8);
	memcpy(t + 16, TRACE_END_MAGIC, 8);
	write_bytes(w, t, sizeof(t));
}

/* Frees what the writer holds besides the file. */
static void writer_free(struct trace_writer *w)
{
	free(w->raw);
	free(w->comp);
	deflate_close(w->zs);
	free(w->index);
	w->zs = NULL;
	w->raw = w->comp = NULL;
	w->index = NULL;
}

int trace_writer_close(struct trace_writer *w)
{
	if (!w->f)
		return 0;
	trace_writer_flush(w);
	write_index(w);
	if (fclose(w->f) && !w->error)
		w->error = errno;
	w->f = NULL;
	writer_free(w);
	return -w->error;
}

void trace_writer_abandon(struct trace_writer *w)
{
	if (w->f)
		fclose(w->f);
	w->f = NULL;
	writer_free(w);
}
