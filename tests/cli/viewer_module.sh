#!/bin/sh
# The viewer as a module (emu/load_viewer.h): mmemu itself needs neither the module nor
# SDL2 to run a program; a command that needs the viewer without a module to load says so
# in one line with status 2; the module is looked for next to the executable first, and
# MMEMU_VIEWER_MODULE names another one.
mmemu=${1:-$MMEMU}
build=$(dirname "$mmemu")
guests=${MMEMU_BUILD:-build}/guests
pass=0
fails=0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

check() { # description, then a command that must succeed
	what=$1; shift
	if "$@"; then pass=$((pass + 1)); else echo "FAIL: $what"; fails=$((fails + 1)); fi
}

# The executable does not link SDL2 or SDL2_ttf; the module does.
readelf -d "$mmemu" >"$dir/dyn" 2>&1
check "readelf reads mmemu" grep -q NEEDED "$dir/dyn"
check "mmemu does not link SDL2 or SDL2_ttf" sh -c "! grep -q 'libSDL2' '$dir/dyn'"
readelf -d "$build/mmemu-viewer.so" >"$dir/dyn" 2>&1
check "mmemu-viewer.so links SDL2" grep -q "NEEDED.*libSDL2-2" "$dir/dyn"
check "mmemu-viewer.so links SDL2_ttf" grep -q "NEEDED.*libSDL2_ttf" "$dir/dyn"

env -i A=1 "$mmemu" run --trace "$dir/t.trc" "$guests/hello" >/dev/null 2>&1
env -i A=1 "$mmemu" run --screenshot "$dir/ref.png" "$guests/hello" >/dev/null 2>&1
check "the build's own module draws a screenshot" test -s "$dir/ref.png"

# A copy of the executable alone, with no module where MMEMU_VIEWER_MODULE points.
mkdir "$dir/bin"
cp "$mmemu" "$dir/bin/mmemu"
none=$dir/none/mmemu-viewer.so
env -i A=1 MMEMU_VIEWER_MODULE="$none" "$dir/bin/mmemu" run --stats=json "$guests/hello" \
	>"$dir/out" 2>"$dir/err"; s=$?
# (the same environment: the guest sees it)
env -i A=1 MMEMU_VIEWER_MODULE="$none" "$mmemu" run --stats=json "$guests/hello" >"$dir/out0" \
	2>"$dir/err0"
check "run without the module: status 0 (got $s)" [ "$s" = 0 ]
check "run without the module: the same output" cmp -s "$dir/out" "$dir/out0"
check "run without the module: the same --stats=json" cmp -s "$dir/err" "$dir/err0"
env -i MMEMU_VIEWER_MODULE="$none" "$dir/bin/mmemu" info >/dev/null 2>&1; s=$?
check "info without the module: status 0 (got $s)" [ "$s" = 0 ]
env -i MMEMU_VIEWER_MODULE="$none" "$dir/bin/mmemu" view --help >/dev/null 2>&1; s=$?
check "view --help without the module: status 0 (got $s)" [ "$s" = 0 ]

env -i A=1 MMEMU_VIEWER_MODULE="$none" "$dir/bin/mmemu" run --screenshot "$dir/x.png" \
	"$guests/hello" >/dev/null 2>"$dir/err"; s=$?
check "run --screenshot without the module: status 2 (got $s)" [ "$s" = 2 ]
check "run --screenshot without the module: says it cannot load it" \
	grep -q "^mmemu: run: cannot load the viewer module: $none" "$dir/err"
check "run --screenshot without the module: one line" [ "$(wc -l <"$dir/err")" = 1 ]
check "run --screenshot without the module: no picture" test ! -e "$dir/x.png"
env -i MMEMU_VIEWER_MODULE="$none" "$dir/bin/mmemu" view --screenshot "$dir/x.png" "$dir/t.trc" \
	2>"$dir/err"; s=$?
check "view without the module: status 2 (got $s)" [ "$s" = 2 ]
check "view without the module: says it cannot load it" \
	grep -q "^mmemu: view: cannot load the viewer module: $none" "$dir/err"
check "view without the module: one line" [ "$(wc -l <"$dir/err")" = 1 ]

# Next to the executable comes first: a file there that is no library is reported by name.
echo "not a library" >"$dir/bin/mmemu-viewer.so"
env -i "$dir/bin/mmemu" view --screenshot "$dir/x.png" "$dir/t.trc" 2>"$dir/err"; s=$?
check "a broken module next to mmemu: status 2 (got $s)" [ "$s" = 2 ]
check "a broken module next to mmemu: named in the message" \
	grep -q "^mmemu: view: cannot load the viewer module: $dir/bin/mmemu-viewer.so" "$dir/err"
check "a broken module next to mmemu: no picture" test ! -e "$dir/x.png"

# The real module next to the copy: the same picture as the build's.
cp "$build/mmemu-viewer.so" "$dir/bin/mmemu-viewer.so"
env -i A=1 "$dir/bin/mmemu" run --screenshot "$dir/copy.png" "$guests/hello" >/dev/null 2>&1; s=$?
check "the module next to a copy of mmemu: status 0 (got $s)" [ "$s" = 0 ]
check "the module next to a copy of mmemu: the same picture" cmp -s "$dir/ref.png" "$dir/copy.png"
# ... and MMEMU_VIEWER_MODULE wins over it.
env -i A=1 MMEMU_VIEWER_MODULE="$none" "$dir/bin/mmemu" run --screenshot "$dir/x.png" \
	"$guests/hello" >/dev/null 2>&1; s=$?
check "MMEMU_VIEWER_MODULE comes before the module next to mmemu (got $s)" [ "$s" = 2 ]

# An install with another prefix: bin/mmemu finds lib/mmemu/mmemu-viewer.so from where it is.
cmake --install "$build" --prefix "$dir/inst" >/dev/null 2>&1; s=$?
check "cmake --install --prefix: status 0 (got $s)" [ "$s" = 0 ]
check "installed: bin/mmemu" test -x "$dir/inst/bin/mmemu"
check "installed: lib/mmemu/mmemu-viewer.so" sh -c "ls '$dir'/inst/lib*/mmemu/mmemu-viewer.so >/dev/null"
env -i A=1 "$dir/inst/bin/mmemu" run --screenshot "$dir/inst.png" "$guests/hello" >/dev/null \
	2>"$dir/err"; s=$?
check "the installed mmemu finds its module: status 0 (got $s)" [ "$s" = 0 ]
check "the installed mmemu finds its module: the same picture" cmp -s "$dir/ref.png" "$dir/inst.png"

echo "viewer_module: $pass passed, $fails failed"
[ "$fails" = 0 ]
