#!/bin/sh
# What-if replay through the simulated kernel (mmemu replay --kernel / machine options):
#  - (every guest replayed on the recorded machine gives the run's figures: trace.sh);
#  - a recording under memory pressure (reclaim and swap) replays with the run's figures
#    exactly (faults, allocations, reclaim, swap, TLB counters: the kernel model is
#    deterministic, so equality is the expectation, not closeness), and so does
#    one whose file pages are reclaimed (the replay's stand-in file of the recorded size);
#    with --verify, every frame's recorded reference and mapping counts are the replay's;
#  - a smaller -m gives more faults and swap, a larger -m no more faults than recorded;
#    a smaller -m without swap ends in the OOM killer;
#  - a larger TLB misses less than a smaller one, through the kernel too;
#  - traces that cannot be replayed through the kernel give one clear error.
mmemu=${1:-$MMEMU}
guests=${MMEMU_BUILD:-$(dirname "$mmemu")}/guests
tmp=/tmp/mmemu-trace-kernel.$$
mkdir -p $tmp
fails=0
pass=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { pass=$((pass + 1)); }
value() { awk -v k="$1" '$1 == k {v = $2} END {print v}' "$2"; }
# The lines of a --compare table where recorded and replayed differ (instructions aside:
# a replay executes none).
differing() { awk 'NR > 1 && $1 != "instructions" && $1 != "verified:" && $1 != "statistic" && $2 != $3 {print $1 ": " $2 " recorded, " $3 " replayed"}' "$1"; }
# --verify's line: every recorded frame count (page_ref) was this replay's too.
verified() { grep -q '^verified: [1-9][0-9]* frame counts in [1-9][0-9]* page_ref events as recorded' "$1"; }

# (Every guest replayed through the kernel on the recorded machine: tests/cli/trace.sh.)

# Kernel memory other system calls allocate for themselves: statfs_info reads /proc/mounts
# (the file's text), busybox sh reads /proc/meminfo through cat and opens a pipe for a
# command substitution. The trace marks those allocations (sys_work) and the replay makes
# them as blocks of the same order, so every counter, pgalloc_* and pgfree included, is
# the run's.
"$mmemu" run --trace $tmp/statfs.trc "$guests/statfs_info" >/dev/null 2>&1
"$mmemu" replay --kernel --verify --compare $tmp/statfs.trc >$tmp/cmp 2>$tmp/err
if "$mmemu" trace info $tmp/statfs.trc | grep -q '^  sys_work ' &&
	grep -q '^pgalloc_dma32 ' $tmp/cmp && verified $tmp/cmp && [ -z "$(differing $tmp/cmp)" ]; then ok; else
	fail "statfs_info: $(differing $tmp/cmp) $(cat $tmp/err)"; fi
if [ -x /bin/busybox ]; then
	"$mmemu" run --trace $tmp/bb.trc /bin/busybox sh -c 'x=$(echo hi); cat /proc/meminfo >/dev/null; echo "$x" | cat' \
		>/dev/null 2>&1
	"$mmemu" replay --kernel --verify --compare $tmp/bb.trc >$tmp/cmp 2>$tmp/err
	if grep -q '^pgfree ' $tmp/cmp && verified $tmp/cmp && [ -z "$(differing $tmp/cmp)" ]; then ok; else
		fail "busybox sh: $(differing $tmp/cmp) $(cat $tmp/err)"; fi
fi
"$mmemu" run --trace $tmp/touch_pages.trc "$guests/touch_pages" 64 >/dev/null 2>&1

# Under memory pressure: 32 MiB through a 16 MiB machine with swap, replayed exactly.
"$mmemu" run -m 16M --swap 64M --trace $tmp/press.trc "$guests/reclaim" pattern 32 >/dev/null 2>&1
"$mmemu" replay --kernel --verify --compare $tmp/press.trc >$tmp/cmp 2>$tmp/err
sw=$(awk '$1 == "pswpout" {print $2}' $tmp/cmp)
if [ "${sw:-0}" -gt 0 ] && verified $tmp/cmp && [ -z "$(differing $tmp/cmp)" ]; then ok; else
	fail "reclaim under pressure replays differently (pswpout $sw): $(differing $tmp/cmp) $(cat $tmp/err)"; fi

# File pages: a 12 MiB file read twice through a mapping on a 16 MiB machine, reclaimed by
# kswapd; the replay maps a file of the recorded size in its place.
head -c 12582912 /dev/zero | tr '\0' 'x' >$tmp/scan
"$mmemu" run -m 16M --swap 64M --trace $tmp/file.trc "$guests/reclaim" filescan $tmp/scan 4 \
	>/dev/null 2>&1
rm -f $tmp/scan
"$mmemu" replay --kernel --verify --compare $tmp/file.trc >$tmp/cmp 2>$tmp/err
steal=$(awk '$1 == "pgsteal_kswapd" {print $2}' $tmp/cmp)
if "$mmemu" trace info $tmp/file.trc | grep -q '^  file ' && [ "${steal:-0}" -gt 0 ] &&
	verified $tmp/cmp && [ -z "$(differing $tmp/cmp)" ]; then ok; else
	fail "file mapping replayed differently (pgsteal_kswapd $steal): $(differing $tmp/cmp) $(cat $tmp/err)"; fi

# 16 MiB on a 64 MiB machine with swap: nothing swapped in the run.
"$mmemu" run -m 64M --swap 64M --stats --trace $tmp/r.trc "$guests/reclaim" pattern 16 \
	>/dev/null 2>$tmp/run
"$mmemu" replay --stats $tmp/r.trc >/dev/null 2>&1 # the MMU-only replay still reads it
"$mmemu" replay --kernel --stats $tmp/r.trc >$tmp/same
"$mmemu" replay -m 16M --stats $tmp/r.trc >$tmp/small
"$mmemu" replay -m 256M --stats $tmp/r.trc >$tmp/big
f_run=$(value pgfault $tmp/run); f_same=$(value pgfault $tmp/same)
f_small=$(value pgfault $tmp/small); f_big=$(value pgfault $tmp/big)
if [ -n "$f_run" ] && [ "$f_run" = "$f_same" ]; then ok; else
	fail "same settings: $f_same faults, the run had $f_run"; fi
if [ "$(value pswpout $tmp/run)" = 0 ] && [ "$(value pswpout $tmp/small)" -gt 0 ] &&
	[ "$(value pswpin $tmp/small)" -gt 0 ] && [ "$f_small" -gt "$f_same" ] &&
	[ "$(value pgmajfault $tmp/small)" -gt "$(value pgmajfault $tmp/same)" ]; then ok; else
	fail "-m 16M: faults $f_small (recorded $f_same), pswpout $(value pswpout $tmp/small)"; fi
if [ "$f_big" -le "$f_same" ] && [ "$(value pswpout $tmp/big)" = 0 ]; then ok; else
	fail "-m 256M: faults $f_big, recorded $f_same"; fi
if [ "$(value mem_total_kb $tmp/small)" -lt "$(value mem_total_kb $tmp/same)" ]; then ok; else
	fail "-m 16M did not shrink the machine"; fi

# The same without swap: the OOM killer ends the process.
"$mmemu" replay -m 16M --swap off --stats $tmp/r.trc >$tmp/oom 2>$tmp/err
if [ $? = 0 ] && [ "$(value oom_kill $tmp/oom)" = 1 ] && [ "$(value pswpout $tmp/oom)" = 0 ] &&
	grep -q '^mmemu: replay: the process was killed (out of memory)' $tmp/err; then ok; else
	fail "-m 16M --swap off: $(cat $tmp/err)"; fi

# --zswap on the small machine: pages go to the compressed pool before swap.
"$mmemu" replay -m 16M --zswap --stats=json $tmp/r.trc >$tmp/z 2>$tmp/err
if grep -q '^{"machine": {"instructions": 0, .*"pswpout": [0-9]' $tmp/z; then ok; else
	fail "--zswap --stats=json: $(head -c 300 $tmp/z) $(cat $tmp/err)"; fi

# A larger TLB misses less than a smaller one, through the kernel as through the MMU.
"$mmemu" replay --kernel --tlb l2=16384:16 --stats $tmp/touch_pages.trc >$tmp/tbig
"$mmemu" replay --kernel --tlb l2=64:4 --stats $tmp/touch_pages.trc >$tmp/tsmall
b=$(value tlb.levels.l2.misses $tmp/tbig); s=$(value tlb.levels.l2.misses $tmp/tsmall)
if [ -n "$b" ] && [ "$b" -lt "$s" ] && [ "$(value pgfault $tmp/tbig)" = "$(value pgfault $tmp/tsmall)" ]
then ok; else fail "l2 misses through the kernel: big $b, small $s"; fi

# NUMA: the recorded single node replaced by two.
"$mmemu" replay -numa node,mem=32M -numa node,mem=32M --stats $tmp/r.trc >$tmp/numa 2>$tmp/err
if [ "$(value pgfault $tmp/numa)" -gt 0 ] && [ "$(value mem_total_kb $tmp/numa)" -gt 0 ]; then ok
else fail "-numa replay: $(cat $tmp/err)"; fi

# Errors: a program that is not the recorded one, a bad option, a machine option with --verify.
cp "$guests/hello" $tmp/prog
"$mmemu" run --trace $tmp/moved.trc $tmp/prog >/dev/null 2>&1
cp "$guests/touch_pages" $tmp/prog
"$mmemu" replay --kernel $tmp/moved.trc >/dev/null 2>$tmp/err
if [ $? = 1 ] && [ "$(wc -l <$tmp/err)" = 1 ] && grep -q 'is not the one recorded' $tmp/err; then ok
else fail "another program at the recorded path: $(cat $tmp/err)"; fi
rm -f $tmp/prog
"$mmemu" replay --kernel $tmp/moved.trc >/dev/null 2>$tmp/err
if [ $? = 1 ] && grep -q 'cannot exec the recorded program' $tmp/err; then ok; else
	fail "a missing program: $(cat $tmp/err)"; fi
"$mmemu" replay -m 16X $tmp/r.trc >/dev/null 2>&1
[ $? = 2 ] && ok || fail "-m 16X must be refused"
"$mmemu" replay --verify -m 16M $tmp/r.trc >/dev/null 2>&1
[ $? = 2 ] && ok || fail "--verify with -m must be refused"
"$mmemu" replay --kernel --verify --swap off $tmp/r.trc >/dev/null 2>&1
[ $? = 2 ] && ok || fail "--verify with --swap off must be refused"

rm -rf $tmp
echo "trace_kernel: $pass passed, $fails failed"
[ $fails = 0 ]
