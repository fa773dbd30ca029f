#!/bin/sh
# mmemu run --screenshot / --view and mmemu view from the command line: the run's output,
# counters and trace are the same with a screenshot as without, the file is a PNG of the
# viewer's size, and bad requests (no display, an unwritable path, --screenshot-at alone,
# unreadable traces) fail cleanly with one line.
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

# The trace of a run is byte for byte the same with a screenshot as without.
env -i A=1 "$mmemu" run --trace "$dir/t1.trc" "$guests/touch_pages" 2 >/dev/null 2>&1
env -i A=1 "$mmemu" run --trace "$dir/t2.trc" --screenshot "$dir/t2.png" --screenshot-at 20000 \
	"$guests/touch_pages" 2 >/dev/null 2>&1
check "trace with --screenshot = without" cmp -s "$dir/t1.trc" "$dir/t2.trc"

# mmemu view: a PNG at the end and at an event, headless.
env -i "$mmemu" view --screenshot "$dir/v-end.png" "$dir/t1.trc" 2>"$dir/err"; s=$?
check "view --screenshot: status 0 (got $s)" [ "$s" = 0 ]
check "view --screenshot is 1360x860" sh -c "od -An -tu1 -j16 -N8 '$dir/v-end.png' | tr -s ' ' | grep -q '^ 0 0 5 80 0 0 3 92$'"
env -i "$mmemu" view --screenshot "$dir/v-mid.png" --at 5000 "$dir/t1.trc" 2>"$dir/err"; s=$?
check "view --at 5000: status 0 (got $s)" [ "$s" = 0 ]
check "view: a picture at 5000 differs from the end" sh -c "! cmp -s '$dir/v-mid.png' '$dir/v-end.png'"
env -i "$mmemu" view --screenshot "$dir/x.png" --at 999999999 "$dir/t1.trc" 2>"$dir/err"; s=$?
check "view --at beyond the trace: status 2 (got $s)" [ "$s" = 2 ]
check "view --at beyond the trace: says how many events" grep -q "^mmemu: view: --at 999999999: the trace has [0-9]* events$" "$dir/err"
"$mmemu" view --at 5 "$dir/t1.trc" 2>"$dir/err"; s=$?
check "view --at without --screenshot: status 2 (got $s)" [ "$s" = 2 ]

env -i "$mmemu" view --screenshot "$dir/x.png" --heat 0 "$dir/t1.trc" 2>"$dir/err"; s=$?
check "view --heat 0: status 2 (got $s)" [ "$s" = 2 ]
check "view --heat 0: one line" [ "$(wc -l <"$dir/err")" = 1 ]
env -i "$mmemu" view --screenshot "$dir/x.png" --heat x "$dir/t1.trc" 2>"$dir/err"; s=$?
check "view --heat x: status 2 (got $s)" [ "$s" = 2 ]
check "view --heat x: one line" [ "$(wc -l <"$dir/err")" = 1 ]
env -i "$mmemu" view --screenshot "$dir/v-heat.png" --heat 100 --at 5000 "$dir/t1.trc" 2>"$dir/err"; s=$?
check "view --heat 100: status 0 (got $s)" [ "$s" = 0 ]
check "view: a shorter heat window changes the picture" sh -c "! cmp -s '$dir/v-heat.png' '$dir/v-mid.png'"

# Unreadable traces: one line naming the file and the reason, status 1, no picture.
echo "not a trace" >"$dir/text.trc"
env -i "$mmemu" view --screenshot "$dir/bad.png" "$dir/text.trc" 2>"$dir/err"; s=$?
check "view of a text file: status 1 (got $s)" [ "$s" = 1 ]
check "view of a text file: says it is not a trace" grep -q "^mmemu: view: $dir/text.trc: not an mmemu trace" "$dir/err"
env -i "$mmemu" view --screenshot "$dir/bad.png" "$dir/missing.trc" 2>"$dir/err"; s=$?
check "view of a missing file: status 1 (got $s)" [ "$s" = 1 ]
check "view of a missing file: says so" grep -q "^mmemu: view: $dir/missing.trc: No such file" "$dir/err"
head -c 3000 "$dir/t1.trc" >"$dir/cut.trc"
env -i "$mmemu" view --screenshot "$dir/bad.png" "$dir/cut.trc" 2>"$dir/err"; s=$?
check "view of a cut trace: status 1 (got $s)" [ "$s" = 1 ]
check "view of a cut trace: says truncated" grep -q "^mmemu: view: $dir/cut.trc: trace truncated" "$dir/err"
check "view of bad traces: no picture" test ! -e "$dir/bad.png"
check "view errors: one line each" [ "$(wc -l <"$dir/err")" = 1 ]

env -i "$mmemu" view "$dir/t1.trc" >/dev/null 2>"$dir/err"; s=$?
check "view without a display: status 2 (got $s)" [ "$s" = 2 ]
check "view without a display: says so" grep -q "no display" "$dir/err"

echo "viewer: $pass passed, $fails failed"
[ "$fails" = 0 ]
