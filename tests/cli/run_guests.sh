#!/bin/sh
# Every guest program runs under mmemu and natively (ASLR off, the same environment and
# arguments): standard output and exit status must be the same. self_maps prints its own
# /proc/self/maps, so for it the whole address-space layout must be the same. mmemu runs
# with --check: after each guest every frame must be back and the kernel's lists consistent.
mmemu=${1:-$MMEMU}
guests=${MMEMU_BUILD:-build}/guests
pass=0
fails=0
out_native=$(mktemp) out_mmemu=$(mktemp) err_mmemu=$(mktemp)
trap 'rm -f "$out_native" "$out_mmemu" "$err_mmemu"' EXIT

compare() { # name, then arguments
	name=$1; shift
	prog=$guests/$name
	[ -x "$prog" ] || { echo "FAIL: $prog missing"; fails=$((fails + 1)); return; }
	setarch -R env -i A=1 "$prog" "$@" > "$out_native" 2>/dev/null; want=$?
	env -i A=1 "$mmemu" run --check --timeout 60 "$prog" "$@" > "$out_mmemu" 2>"$err_mmemu"; got=$?
	if [ "$got" != "$want" ] || ! cmp -s "$out_native" "$out_mmemu"; then
		echo "FAIL: $name $*: exit $got (native $want)"
		diff "$out_native" "$out_mmemu" | head -10
		head -5 "$err_mmemu"
		fails=$((fails + 1))
	else
		pass=$((pass + 1))
	fi
}

compare hello_asm64
compare hello_asm32
for flavour in "" -musl -i386; do
	compare hello$flavour one two
	compare brk_malloc$flavour
	compare mmap_patterns$flavour
	compare guard_segv$flavour
	compare tls$flavour
	# FPU/SSE state saved in the signal frame and restored by sigreturn; a frame with a bad
	# MXCSR ends in SIGSEGV.
	compare sig_fpu$flavour
	compare sig_fpu$flavour bad
	compare sleep_clock$flavour
	# Single-step traps (TF), alignment checks (AC) and MOV DR at CPL 3, signal by signal.
	compare debug_traps$flavour
	compare statfs_info$flavour
	compare stack_grow$flavour
	compare touch_pages$flavour 16
	compare touch_pages$flavour 4 3
	compare hot_pages$flavour 100
	# The benchmark guests at small sizes (tests/bench/run_benchmarks.sh runs them full size).
	compare bench_sha256$flavour 16
	compare bench_qsort$flavour 2000
	compare bench_fp$flavour sse 2 24
	compare bench_fp$flavour x87 100
done
compare hello-pie x
compare self_maps
compare self_maps-i386
compare self_maps-musl

# Page faults: the guest's own getrusage counts, natively and under mmemu, must agree within
# 10 % (or 3 faults): the faults of the touch loop, and all of the process's faults.
within() { # a b: |a - b| <= max(3, b / 10)
	d=$(( $1 > $2 ? $1 - $2 : $2 - $1 )); tol=$(( $2 / 10 > 3 ? $2 / 10 : 3 ))
	[ "$d" -le "$tol" ]
}
for flavour in "" -musl -i386; do
	prog=$guests/touch_pages$flavour
	setarch -R env -i A=1 "$prog" 16 2>"$out_native" >/dev/null
	env -i A=1 "$mmemu" run "$prog" 16 2>"$out_mmemu" >/dev/null
	for what in minflt total; do
		n=$(grep "^$what" "$out_native" | grep -o '[0-9]*' | head -1)
		m=$(grep "^$what" "$out_mmemu" | grep -o '[0-9]*' | head -1)
		if [ -n "$n" ] && [ -n "$m" ] && within "$m" "$n"; then
			pass=$((pass + 1))
		else
			echo "FAIL: touch_pages$flavour $what faults: mmemu '$m', native '$n'"
			fails=$((fails + 1))
		fi
	done
done

echo "$pass passed, $fails failed"
[ "$fails" = 0 ]
