#!/bin/sh
# Traces end to end: every guest's run recorded and replayed with --verify and through the
# kernel (the run's figures, tests/cli/trace_kernel.sh has the what-ifs); a what-if
# replay under the recorded settings equals the recording; a larger TLB misses less and a
# smaller one more; Ctrl-C and --max-insns still leave a closed, verifiable trace; damaged
# traces give one error line and status 1.
mmemu=${1:-$MMEMU}
guests=${MMEMU_BUILD:-$(dirname "$mmemu")}/guests
tmp=/tmp/mmemu-trace-cli.$$
mkdir -p $tmp
fails=0
pass=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { pass=$((pass + 1)); }
# The lines of a --compare table where recorded and replayed differ: instructions aside (a
# replay executes none). The allocation counters are compared too: the blocks other system
# calls allocate for themselves (a /proc file's text, a pipe) are replayed as blocks.
differing() { awk 'NR > 1 && $1 != "instructions" && $1 != "verified:" && $1 != "statistic" && $2 != $3 {print $1 ": " $2 " recorded, " $3 " replayed"}' "$1"; }

# Every guest: record, then replay exactly, through the MMU and through the kernel.
for g in "$guests"/*; do
	[ -f "$g" ] && [ -x "$g" ] || continue
	name=$(basename "$g")
	# The benchmark guests run at their test sizes (run_guests.sh uses the same).
	case $name in
	bench_sha256*) args=16 ;;
	bench_qsort*) args=2000 ;;
	bench_fp*) args="sse 2 24" ;;
	*) args= ;;
	esac
	"$mmemu" run --trace $tmp/$name.trc "$g" $args >/dev/null 2>&1 </dev/null
	if "$mmemu" replay --verify $tmp/$name.trc >$tmp/out 2>&1; then ok; else
		fail "$name: replay --verify: $(cat $tmp/out)"; fi
	# Through the kernel, on the recorded machine: every figure of the run (a replay
	# executes no instructions), since the kernel model is deterministic, and (--verify)
	# every frame's reference and mapping counts at each return to user mode.
	if "$mmemu" replay --kernel --verify --compare $tmp/$name.trc >$tmp/cmp 2>$tmp/out &&
		grep -q '^verified: [1-9][0-9]* frame counts' $tmp/cmp &&
		grep -q '^pgfault ' $tmp/cmp && [ -z "$(differing $tmp/cmp)" ]; then ok; else
		fail "$name: replay --kernel differs from the run: $(differing $tmp/cmp) $(cat $tmp/out)"; fi
	rm -f $tmp/$name.trc
done

# Exceptions other than #PF (wild_jump: ud2 #UD, int3 #BP, hlt and a non-canonical jump
# #GP): recorded with the signal the kernel sent (SIGILL, SIGTRAP, SIGSEGV: one each), the
# trace verifies, the MMU replay counts them, and the replay through the kernel counts the
# run's `exceptions`.
for how in ud2 int3 hlt noncanon; do
	"$mmemu" run --stats --trace $tmp/wj.trc "$guests/wild_jump" $how >/dev/null 2>$tmp/run </dev/null
	"$mmemu" trace info $tmp/wj.trc >$tmp/info 2>&1
	"$mmemu" replay --verify $tmp/wj.trc >$tmp/out 2>&1 || fail "wild_jump $how: replay --verify: $(cat $tmp/out)"
	"$mmemu" replay --stats $tmp/wj.trc >$tmp/mmu 2>&1
	"$mmemu" replay --kernel --stats $tmp/wj.trc >$tmp/kern 2>&1
	exc_run=$(awk '$1 == "exceptions" {print $2}' $tmp/run)
	exc_rep=$(awk '$1 == "exceptions" {print $2}' $tmp/kern)
	if [ "$(awk '$1 == "exception" {print $2}' $tmp/info)" = 1 ] &&
		[ "$(awk '$1 == "exceptions_recorded" {print $2}' $tmp/mmu)" = 1 ] &&
		[ "$(awk '$1 == "signals_recorded" {print $2}' $tmp/mmu)" = 1 ] &&
		[ -n "$exc_run" ] && [ "$exc_run" = "$exc_rep" ]; then ok; else
		fail "wild_jump $how: exception events $(grep exception $tmp/info), replay: $(grep recorded $tmp/mmu), exceptions run $exc_run, kernel replay $exc_rep"; fi
done

# The statistics of a what-if replay under the recorded settings are the recorded ones.
"$mmemu" run --trace $tmp/touch.trc "$guests/touch_pages" 32 >/dev/null 2>&1
"$mmemu" replay --compare $tmp/touch.trc >$tmp/cmp 2>&1 || fail "replay --compare failed"
lines=$(grep -c '^tlb\.\|^walk\.' $tmp/cmp)
differ=$(awk 'NR > 1 && $4 != "1.000" && $4 != "=" {print}' $tmp/cmp)
if [ "$lines" -gt 40 ] && [ -z "$differ" ]; then ok; else
	fail "what-if replay under the recorded settings differs: $differ"; fi

# run --stats with and without --trace: recording changes nothing the model counts.
"$mmemu" run --stats "$guests/touch_pages" 8 >/dev/null 2>$tmp/plain
"$mmemu" run --stats --trace $tmp/t8.trc "$guests/touch_pages" 8 >/dev/null 2>$tmp/traced
if cmp -s $tmp/plain $tmp/traced; then ok; else fail "run --stats differs with --trace"; fi

# A larger L2 TLB misses no more, a smaller one no less (and strictly more than the larger).
value() { awk -v k="$1" '$1 == k {print $2}' "$2"; }
"$mmemu" replay --tlb l2=16384:16 --stats $tmp/touch.trc >$tmp/big
"$mmemu" replay --stats $tmp/touch.trc >$tmp/same
"$mmemu" replay --tlb l2=64:4 --stats $tmp/touch.trc >$tmp/small
b=$(value tlb.levels.l2.misses $tmp/big); s=$(value tlb.levels.l2.misses $tmp/same)
m=$(value tlb.levels.l2.misses $tmp/small)
if [ -n "$b" ] && [ "$b" -le "$s" ] && [ "$s" -le "$m" ] && [ "$b" -lt "$m" ]; then ok; else
	fail "l2 misses not monotonic in L2 size: big $b, recorded $s, small $m"; fi
wb=$(value walk.walks $tmp/big); wm=$(value walk.walks $tmp/small)
if [ "$wb" -lt "$wm" ]; then ok; else fail "walks: big L2 $wb, small L2 $wm"; fi
"$mmemu" replay --stats=json $tmp/touch.trc | grep -q '^{"replay": {"accesses": [0-9]' && ok ||
	fail "replay --stats=json"

# Page allocator events: touching 8 MiB of fresh anonymous memory needs a frame for each
# of its 2048 pages, and the program's exit gives them back.
"$mmemu" replay --stats $tmp/t8.trc >$tmp/t8stats
pa=$(value pgalloc_recorded $tmp/t8stats); pf=$(value pgfree_recorded $tmp/t8stats)
if [ "${pa:-0}" -ge 2048 ] && [ "${pf:-0}" -ge 2048 ]; then ok; else
	fail "page events: $pa allocations, $pf frees for 2048 pages touched"; fi

# trace info: header, counts, index.
"$mmemu" trace info $tmp/touch.trc >$tmp/info 2>&1 && grep -q '^program=.*touch_pages' $tmp/info &&
	grep -q '^  access ' $tmp/info && grep -q '^index: 1\?[0-9]* chunks' $tmp/info && ok ||
	fail "trace info: $(cat $tmp/info)"
# ... and the page_ref events (1.3): touch_pages 32 maps 8192 anonymous pages, each of
# whose counts changes at least when it is mapped and when it is freed.
refs=$(sed -n 's/^frame counts in page_ref events: //p' $tmp/info)
if grep -q '^format version 1.4' $tmp/info && grep -q '^  page_ref ' $tmp/info &&
	[ "${refs:-0}" -ge 16384 ]; then ok; else
	fail "trace info: page_ref counts $refs: $(grep -e page_ref -e format $tmp/info)"; fi
# A trace labelled 1.2 (its minor version, bytes 10-11): counts not recorded, and
# replay --kernel --verify has none to check (nor fails for want of them).
cp $tmp/touch.trc $tmp/old.trc
printf '\002' | dd of=$tmp/old.trc bs=1 seek=10 count=1 conv=notrunc 2>/dev/null
if "$mmemu" trace info $tmp/old.trc | grep -q '^frame counts: not recorded (format 1.2' &&
	"$mmemu" replay --kernel --verify $tmp/old.trc | grep -q '^verified: nothing (format 1.2'
then ok; else fail "a 1.2 trace: $("$mmemu" trace info $tmp/old.trc | grep frame)"; fi

# Stopped runs leave closed traces: --max-insns, and Ctrl-C.
"$mmemu" run --max-insns 200000 --trace $tmp/limit.trc "$guests/touch_pages" 64 >/dev/null 2>&1
[ $? = 124 ] && "$mmemu" replay --verify $tmp/limit.trc >/dev/null 2>&1 && ok ||
	fail "--max-insns trace"
"$mmemu" run --trace $tmp/int.trc "$guests/touch_pages" 100000 >/dev/null 2>&1 &
pid=$!
# Interrupt only once recording is under way (the first chunk is on disk), however slow the
# machine is.
n=0
while [ ! -s $tmp/int.trc ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
sleep 0.5
kill -INT $pid
wait $pid
st=$?
if [ $st = 130 ] && "$mmemu" trace info $tmp/int.trc | grep -q '^index: ' &&
	"$mmemu" replay --verify $tmp/int.trc >/dev/null 2>&1; then ok; else
	fail "Ctrl-C: status $st, trace not closed or not verifiable"; fi

# Damaged traces: one "mmemu:" line, status 1.
size=$(wc -c <$tmp/touch.trc)
head -c $((size / 2)) $tmp/touch.trc >$tmp/cut.trc
"$mmemu" replay $tmp/cut.trc >/dev/null 2>$tmp/err
if [ $? = 1 ] && [ "$(wc -l <$tmp/err)" = 1 ] && grep -q '^mmemu: replay: .*truncated' $tmp/err; then
	ok; else fail "truncated trace: $(cat $tmp/err)"; fi
"$mmemu" trace info $tmp/cut.trc >/dev/null 2>&1
[ $? = 1 ] && ok || fail "trace info of a truncated trace"
cp $tmp/touch.trc $tmp/bad.trc
printf 'XXXX' | dd of=$tmp/bad.trc bs=1 seek=2000 conv=notrunc 2>/dev/null
"$mmemu" replay --verify $tmp/bad.trc >/dev/null 2>$tmp/err
if [ $? = 1 ] && grep -q '^mmemu: replay: .*damaged' $tmp/err; then ok; else
	fail "damaged trace: $(cat $tmp/err)"; fi
"$mmemu" replay --verify --tlb l2=64:4 $tmp/touch.trc >/dev/null 2>&1
[ $? = 2 ] && ok || fail "--verify with --tlb must be refused"

rm -rf $tmp
echo "trace: $pass passed, $fails failed"
[ $fails = 0 ]
