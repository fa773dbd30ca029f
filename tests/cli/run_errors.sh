#!/bin/sh
# mmemu run on bad input and on programs that go wrong.
#  - A program that cannot be run (missing, not ELF, truncated, dynamically linked, for
#    another machine) gives one line on stderr, "mmemu: PROG: reason", and exit status 2.
#  - A program that never stops is stopped by --max-insns and by --timeout with a line
#    saying so, and exit status 124 (as timeout(1) reports).
#  - A program that jumps into the weeds dies of the same signal as natively (exit status
#    128 + signal), after printing the same output.
mmemu=${1:-$MMEMU}
guests=${MMEMU_BUILD:-build}/guests
pass=0
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# refused NAME WANT_STATUS WORD PROG: mmemu run PROG must exit WANT_STATUS with exactly one
# line on stderr that names PROG and contains WORD, and print nothing on stdout.
refused() {
	name=$1 want=$2 word=$3 prog=$4
	"$mmemu" run "$prog" > "$tmp/out" 2> "$tmp/err"
	got=$?
	lines=$(wc -l < "$tmp/err")
	if [ "$got" != "$want" ] || [ "$lines" != 1 ] || [ -s "$tmp/out" ] ||
		! grep -q "^mmemu: .*$word" "$tmp/err" || ! grep -qF "$prog" "$tmp/err"; then
		bad "$name: exit $got (want $want), stderr:"
		head -3 "$tmp/err"
	else
		ok
	fi
}

hello=$guests/hello
[ -x "$hello" ] || { echo "FAIL: $hello missing"; echo "0 passed, 1 failed"; exit 1; }

refused missing 2 "No such file or directory" "$tmp/no-such-program"
printf '#!/bin/sh\necho not elf\n' > "$tmp/script"
chmod +x "$tmp/script"
refused not-elf 2 "not an ELF executable" "$tmp/script"
: > "$tmp/empty"
refused empty 2 "not an ELF executable" "$tmp/empty"
head -c 40 "$hello" > "$tmp/short-header"
refused truncated-header 2 "truncated ELF header" "$tmp/short-header"
head -c 2000 "$hello" > "$tmp/truncated"
refused truncated 2 "past the end of the file" "$tmp/truncated"
# A dynamically linked executable: the host's own true(1) (Debian links it dynamically).
if [ -x /bin/true ] && od -A n -c -N 4096 /bin/true | tr -d ' \n' | grep -q 'ld-linux'; then
	refused dynamic 2 "dynamically linked" /bin/true
else
	bad "dynamic: /bin/true is not a dynamically linked executable here"
fi
# Another machine: e_machine (offset 18, two bytes) set to 183, AArch64.
cp "$hello" "$tmp/aarch64"
printf '\267\000' | dd of="$tmp/aarch64" bs=1 seek=18 conv=notrunc 2>/dev/null
refused other-machine 2 "wrong architecture" "$tmp/aarch64"
refused directory 2 "Permission denied" "$tmp"

# stopped NAME WORD OPTIONS...: a program spinning for ever, stopped by an option.
stopped() {
	name=$1 word=$2
	shift 2
	"$mmemu" run "$@" "$guests/wild_jump" spin > "$tmp/out" 2> "$tmp/err"
	got=$?
	if [ "$got" != 124 ] || ! grep -q "^mmemu: stopped.*$word" "$tmp/err" ||
		[ "$(cat "$tmp/out")" != "going wrong: spin" ]; then
		bad "$name: exit $got (want 124), stderr:"
		head -3 "$tmp/err"
	else
		ok
	fi
}
stopped max-insns "(--max-insns)" --max-insns 2000000
stopped timeout "(--timeout)" --timeout 1

# Wild jumps: the same output and the same fatal signal as the native run (ASLR off).
wild() {
	prog=$guests/wild_jump$1 how=$2
	setarch -R env -i "$prog" "$how" > "$tmp/native" 2>/dev/null
	want=$?
	env -i "$mmemu" run --timeout 60 "$prog" "$how" > "$tmp/out" 2> "$tmp/err"
	got=$?
	if [ "$got" != "$want" ] || [ "$want" -le 128 ] || ! cmp -s "$tmp/native" "$tmp/out"; then
		bad "wild_jump$1 $how: exit $got (native $want)"
		diff "$tmp/native" "$tmp/out" | head -5
		head -3 "$tmp/err"
	else
		ok
	fi
}
for flavour in "" -musl -i386; do
	for how in null nx kernel ud2 garbage hlt int3; do
		wild "$flavour" $how
	done
done
wild "" noncanon

echo "$pass passed, $fails failed"
[ "$fails" = 0 ]
