#!/bin/sh
# mmemu run --screenshot / --view from the command line: the run's output and counters are
# the same with a screenshot as without, the file is a PNG of the viewer's size, and bad
# requests (no display for --view, an unwritable path, --screenshot-at alone) fail cleanly.
mmemu=${1:-$MMEMU}
guests=${MMEMU_BUILD:-build}/guests
pass=0
fails=0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

check() { # description, then a command that must succeed
	what=$1; shift
	if "$@"; then pass=$((pass + 1)); else echo "FAIL: $what"; fails=$((fails + 1)); fi
}

# The same run with and without a screenshot: stdout, status and --stats=json equal.
env -i A=1 "$mmemu" run --stats=json "$guests/brk_malloc" >"$dir/out1" 2>"$dir/err1"; s1=$?
env -i A=1 "$mmemu" run --stats=json --screenshot "$dir/end.png" "$guests/brk_malloc" \
	>"$dir/out2" 2>"$dir/err2"; s2=$?
check "status with --screenshot ($s2) = without ($s1)" [ "$s1" = "$s2" ]
check "stdout with --screenshot = without" cmp -s "$dir/out1" "$dir/out2"
check "--stats=json with --screenshot = without" cmp -s "$dir/err1" "$dir/err2"
# PNG signature, then IHDR with the viewer's default size 1360 x 860.
check "end.png is a PNG" sh -c "head -c 8 '$dir/end.png' | od -An -tx1 | tr -d ' \n' | grep -qx 89504e470d0a1a0a"
check "end.png is 1360x860" sh -c "od -An -tu1 -j16 -N8 '$dir/end.png' | tr -s ' ' | grep -q '^ 0 0 5 80 0 0 3 92$'"

env -i A=1 "$mmemu" run --screenshot "$dir/mid.png" --screenshot-at 2000 "$guests/hello" >/dev/null 2>&1
check "--screenshot-at writes a PNG" test -s "$dir/mid.png"
check "a mid-run picture differs from the end" sh -c "! cmp -s '$dir/mid.png' '$dir/end.png'"

env -i A=1 "$mmemu" run --screenshot /nonexistent-dir/x.png "$guests/hello" >/dev/null 2>"$dir/err"; s=$?
check "unwritable --screenshot path: status 2 (got $s)" [ "$s" = 2 ]
check "unwritable --screenshot path: one mmemu: line" grep -q "^mmemu: --screenshot: /nonexistent-dir/x.png" "$dir/err"

"$mmemu" run --screenshot-at 10 "$guests/hello" >/dev/null 2>"$dir/err"; s=$?
check "--screenshot-at alone: status 2" [ "$s" = 2 ]

env -i A=1 "$mmemu" run --view "$guests/hello" >/dev/null 2>"$dir/err"; s=$?
check "--view without a display: status 2 (got $s)" [ "$s" = 2 ]
check "--view without a display: says so" grep -q "no display" "$dir/err"

echo "viewer: $pass passed, $fails failed"
[ "$fails" = 0 ]
