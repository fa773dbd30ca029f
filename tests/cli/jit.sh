#!/bin/sh
# Host code for blocks (cpu/jit.c) changes nothing but speed: every guest run with and
# without it (--no-jit) prints the same output, exits with the same status, and leaves
# the same --stats=json (instructions, faults, allocator, every TLB array and level).
mmemu=${1:-$MMEMU}
guests=${MMEMU_BUILD:-build}/guests
pass=0
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

compare() { # name, then arguments
	name=$1; shift
	prog=$guests/$name
	[ -x "$prog" ] || { echo "FAIL: $prog missing"; fails=$((fails + 1)); return; }
	env -i A=1 "$mmemu" run --stats=json "$prog" "$@" > "$tmp/out" 2>"$tmp/err"; got=$?
	env -i A=1 "$mmemu" run --no-jit --stats=json "$prog" "$@" > "$tmp/out0" 2>"$tmp/err0"
	want=$?
	if [ "$got" != "$want" ] || ! cmp -s "$tmp/out" "$tmp/out0" || ! cmp -s "$tmp/err" "$tmp/err0"; then
		echo "FAIL: $name $*: exit $got (--no-jit $want)"
		diff "$tmp/out0" "$tmp/out" | head -5
		diff "$tmp/err0" "$tmp/err" | head -5
		fails=$((fails + 1))
	else
		pass=$((pass + 1))
	fi
}

for flavour in "" -musl -i386; do
	compare hello$flavour one two
	compare brk_malloc$flavour
	compare guard_segv$flavour
	compare sig_fpu$flavour
	compare debug_traps$flavour
	compare stack_grow$flavour
	compare hot_pages$flavour 100
	compare bench_sha256$flavour 64
	compare bench_qsort$flavour 5000
	compare bench_fp$flavour sse 2 24
	compare bench_fp$flavour x87 200
done
compare hello_asm64
compare hello_asm32

# The option itself: a run with it is a run.
if ! "$mmemu" run --no-jit "$guests/hello" x | grep -q 'hello'; then
	echo "FAIL: run --no-jit hello"
	fails=$((fails + 1))
fi

echo "jit: $pass runs equal with and without host code, $fails failed"
[ "$fails" -eq 0 ]
