#!/bin/sh
# mmemu info: prints the /proc files of a booted machine; impossible settings give a
# one-line error and exit status 2.
mmemu=${1:-$MMEMU}
fails=0
pass=0

check() { # description, then the command's expected status, then the command
	desc=$1; want=$2; shift 2
	out=$("$@" 2>/tmp/mmemu-cli-err.$$); got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: $desc: exit $got, expected $want"; fails=$((fails + 1)); return 1
	fi
	pass=$((pass + 1)); return 0
}

check_error() { # description, then the command: status 2 and exactly one line on stderr
	desc=$1; shift
	check "$desc" 2 "$@" || return
	lines=$(wc -l < /tmp/mmemu-cli-err.$$)
	if [ "$lines" != 1 ] || ! grep -q '^mmemu: ' /tmp/mmemu-cli-err.$$; then
		echo "FAIL: $desc: expected one 'mmemu: ...' line on stderr, got:"
		cat /tmp/mmemu-cli-err.$$; fails=$((fails + 1)); pass=$((pass - 1))
	fi
}

check "default machine boots" 0 "$mmemu" info
echo "$out" | grep -q '^==> /proc/buddyinfo <==' || { echo "FAIL: no buddyinfo"; fails=$((fails+1)); }
check "meminfo of 1G" 0 "$mmemu" info -m 1G --file meminfo
total=$(echo "$out" | awk '/^MemTotal:/ {print $2}')
[ "$total" -gt 1000000 ] && [ "$total" -lt 1048576 ] || { echo "FAIL: MemTotal $total for 1G"; fails=$((fails+1)); }
check "two NUMA nodes" 0 "$mmemu" info -m 2G -smp 2 -numa node,mem=1G,cpus=0 \
	-numa node,mem=1G,cpus=1 -numa dist,src=0,dst=1,val=21 --file buddyinfo
[ "$(echo "$out" | grep -c '^Node 1,')" -ge 1 ] || { echo "FAIL: node 1 missing"; fails=$((fails+1)); }
check "i386 layout has HighMem" 0 "$mmemu" info --arch i386 -m 2G --file zoneinfo
echo "$out" | grep -q '^Node 0, zone  HighMem' || { echo "FAIL: no HighMem zone"; fails=$((fails+1)); }
check "movablecore" 0 "$mmemu" info -m 6G --movablecore 1G --file buddyinfo
echo "$out" | grep -q 'zone  Movable' || { echo "FAIL: no Movable zone"; fails=$((fails+1)); }
check "help" 0 "$mmemu" info --help
check "tlb geometry" 0 "$mmemu" info --tlb l2=1536:12 --file tlb
echo "$out" | grep -q '^l2 *1536 *12 *128$' || { echo "FAIL: --tlb l2=1536:12 not applied: $out"; fails=$((fails+1)); }
check "dmesg" 0 "$mmemu" info --file dmesg
echo "$out" | grep -q 'Zone ranges:' || { echo "FAIL: no boot log"; fails=$((fails+1)); }

check_error "unknown command" "$mmemu" frobnicate
check_error "unknown option" "$mmemu" info --bogus
check_error "bad size" "$mmemu" info -m 12Q
check_error "too little memory" "$mmemu" info -m 4M
check_error "nodes do not add up" "$mmemu" info -m 3G -numa node,mem=1G -numa node,mem=1G
check_error "bad numa key" "$mmemu" info -numa node,mem=1G,colour=red
check_error "numa without mem" "$mmemu" info -numa node,cpus=0
check_error "cpus beyond -smp" "$mmemu" info -smp 2 -numa node,mem=1G,cpus=0-3
check_error "bad distance" "$mmemu" info -numa node,mem=512M -numa node,mem=512M -numa dist,src=0,dst=1,val=5
check_error "missing argument" "$mmemu" info -m
check_error "unknown proc file" "$mmemu" info --file nosuchfile
check_error "bad arch" "$mmemu" info --arch sparc
check_error "bad tlb array" "$mmemu" info --tlb l3=64
check_error "bad tlb ways" "$mmemu" info --tlb l2=1536:7

rm -f /tmp/mmemu-cli-err.$$
echo "$pass passed, $fails failed"
[ "$fails" = 0 ]
