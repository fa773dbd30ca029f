/*
 * The pace of the live window's pictures (emu/viewer_pace.h), on times given by hand. The
 * rules, from the header: a picture is due once the clock has moved 33 ms and the guest
 * has had 24 times the last picture's CPU time since it; running begins as if a picture
 * had just been drawn, and before any picture its cost is taken as 5 ms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "emu/viewer_pace.h"

#define GUESS 5.0     /* ms */
#define SHARE 24      /* guest time per picture time */
#define CLOCK_MIN 33u /* ms between pictures */

static void test_viewer_pace_running_begins_no_picture_before_one_interval(void **state)
{
	struct viewer_pace p;
	viewer_pace_init(&p);
	viewer_pace_begin(&p, 1000.0, 50000);
	const double interval = SHARE * GUESS; /* 120 ms of the guest's CPU time */
	assert_false(viewer_pace_due(&p, 1000.0, 50000));
	assert_false(viewer_pace_due(&p, 1000.0 + interval - 0.01, 60000));
	assert_true(viewer_pace_due(&p, 1000.0 + interval, 60000));
	/* The clock as well: not within 33 ms, however much CPU time has gone by (a guest on
	 * several threads of the host cannot be, but the rule does not lean on that). */
	assert_false(viewer_pace_due(&p, 1000.0 + 10 * interval, 50000 + CLOCK_MIN - 1));
	assert_true(viewer_pace_due(&p, 1000.0 + 10 * interval, 50000 + CLOCK_MIN));
}

static void test_viewer_pace_after_a_picture_waits_share_times_its_cost(void **state)
{
	struct viewer_pace p;
	viewer_pace_init(&p);
	viewer_pace_begin(&p, 0.0, 0);
	viewer_pace_drawn(&p, 10.0, 500.0, 5000); /* a picture of 10 ms ended at 500 ms */
	assert_false(viewer_pace_due(&p, 500.0 + 239.9, 9000));
	assert_true(viewer_pace_due(&p, 500.0 + 240.0, 9000));
	/* A cheap picture: the clock decides, about 30 a second. */
	viewer_pace_drawn(&p, 0.1, 800.0, 9000);
	assert_false(viewer_pace_due(&p, 900.0, 9000 + CLOCK_MIN - 1));
	assert_true(viewer_pace_due(&p, 900.0, 9000 + CLOCK_MIN));
}

/* A picture drawn while paused is measured: when the run resumes, its cost, not the
 * guess, sets the first interval, which begins at the resumption. */
static void test_viewer_pace_resumed_run_waits_for_the_measured_cost(void **state)
{
	struct viewer_pace p;
	viewer_pace_init(&p);
	viewer_pace_drawn(&p, 2.0, 100.0, 1000); /* paused: a picture of 2 ms */
	viewer_pace_begin(&p, 7000.0, 90000);	 /* resumed much later */
	assert_false(viewer_pace_due(&p, 7000.0 + 47.9, 90000 + 100));
	assert_true(viewer_pace_due(&p, 7000.0 + 48.0, 90000 + 100));
}

/* SDL's tick count is 32 bits and wraps after 49 days. */
static void test_viewer_pace_clock_wrap_keeps_the_interval(void **state)
{
	struct viewer_pace p;
	viewer_pace_init(&p);
	viewer_pace_drawn(&p, 0.0, 0.0, 0xfffffff0u);
	assert_false(viewer_pace_due(&p, 1.0, 0x10u)); /* 32 ms later */
	assert_true(viewer_pace_due(&p, 1.0, 0x11u));  /* 33 ms later */
}

/*
 * Whole runs, simulated: the guest runs in steps of 0.25 ms of CPU time (the window looks
 * at the pace between slices), the host is idle (the clock moves with the CPU time), and
 * every picture costs c. The pictures' share of the run so far, looked at after every
 * step and picture, never exceeds a tenth for pictures of up to twice the guess (the
 * first picture's cost is not known when it is paced), and over a long run it is at most
 * 1/(24 + 1) and one picture.
 */
static void test_viewer_pace_pictures_never_take_a_tenth_of_a_run(void **state)
{
	static const double costs[] = {0.05, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0};
	for (unsigned i = 0; i < sizeof(costs) / sizeof(costs[0]); i++) {
		const double c = costs[i];
		struct viewer_pace p;
		viewer_pace_init(&p);
		viewer_pace_begin(&p, 0.0, 0);
		double cpu = 0, guest = 0, pictures = 0;
		int n = 0;
		while (guest < 3000.0) {
			cpu += 0.25, guest += 0.25;
			if (!viewer_pace_due(&p, cpu, (uint32_t)cpu))
				continue;
			cpu += c, pictures += c, n++;
			viewer_pace_drawn(&p, c, cpu, (uint32_t)cpu);
			if (pictures / cpu > 0.1)
				fail_msg("cost %.2f ms: %.1f%% after %d pictures", c,
					 100 * pictures / cpu, n);
		}
		assert_true(n >= 1);
		assert_true(pictures <= cpu / (SHARE + 1) + c);
		/* No more than the clock allows either: 33 ms apart. */
		assert_true(n <= (int)(cpu / CLOCK_MIN) + 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_viewer_pace_running_begins_no_picture_before_one_interval),
	    cmocka_unit_test(test_viewer_pace_after_a_picture_waits_share_times_its_cost),
	    cmocka_unit_test(test_viewer_pace_resumed_run_waits_for_the_measured_cost),
	    cmocka_unit_test(test_viewer_pace_clock_wrap_keeps_the_interval),
	    cmocka_unit_test(test_viewer_pace_pictures_never_take_a_tenth_of_a_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
