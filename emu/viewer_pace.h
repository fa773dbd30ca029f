/*
 * The pace of the live window's pictures while the guest runs (emu/viewer_session.c).
 * A picture is drawn on the run's own thread, so every millisecond it takes is one the
 * guest waits. Two rules, both needed before a picture is due:
 *
 *   - the clock: VIEWER_PACE_FRAME_MS apart at least (about 30 a second; more would show
 *     an eye nothing new);
 *   - the guest's share: after a picture that took c ms of the thread's CPU time, the
 *     guest runs VIEWER_PACE_SHARE * c ms of CPU time before the next one, so pictures
 *     take at most 1 / (VIEWER_PACE_SHARE + 1) of a run, whatever they cost (a large
 *     machine's pictures are slower, so they come rarer).
 *
 * Running begins as if a picture had just been drawn: no picture comes before the guest
 * has run one interval, so a short run, or a run resumed for a moment, pays for none.
 * Until a picture has been drawn its cost is not known, and VIEWER_PACE_GUESS_MS stands
 * for it.
 *
 * CPU time rather than the clock for the share, so that it holds on a loaded host, where
 * the clock runs on while other processes have the CPU. Times are passed in, so the rules
 * can be checked without a clock.
 */
#ifndef EMU_VIEWER_PACE_H
#define EMU_VIEWER_PACE_H

#include <stdbool.h>
#include <stdint.h>

#define VIEWER_PACE_FRAME_MS 33 /* least clock time between pictures, ms */
#define VIEWER_PACE_SHARE 24	/* guest CPU time between pictures, in pictures' CPU times */
/* A picture's CPU time before one has been measured, ms: about one of a 4 GiB machine
 * (1 M frames) on the hosts measured. */
#define VIEWER_PACE_GUESS_MS 5.0

struct viewer_pace {
	double begun_cpu;     /* the thread's CPU time when the interval began, ms */
	uint32_t begun_ticks; /* the clock (SDL_GetTicks) then, ms */
	double cost;	      /* CPU time of the last picture, ms (the guess before one) */
};

/* No picture drawn yet. */
void viewer_pace_init(struct viewer_pace *p);
/* The guest starts running at CPU time cpu and clock ticks: the first interval begins. */
void viewer_pace_begin(struct viewer_pace *p, double cpu, uint32_t ticks);
/* A picture took cost ms of CPU time and ended at CPU time cpu, clock ticks: the next
 * interval begins. */
void viewer_pace_drawn(struct viewer_pace *p, double cost, double cpu, uint32_t ticks);
/* Is a picture due at CPU time cpu, clock ticks? */
bool viewer_pace_due(const struct viewer_pace *p, double cpu, uint32_t ticks);

#endif /* EMU_VIEWER_PACE_H */
