/*
 * The pace of the live window's pictures (see emu/viewer_pace.h).
 */
#include "emu/viewer_pace.h"

void viewer_pace_init(struct viewer_pace *p)
{
	*p = (struct viewer_pace){0, 0, VIEWER_PACE_GUESS_MS};
}

void viewer_pace_begin(struct viewer_pace *p, double cpu, uint32_t ticks)
{
	p->begun_cpu = cpu;
	p->begun_ticks = ticks;
}

void viewer_pace_drawn(struct viewer_pace *p, double cost, double cpu, uint32_t ticks)
{
	p->cost = cost > 0 ? cost : 0;
	viewer_pace_begin(p, cpu, ticks);
}

bool viewer_pace_due(const struct viewer_pace *p, double cpu, uint32_t ticks)
{
	/* Unsigned difference: right across the wrap of SDL's 32-bit tick count. */
	return (uint32_t)(ticks - p->begun_ticks) >= VIEWER_PACE_FRAME_MS &&
	       cpu - p->begun_cpu >= VIEWER_PACE_SHARE * p->cost;
}
