/*
 * The heat of recent accesses to physical frames, for the physical panel's overlay: the
 * time of the last read, write and fetch of every frame, and a ring of the frames touched
 * last, so that a picture visits only those cells rather than every frame. Heat fades
 * linearly over a window of time; what time counts depends on the source:
 *
 *   - a recorded trace (emu/viewer_trace.h): event numbers, every access in the window;
 *   - a running guest (struct live_heat below): instructions executed, from samples of the
 *     MMU's fast-path entries taken every LIVE_HEAT_EVERY instructions.
 *
 * Why the fast-path entries: nearly every guest access is an inline fast-path hit (index,
 * compare, add) that no hook may slow down. With exact TLB statistics (the default) each
 * hit already stamps its entry with its TLB level's tick (mmu_fast_count), so an entry
 * whose stamp is newer than the tick at the last sample was used since then: its kind
 * (read, write, fetch: one table each) and, through its host address, its frame are
 * known. An access that misses the fast path (the first to a page, a sweep that touches
 * each page once) hits or fills an entry of the TLB arrays, which stamps it with its
 * level's tick too: the L1 and L2 arrays' entries stamped since the last sample add their
 * frames, as fetches from the L1 instruction arrays, else as writes when the entry is
 * dirty and reads when not (an approximation: the arrays do not keep the access kind).
 * Reading all this changes nothing in the machine, so a viewed run stays exactly the run
 * without the viewer. What a sample can miss: entries used and then replaced or flushed
 * between two samples -- the overlay is a sampled picture of where the guest works, not a
 * count of its accesses.
 */
#ifndef EMU_VIEWER_HEAT_H
#define EMU_VIEWER_HEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;

#define HEAT_KINDS 3 /* MMU_READ, MMU_WRITE, MMU_FETCH */

struct heat_map {
	unsigned long nr_frames; /* frames tracked */
	uint64_t window;	 /* time over which heat fades to nothing (> 0) */
	uint64_t now;		 /* the present, in the same time */
	uint64_t *last[HEAT_KINDS]; /* [nr_frames]: time + 1 of the last access, 0: none */
	uint32_t *ring;		    /* frames of the last ring_size accesses noted, oldest
				       first from ring_pos - ring_count */
	size_t ring_size, ring_pos, ring_count;
};

/* Allocates the map for nr_frames frames and a ring of ring_size (> 0) accesses, heat
 * fading over window. 0, or -1 (out of memory; heat_map_destroy is needed either way). */
int heat_map_init(struct heat_map *h, unsigned long nr_frames, size_t ring_size,
		  uint64_t window);
void heat_map_destroy(struct heat_map *h);
/* Forgets every access. */
void heat_map_clear(struct heat_map *h);
/* Replaces the ring by one of ring_size (> 0) accesses and the window by window, and
 * forgets every access. 0, or -1 (out of memory: the map is unchanged). */
int heat_map_resize(struct heat_map *h, size_t ring_size, uint64_t window);

/* Frame pfn had an access of kind (0 read, 1 write, 2 fetch) at time t. Out-of-range
 * frames and kinds are ignored. */
static inline void heat_map_note(struct heat_map *h, unsigned long pfn, unsigned kind,
				 uint64_t t)
{
	if (pfn >= h->nr_frames || kind >= HEAT_KINDS)
		return;
	h->last[kind][pfn] = t + 1;
	h->ring[h->ring_pos] = (uint32_t)pfn;
	h->ring_pos = h->ring_pos + 1 == h->ring_size ? 0 : h->ring_pos + 1;
	if (h->ring_count < h->ring_size)
		h->ring_count++;
}

/* The heat of frame pfn's accesses of kind at h->now, 0..255 (255: at the present; 0:
 * none, or older than the window). */
unsigned heat_map_heat(const struct heat_map *h, unsigned long pfn, int kind);

/* Appends to buf (len bytes in all, NUL-terminated) the age of frame pfn's last access of
 * each kind within the window: "  last read 1200 insns ago" (unit names the time). */
void heat_map_describe(const struct heat_map *h, unsigned long pfn, const char *unit, char *buf,
		       size_t len);

/* The i-th oldest frame of the ring (i < ring_count). */
static inline uint32_t heat_map_ring_at(const struct heat_map *h, size_t i)
{
	return h->ring[(h->ring_pos + h->ring_size - h->ring_count + i) % h->ring_size];
}

/* ---- a running guest ---- */

#define LIVE_HEAT_EVERY 65536	   /* instructions between samples */
#define LIVE_HEAT_WINDOW 40000000  /* instructions over which heat fades */
#define LIVE_HEAT_RING 65536	   /* accesses the overlay draws at most */

struct live_heat {
	struct heat_map map;	/* time: instructions executed */
	uint64_t seen[3];	/* the ticks of the TLB levels (L1I, L1D, L2) at the last
				   sample */
	uint64_t sampled_at;	/* instructions executed at the last sample */
	uint64_t samples;	/* samples taken */
	uint64_t noted;		/* accesses noted (entries found used) */
};

/* Prepares sampling of machine m. 0 or -1 (out of memory; live_heat_destroy either way). */
int live_heat_init(struct live_heat *lh, struct machine *m);
void live_heat_destroy(struct live_heat *lh);
/*
 * Notes the frames whose fast-path entries were used since the last sample, at the
 * current instruction count, and moves the map's present there. Reads the MMU and changes
 * nothing in the machine. Cheap enough to run every LIVE_HEAT_EVERY instructions (one
 * pass over the current paging mode's fast-path tables and the L1 and L2 TLB arrays, a
 * few microseconds).
 */
void live_heat_sample(struct live_heat *lh, struct machine *m);

#endif /* EMU_VIEWER_HEAT_H */
