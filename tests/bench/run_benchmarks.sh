#!/bin/sh
# End-to-end benchmarks of `mmemu run` on whole guest programs, each next to references
# measured in the same run:
#
#   1. guest MIPS on CPU-bound guests (bench_sha256, bench_qsort, bench_fp) with the full
#      segmentation + paging + TLB path, against the same static binary run natively and
#      under qemu-x86_64 / qemu-i386 (Debian's qemu-user, installed here if missing and we
#      are root); every run's output must equal the native run's;
#   2. anonymous page faults per second (touch_pages) against the same program natively,
#      for frames the host has never committed and for frames the kernel recycles, plus the
#      kernel side alone (build/tests/bench_fault, if built);
#   3. start-up: the whole run of hello, which does next to nothing, so that its time is
#      start-up and exit, against hello natively and under qemu-x86_64.
#
# It builds nothing: it expects a built tree (cmake --build BUILD; for the kernel-side
# figure also cmake --build BUILD --target bench_fault).
#
#   tests/bench/run_benchmarks.sh [--quick] [BUILD]     (BUILD defaults to ./build)
#
# Times are CPU time (user + system) of the measured process, from `perf stat -e task-clock`
# when perf works, else from GNU time: on a shared machine they move far less than wall time.
# Instruction counts come from mmemu's --stats=json; they equal the native run's count to
# within 0.01 % (checked with valgrind --tool=callgrind), so every column's MIPS divides the
# same count by that column's time. RUNS (default 3) runs of native and qemu, MMEMU_RUNS
# (default 1) of mmemu; each keeps its fastest. The start-up row takes the fastest of
# STARTUP_RUNS (default 20) runs of each.
set -u
quick=0
if [ "${1:-}" = "--quick" ]; then
	quick=1
	shift
fi
build=${1:-build}
mmemu=$build/mmemu
guests=$build/guests
runs=${RUNS:-3}
mmemu_runs=${MMEMU_RUNS:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

die() {
	echo "run_benchmarks: $*" >&2
	exit 2
}

[ -x "$mmemu" ] || die "$mmemu not found: build the tree first (cmake --build $build)"
for g in bench_sha256 bench_sha256-i386 bench_qsort bench_fp touch_pages hello; do
	[ -x "$guests/$g" ] || die "$guests/$g not found: build the tree first"
done

# qemu-user is a reference, not a dependency: install it when we can, else leave it out.
if ! command -v qemu-x86_64 >/dev/null 2>&1 && [ "$(id -u)" = 0 ] &&
	command -v apt-get >/dev/null 2>&1; then
	echo "installing qemu-user (the reference emulator) ..." >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user \
		>/dev/null 2>&1 || echo "run_benchmarks: qemu-user not installed" >&2
fi

use_perf=0
if command -v perf >/dev/null 2>&1 && perf stat -x, -e task-clock -o "$tmp/p" true 2>/dev/null &&
	grep -q task-clock "$tmp/p"; then
	use_perf=1
fi

# cpu_time CMD...: runs CMD (stdout to $tmp/out, stderr to $tmp/err), prints its CPU
# seconds with $digits decimals; the command's exit status is left in $tmp/rc.
digits=4
cpu_time() {
	if [ "$use_perf" = 1 ]; then
		perf stat -x, -e task-clock -o "$tmp/perf" "$@" >"$tmp/out" 2>"$tmp/err"
		echo $? >"$tmp/rc"
		awk -F, -v d="$digits" '/task-clock/ { printf "%.*f\n", d, $1 / 1000 }' "$tmp/perf"
	else
		/usr/bin/time -f "%U %S" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err"
		echo $? >"$tmp/rc"
		awk -v d="$digits" '{ printf "%.*f\n", d, $1 + $2 }' "$tmp/time"
	fi
}

# best_time N OUTFILE CMD...: the fastest of N runs; OUTFILE gets the last run's stdout,
# OUTFILE.err its stderr. Prints "-" if any run failed.
best_time() {
	n=$1 keep=$2
	shift 2
	best=
	for _ in $(seq "$n"); do
		t=$(cpu_time "$@")
		if [ "$(cat "$tmp/rc")" != 0 ]; then
			best=-
			break
		fi
		best=$(awk -v a="$t" -v b="${best:-$t}" 'BEGIN { print (a < b ? a : b) }')
	done
	cp "$tmp/out" "$keep"
	cp "$tmp/err" "$keep.err"
	echo "$best"
}

mips() { # instructions seconds
	awk -v i="$1" -v s="$2" 'BEGIN { if (s == "-" || s <= 0) print "-"; else printf "%.0f", i / s / 1e6 }'
}

ratio() { # a b: a / b
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "-"; else printf "%.1f", a / b }'
}

json_counter() { # name file
	grep -o "\"$1\": [0-9]*" "$2" | head -1 | awk '{ print $2 }'
}

# Checks that $2 (a run's stdout) equals the native run's ($1); records a mismatch.
same_output() {
	if ! cmp -s "$1" "$2"; then
		echo "MISMATCH: $3 output differs from the native run" >&2
		diff "$1" "$2" | head -5 >&2
		status=1
		return 1
	fi
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs;" \
	"load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "times: CPU seconds ($([ "$use_perf" = 1 ] && echo 'perf stat task-clock' || echo 'GNU time user+sys')), best of $runs (mmemu: $mmemu_runs)"
echo

# --- 1. CPU-bound guests ----------------------------------------------------------------
if [ "$quick" = 1 ]; then
	sha=1024 qs=50000 sse=2 x87=1000
else
	# the floating-point runs long enough (mmemu: about half a second or more) that the
	# start-up (~11 ms) and the host's noise stay small beside them
	sha=16384 qs=1000000 sse=200 x87=100000
fi
printf '%-22s %14s %9s %9s %9s %8s %8s %8s %9s %9s\n' guest instructions "native s" "qemu s" \
	"mmemu s" "native" "qemu" "mmemu" "native/" "qemu/"
printf '%-22s %14s %9s %9s %9s %8s %8s %8s %9s %9s\n' "" "" "" "" "" MIPS MIPS MIPS mmemu mmemu
cpu_row() { # label qemu-binary guest args...
	label=$1 qemu=$2
	shift 2
	prog=$guests/$1
	shift
	tn=$(best_time "$runs" "$tmp/native" setarch -R env -i A=1 "$prog" "$@")
	tm=$(best_time "$mmemu_runs" "$tmp/mmemu" env -i A=1 "$mmemu" run --stats=json "$prog" "$@")
	same_output "$tmp/native" "$tmp/mmemu" "mmemu $label"
	insns=$(json_counter instructions "$tmp/mmemu.err")
	tq=-
	if command -v "$qemu" >/dev/null 2>&1; then
		tq=$(best_time "$runs" "$tmp/qemu" env -i A=1 "$qemu" "$prog" "$@")
		same_output "$tmp/native" "$tmp/qemu" "$qemu $label" || tq=-
	fi
	mn=$(mips "$insns" "$tn") mq=$(mips "$insns" "$tq") mm=$(mips "$insns" "$tm")
	printf '%-22s %14s %9s %9s %9s %8s %8s %8s %8sx %8sx\n' "$label" "$insns" "$tn" "$tq" "$tm" \
		"$mn" "$mq" "$mm" "$(ratio "$tm" "$tn")" "$(ratio "$tm" "$tq")"
}
cpu_row "sha256 $sha KiB" qemu-x86_64 bench_sha256 "$sha"
cpu_row "sha256 $sha KiB i386" qemu-i386 bench_sha256-i386 "$sha"
cpu_row "qsort $qs ints" qemu-x86_64 bench_qsort "$qs"
cpu_row "fp sse matmul x$sse" qemu-x86_64 bench_fp sse "$sse"
cpu_row "fp x87 n-body $x87" qemu-x86_64 bench_fp x87 "$x87"
echo

# --- 2. Anonymous page faults -------------------------------------------------------------
# Marginal rates, so that start-up and exit cancel out: first touch = the faults and time a
# big mapping adds over a 1 MiB one (every frame new to the host too); recycled = what
# rounds 2..R add over round 1 (the kernel hands out frames it freed, already committed).
if [ "$quick" = 1 ]; then
	mib=32 rounds=3
else
	mib=256 rounds=5
fi
mem="-m 1G"
fault_runs() { # tag, then touch_pages arguments: sets ${tag}_nt/_nf (native), _mt/_mf (mmemu)
	tag=$1
	shift
	t=$(best_time "$runs" "$tmp/native" setarch -R env -i A=1 "$guests/touch_pages" "$@")
	f=$(awk '/minflt/ { print $2 }' "$tmp/native.err")
	eval "${tag}_nt=\$t ${tag}_nf=\$f"
	# shellcheck disable=SC2086
	t=$(best_time "$runs" "$tmp/mmemu" env -i A=1 "$mmemu" run $mem --stats=json "$guests/touch_pages" "$@")
	same_output "$tmp/native" "$tmp/mmemu" "mmemu touch_pages $*"
	f=$(json_counter pgfault "$tmp/mmemu.err")
	eval "${tag}_mt=\$t ${tag}_mf=\$f"
}
fault_runs small 1 1
fault_runs one "$mib" 1
fault_runs many "$mib" "$rounds"
rate() { # faults1 time1 faults2 time2: marginal faults per second, in millions
	awk -v f1="$1" -v t1="$2" -v f2="$3" -v t2="$4" 'BEGIN {
		if (t1 == "-" || t2 == "-" || t2 <= t1) print "-"; else printf "%.2f", (f2 - f1) / (t2 - t1) / 1e6 }'
}
nsper() { # faults1 time1 faults2 time2: marginal ns per fault
	awk -v f1="$1" -v t1="$2" -v f2="$3" -v t2="$4" 'BEGIN {
		if (t1 == "-" || t2 == "-" || f2 <= f1) print "-"; else printf "%.0f", (t2 - t1) / (f2 - f1) * 1e9 }'
}
echo "touch_pages: anonymous write faults, marginal rates (mmemu $mem)"
printf '%-44s %10s %10s %10s %10s %9s\n' case "native ns" "mmemu ns" "native M/s" "mmemu M/s" "mmemu/nat"
fault_row() { # label, native f1 t1 f2 t2, mmemu f1 t1 f2 t2
	nn=$(nsper "$2" "$3" "$4" "$5") mn=$(nsper "$6" "$7" "$8" "$9")
	printf '%-44s %10s %10s %10s %10s %8sx\n' "$1" "$nn" "$mn" "$(rate "$2" "$3" "$4" "$5")" \
		"$(rate "$6" "$7" "$8" "$9")" "$(ratio "$mn" "$nn")"
}
fault_row "first touch ($mib MiB over 1 MiB)" "$small_nf" "$small_nt" "$one_nf" "$one_nt" \
	"$small_mf" "$small_mt" "$one_mf" "$one_mt"
fault_row "recycled frames (rounds 2..$rounds of $mib MiB)" "$one_nf" "$one_nt" "$many_nf" "$many_nt" \
	"$one_mf" "$one_mt" "$many_mf" "$many_mt"
printf '%-44s %10s %10s\n' "whole run, $mib MiB x $rounds (CPU s)" "$many_nt" "$many_mt"
echo

if [ -x "$build/tests/bench_fault" ]; then
	echo "kernel side alone (tests/bench/bench_fault.c):"
	"$build/tests/bench_fault" $([ "$quick" = 1 ] && echo 6)
else
	echo "kernel side: build/tests/bench_fault not built (cmake --build $build --target bench_fault)"
fi
echo

# --- 3. Start-up --------------------------------------------------------------------------
# hello runs about 11000 instructions: its time is start-up and exit (for mmemu: loading
# mmemu, the machine's RAM and the kernel's boot, exec, the first blocks decoded, and the
# teardown). Microseconds, hence the fastest of many runs (docs/performance.md, "Start-up").
# All three columns run under the same `env -i A=1` (its own exec counted in each; no
# setarch here, which would cost the native column more than hello itself).
su_runs=${STARTUP_RUNS:-20}
digits=6
ms() { # seconds -> milliseconds
	awk -v s="$1" 'BEGIN { if (s == "-") print "-"; else printf "%.2f", s * 1000 }'
}
echo "start-up: a whole run of hello, CPU ms, fastest of $su_runs runs each"
printf '%-22s %10s %10s %10s %10s %10s
' guest "native ms" "qemu ms" "mmemu ms" "mmemu/nat" \
	"mmemu/qemu"
startup_row() { # label qemu-binary guest
	prog=$guests/$3
	tn=$(best_time "$su_runs" "$tmp/native" env -i A=1 "$prog")
	tm=$(best_time "$su_runs" "$tmp/mmemu" env -i A=1 "$mmemu" run "$prog")
	same_output "$tmp/native" "$tmp/mmemu" "mmemu $1"
	tq=-
	if command -v "$2" >/dev/null 2>&1; then
		tq=$(best_time "$su_runs" "$tmp/qemu" env -i A=1 "$2" "$prog")
		same_output "$tmp/native" "$tmp/qemu" "$2 $1" || tq=-
	fi
	printf '%-22s %10s %10s %10s %9sx %9sx\n' "$1" "$(ms "$tn")" "$(ms "$tq")" "$(ms "$tm")" \
		"$(ratio "$tm" "$tn")" "$(ratio "$tm" "$tq")"
}
startup_row hello qemu-x86_64 hello
digits=4
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
