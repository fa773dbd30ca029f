#!/bin/sh
# Reclaim and swap seen from a guest (guests/reclaim.c) on small machines:
#  - 3x RAM written and read back with swap: every byte intact, pages went out to swap
#    and came back, and a second run gives the same counters (determinism);
#  - the same without swap: the OOM killer's message and exit status 137 (SIGKILL);
#  - 1.25x RAM of shared anonymous memory (shmem) written and read back through swap;
#  - a file read through a mapping while anonymous memory stays hot: file pages are
#    reclaimed, no anonymous page is swapped;
#  - a hot set that fits in RAM while a stream three times its size passes: the hot set
#    stays resident (few major faults) while the stream goes to swap;
#  - workingset detection: after an old file set was made active, a new file set larger
#    than the inactive list (but fitting in RAM) is read over and over while a file
#    stream passes: its refaults are activated and it becomes resident; without the
#    detection it would be read from the file in every round;
#  - a file of 1.25x RAM written through a MAP_SHARED mapping, without swap: reclaim writes
#    the dirty pages back to the file and frees them, the guest reads back what it wrote,
#    and after it exits the file holds it (checked by the host and by read() in a guest);
#  - the same with --zswap: the pattern intact, pages stored compressed;
#  - a swap area in a host file;
#  - swap settings that cannot work: a clear error and exit status 2.
# Every run uses --check: after the guest, the kernel's free lists, LRU lists, rmap and swap
# counts are consistent and every frame and swap slot is back (else exit status 125).
mmemu=${1:-$MMEMU}
guests=${MMEMU_BUILD:-build}/guests
prog=$guests/reclaim
fails=0
out=$(mktemp) err=$(mktemp) err2=$(mktemp) scan=$(mktemp) wsdir=$(mktemp -d)
trap 'rm -f "$out" "$err" "$err2" "$scan"; rm -rf "$wsdir"' EXIT

fail() { echo "FAIL: $*"; head -20 "$out" "$err"; fails=$((fails + 1)); }
counter() { sed -n "s/^$1 //p" "$2"; } # counter NAME FILE
kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "$2"; }

[ -x "$prog" ] || { echo "FAIL: $prog missing"; exit 1; }

# 3x RAM with swap.
"$mmemu" run --check -m 16M --swap 64M "$prog" pattern 48 > "$out" 2> "$err"; st=$?
[ $st = 0 ] || fail "pattern with swap: exit $st"
grep -qx "pattern: 48 MiB intact" "$out" || fail "pattern with swap: data not intact"
[ "$(counter pswpout "$err")" -gt 0 ] 2>/dev/null || fail "pattern with swap: pswpout not > 0"
[ "$(counter pswpin "$err")" -gt 0 ] 2>/dev/null || fail "pattern with swap: pswpin not > 0"
"$mmemu" run --check -m 16M --swap 64M "$prog" pattern 48 > /dev/null 2> "$err2"
cmp -s "$err" "$err2" || { fail "pattern with swap: counters differ between two runs";
			   diff "$err" "$err2"; }

# The same without swap: OOM-killed.
"$mmemu" run --check -m 16M "$prog" pattern 48 > "$out" 2> "$err"; st=$?
[ $st = 137 ] || fail "pattern without swap: exit $st, not 137"
grep -Eq "^mmemu: Out of memory: Killed process 1 \(reclaim\) total-vm:[0-9]+kB, anon-rss:[0-9]+kB, file-rss:[0-9]+kB, shmem-rss:0kB, UID:[0-9]+ pgtables:[0-9]+kB oom_score_adj:0$" "$err" ||
	fail "pattern without swap: no OOM message"

# Shared anonymous memory goes to swap too.
"$mmemu" run --check -m 16M --swap 64M "$prog" shmpattern 20 > "$out" 2> "$err"; st=$?
[ $st = 0 ] || fail "shmpattern: exit $st"
grep -qx "pattern: 20 MiB intact" "$out" || fail "shmpattern: data not intact"
[ "$(counter pswpout "$err")" -gt 1024 ] 2>/dev/null || fail "shmpattern: shmem not swapped out"
[ "$(counter pswpin "$err")" -gt 0 ] 2>/dev/null || fail "shmpattern: pswpin not > 0"

# File pages go before hot anonymous pages.
head -c 32M /dev/zero | tr '\0' 'x' > "$scan"
"$mmemu" run --check -m 16M --swap 64M "$prog" filescan "$scan" 4 > "$out" 2> "$err"; st=$?
[ $st = 0 ] || fail "filescan: exit $st"
grep -q "^filescan: read 32 MiB twice, hot set faults 0," "$out" || fail "filescan: hot set faulted"
[ "$(counter pgsteal_file "$err")" -gt 5000 ] 2>/dev/null || fail "filescan: file pages not reclaimed"
[ "$(counter pswpout "$err")" = 0 ] || fail "filescan: anonymous pages were swapped"

# A hot set that fits stays while a stream passes.
"$mmemu" run --check -m 16M --swap 64M "$prog" workingset 4 32 > "$out" 2> "$err"; st=$?
[ $st = 0 ] || fail "workingset: exit $st"
hot=$(sed -n 's/.*hot set major faults \([0-9]*\)$/\1/p' "$out")
# 1024 hot pages touched 32 times: fewer than 2 % of those touches may fault.
[ -n "$hot" ] && [ "$hot" -lt 655 ] || fail "workingset: hot set faulted $hot times"
[ "$(counter pswpout "$err")" -gt 4096 ] 2>/dev/null || fail "workingset: the stream did not go to swap"

# Workingset detection moves the page cache from an old set to a new one. Measured
# without the detection (refaults never activated): the new set faults 3289 times after
# its first round and 143 times (all of it) in the last; with it, about 530 and 18.
head -c 5M /dev/zero > "$wsdir/old"
head -c 9M /dev/zero > "$wsdir/new"
head -c 64M /dev/zero > "$wsdir/stream"
"$mmemu" run --check -m 16M --swap 32M "$prog" fileswitch "$wsdir/old" "$wsdir/new" "$wsdir/stream" 24 \
	> "$out" 2> "$err"; st=$?
[ $st = 0 ] || fail "fileswitch: exit $st"
line=$(grep "^fileswitch: new set 2304 pages," "$out")
later=$(echo "$line" | sed -n 's/.*later rounds \([0-9]*\),.*/\1/p')
last=$(echo "$line" | sed -n 's/.*last round \([0-9]*\)$/\1/p')
first=$(echo "$line" | sed -n 's/.*first round \([0-9]*\),.*/\1/p')
# The first round reads the set (2304 pages, 16 per fault with fault-around): 144 faults.
# Thrashing would take as many in every later round (23 x 144); a resident set none.
[ -n "$later" ] && [ "$later" -lt $((23 * first / 3)) ] ||
	fail "fileswitch: the new set kept faulting ($later faults after its first round)"
[ -n "$last" ] && [ "$last" -lt $((first / 2)) ] ||
	fail "fileswitch: the new set still faults in its last round ($last)"
[ "$(counter workingset_refault_file "$err")" -gt 0 ] 2>/dev/null ||
	fail "fileswitch: no file refault counted"
[ "$(counter workingset_activate_file "$err")" -gt 0 ] 2>/dev/null ||
	fail "fileswitch: no refault activated"
[ "$(counter workingset_nodes "$err")" -gt 0 ] 2>/dev/null ||
	fail "fileswitch: no shadow node counted"

# Dirty shared file pages are written back (no swap: it is the only way to free them).
head -c 20M /dev/zero > "$wsdir/shared"
"$mmemu" run --check -m 16M "$prog" sharedwrite "$wsdir/shared" > "$out" 2> "$err"; st=$?
[ $st = 0 ] || fail "sharedwrite: exit $st"
grep -qx "sharedwrite: 20 MiB written, 0 words wrong" "$out" || fail "sharedwrite: data wrong"
[ "$(counter nr_vmscan_write "$err")" -gt 1000 ] 2>/dev/null ||
	fail "sharedwrite: reclaim wrote no dirty page back"
[ "$(counter nr_written "$err")" -ge "$(counter nr_vmscan_write "$err")" ] 2>/dev/null ||
	fail "sharedwrite: nr_written below nr_vmscan_write"
[ -n "$(kb Dirty "$err")" ] && [ -n "$(kb Writeback "$err")" ] ||
	fail "sharedwrite: no Dirty:/Writeback: lines"
# The word at offset o holds o + 1: look at the first, one in the middle, the last.
for off in 0 10485760 20971512; do
	v=$(od -A n -t u8 -j "$off" -N 8 "$wsdir/shared" | tr -d ' ')
	[ "$v" = $((off + 1)) ] || fail "sharedwrite: file word at $off is '$v', not $((off + 1))"
done
"$mmemu" run --check -m 16M "$prog" fileverify "$wsdir/shared" > "$out" 2> "$err"; st=$?
[ $st = 0 ] && grep -qx "fileverify: 2621440 words, 0 wrong" "$out" ||
	fail "sharedwrite: the file does not hold what the guest wrote"

# zswap in front of the swap area.
"$mmemu" run --check -m 16M --swap 64M --zswap "$prog" pattern 32 > "$out" 2> "$err"; st=$?
[ $st = 0 ] || fail "zswap: exit $st"
grep -qx "pattern: 32 MiB intact" "$out" || fail "zswap: data not intact"
[ "$(kb Zswapped "$err")" -gt 0 ] 2>/dev/null || fail "zswap: nothing stored compressed"
[ "$(counter pswpout "$err")" -lt "$(counter pgsteal_anon "$err")" ] 2>/dev/null ||
	fail "zswap: every reclaimed page still went to the swap area"

# A swap file on the host.
"$mmemu" run --check -m 16M --swap "64M,file=$scan" "$prog" pattern 24 > "$out" 2> "$err"; st=$?
[ $st = 0 ] || fail "swap file: exit $st"
grep -qx "pattern: 24 MiB intact" "$out" || fail "swap file: data not intact"
[ "$(counter pswpin "$err")" -gt 0 ] 2>/dev/null || fail "swap file: pswpin not > 0"
[ "$(stat -c %s "$scan")" = 67108864 ] || fail "swap file: not 64 MiB"

# Swap settings that cannot work.
for bad in "--swap 0" "--swap 64Q" "--swap 64M,file=/nonexistent-dir/swap" "--zswap" \
	   "--swap 64M,fil=x"; do
	# shellcheck disable=SC2086
	"$mmemu" run --check -m 16M $bad "$guests/hello" > "$out" 2> "$err"; st=$?
	[ $st = 2 ] || fail "'$bad': exit $st, not 2"
	grep -q . "$err" || fail "'$bad': no error message"
done

[ $fails = 0 ] && echo "reclaim: all passed"
exit $fails
