#!/bin/sh
# Reclaim and swap seen from a guest (guests/reclaim.c) on small machines:
#  - 3x RAM written and read back with swap: every byte intact, pages went out to swap
#    and came back, and a second run gives the same counters (determinism);
#  - the same without swap: the OOM killer's message and exit status 137 (SIGKILL);
#  - a file read through a mapping while anonymous memory stays hot: file pages are
#    reclaimed, no anonymous page is swapped;
#  - a hot set that fits in RAM while a stream three times its size passes: the hot set
#    stays resident (few major faults) while the stream goes to swap;
#  - the same with --zswap: the pattern intact, pages stored compressed;
#  - a swap area in a host file;
#  - swap settings that cannot work: a clear error and exit status 2.
mmemu=${1:-$MMEMU}
guests=${MMEMU_BUILD:-build}/guests
prog=$guests/reclaim
fails=0
out=$(mktemp) err=$(mktemp) err2=$(mktemp) scan=$(mktemp)
trap 'rm -f "$out" "$err" "$err2" "$scan"' EXIT

fail() { echo "FAIL: $*"; head -20 "$out" "$err"; fails=$((fails + 1)); }
counter() { sed -n "s/^$1 //p" "$2"; } # counter NAME FILE
kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "$2"; }

[ -x "$prog" ] || { echo "FAIL: $prog missing"; exit 1; }

# 3x RAM with swap.
"$mmemu" run -m 16M --swap 64M "$prog" pattern 48 > "$out" 2> "$err"; st=$?
[ $st = 0 ] || fail "pattern with swap: exit $st"
grep -qx "pattern: 48 MiB intact" "$out" || fail "pattern with swap: data not intact"
[ "$(counter pswpout "$err")" -gt 0 ] 2>/dev/null || fail "pattern with swap: pswpout not > 0"
[ "$(counter pswpin "$err")" -gt 0 ] 2>/dev/null || fail "pattern with swap: pswpin not > 0"
"$mmemu" run -m 16M --swap 64M "$prog" pattern 48 > /dev/null 2> "$err2"
cmp -s "$err" "$err2" || { fail "pattern with swap: counters differ between two runs";
			   diff "$err" "$err2"; }

# The same without swap: OOM-killed.
"$mmemu" run -m 16M "$prog" pattern 48 > "$out" 2> "$err"; st=$?
[ $st = 137 ] || fail "pattern without swap: exit $st, not 137"
grep -Eq "^mmemu: Out of memory: Killed process 1 \(reclaim\) total-vm:[0-9]+kB, anon-rss:[0-9]+kB, file-rss:[0-9]+kB, shmem-rss:0kB, UID:[0-9]+ pgtables:[0-9]+kB oom_score_adj:0$" "$err" ||
	fail "pattern without swap: no OOM message"

# File pages go before hot anonymous pages.
head -c 48M /dev/zero | tr '\0' 'x' > "$scan"
"$mmemu" run -m 32M --swap 64M "$prog" filescan "$scan" 8 > "$out" 2> "$err"; st=$?
[ $st = 0 ] || fail "filescan: exit $st"
grep -q "^filescan: read 48 MiB twice, hot set faults 0," "$out" || fail "filescan: hot set faulted"
[ "$(counter pgsteal_file "$err")" -gt 10000 ] 2>/dev/null || fail "filescan: file pages not reclaimed"
[ "$(counter pswpout "$err")" = 0 ] || fail "filescan: anonymous pages were swapped"

# A hot set that fits stays while a stream passes.
"$mmemu" run -m 32M --swap 128M "$prog" workingset 8 64 > "$out" 2> "$err"; st=$?
[ $st = 0 ] || fail "workingset: exit $st"
hot=$(sed -n 's/.*hot set major faults \([0-9]*\)$/\1/p' "$out")
# 2048 hot pages touched 64 times: fewer than 2 % of those touches may fault.
[ -n "$hot" ] && [ "$hot" -lt 2621 ] || fail "workingset: hot set faulted $hot times"
[ "$(counter pswpout "$err")" -gt 8192 ] 2>/dev/null || fail "workingset: the stream did not go to swap"

# zswap in front of the swap area.
"$mmemu" run -m 16M --swap 64M --zswap "$prog" pattern 48 > "$out" 2> "$err"; st=$?
[ $st = 0 ] || fail "zswap: exit $st"
grep -qx "pattern: 48 MiB intact" "$out" || fail "zswap: data not intact"
[ "$(kb Zswapped "$err")" -gt 0 ] 2>/dev/null || fail "zswap: nothing stored compressed"
[ "$(counter pswpout "$err")" -lt "$(counter pgsteal_anon "$err")" ] 2>/dev/null ||
	fail "zswap: every reclaimed page still went to the swap area"

# A swap file on the host.
"$mmemu" run -m 16M --swap "64M,file=$scan" "$prog" pattern 32 > "$out" 2> "$err"; st=$?
[ $st = 0 ] || fail "swap file: exit $st"
grep -qx "pattern: 32 MiB intact" "$out" || fail "swap file: data not intact"
[ "$(counter pswpin "$err")" -gt 0 ] 2>/dev/null || fail "swap file: pswpin not > 0"
[ "$(stat -c %s "$scan")" = 67108864 ] || fail "swap file: not 64 MiB"

# Swap settings that cannot work.
for bad in "--swap 0" "--swap 64Q" "--swap 64M,file=/nonexistent-dir/swap" "--zswap" \
	   "--swap 64M,fil=x"; do
	# shellcheck disable=SC2086
	"$mmemu" run -m 16M $bad "$guests/hello" > "$out" 2> "$err"; st=$?
	[ $st = 2 ] || fail "'$bad': exit $st, not 2"
	grep -q . "$err" || fail "'$bad': no error message"
done

[ $fails = 0 ] && echo "reclaim: all passed"
exit $fails
