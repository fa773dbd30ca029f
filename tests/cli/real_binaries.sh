#!/bin/sh
# Real static programs from Debian, which nobody here wrote, run under mmemu and natively
# with the same arguments and environment (ASLR off natively): standard output and exit
# status must be the same.
#   - busybox-static, x86-64 (/bin/busybox) and i386 (fetched by tests/fetch_i386_busybox.sh
#     into the build tree): applets, and `busybox sh -c` scripts;
#   - mksh's static builds (klibc, dietlibc, musl): `-c` scripts;
#   - bash-static: `-c` scripts.
# mmemu has no fork(), so nothing here runs a pipeline, a command substitution or an
# external command from a shell (that fails cleanly with ENOSYS; see docs/user-guide.md).
# A program that is missing counts as a failure: .ci/install-deps installs them.
mmemu=${1:-$MMEMU}
build=${MMEMU_BUILD:-build}
top=${MMEMU_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
pass=0
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ENV="env -i PATH=/usr/bin:/bin HOME=/ LC_ALL=C"

# compare LABEL PROG ARGS...: stdin comes from $stdin (default /dev/null).
compare() {
	label=$1
	shift
	[ -x "$1" ] || { echo "FAIL: $label: $1 missing (run .ci/install-deps)"; fails=$((fails + 1)); return; }
	setarch -R $ENV "$@" < "${stdin:-/dev/null}" > "$tmp/native" 2>/dev/null
	want=$?
	$ENV "$mmemu" run --check --timeout 120 "$@" < "${stdin:-/dev/null}" > "$tmp/out" 2> "$tmp/err"
	got=$?
	if [ "$got" != "$want" ] || ! cmp -s "$tmp/native" "$tmp/out"; then
		echo "FAIL: $label: exit $got (native $want)"
		diff "$tmp/native" "$tmp/out" | head -6
		head -4 "$tmp/err"
		fails=$((fails + 1))
	else
		pass=$((pass + 1))
	fi
}

# The files the programs work on, with fixed contents and dates (ls -l shows the year for
# dates far from now, which mmemu's clock and the host's both are for 2001).
cd "$tmp" || exit 1
mkdir -p d/sub
printf 'banana\napple\ncherry\napple\n' > d/fruit.txt
printf 'a b c\n1 2 3\n\tindented line\n' > d/sub/t.txt
i=1
while [ $i -le 100 ]; do
	echo "$(((i * 7919) % 1000)) line$i"
	i=$((i + 1))
done > d/nums.txt
printf 'never read\n' > d/stat-me
printf '3 x\n14 y\n15 z\n92 w\n65 v\n' > d/small.txt
touch -d '2001-02-03 04:05:06' d/fruit.txt d/sub/t.txt d/nums.txt d/small.txt d/stat-me d/sub d

bb=/bin/busybox
bb32=$build/debian-i386/bin/busybox
sh "$top/tests/fetch_i386_busybox.sh" "$build/debian-i386" ||
	echo "real_binaries: the i386 busybox could not be fetched; its cases fail"
# Compressed inputs, made natively.
if [ -x $bb ]; then
	$bb gzip -c d/nums.txt > nums.gz
	$bb bzip2 -c d/nums.txt > nums.bz2
	$bb tar -cf dir.tar d
fi

applets() { # busybox binary, label
	b=$1 l=$2
	compare "$l echo" $b echo hello "  spaced  " -n
	compare "$l cat" $b cat d/fruit.txt d/sub/t.txt
	compare "$l ls" $b ls d
	compare "$l ls -lR" $b ls -lR d
	compare "$l ls -lS" $b ls -laS d/sub
	compare "$l wc" $b wc d/fruit.txt d/nums.txt
	compare "$l sort" $b sort d/fruit.txt
	compare "$l sort -n" $b sort -n -r d/nums.txt
	compare "$l uniq -c" $b uniq -c d/fruit.txt
	compare "$l head" $b head -n 3 d/nums.txt
	compare "$l tail" $b tail -c 100 d/nums.txt
	compare "$l cut" $b cut -d e -f 2 d/nums.txt
	stdin=d/fruit.txt compare "$l tr (stdin)" $b tr a-z A-Z
	compare "$l sed" $b sed -n '/^99/,/^5/{s/line/L/;p}' d/nums.txt
	compare "$l grep" $b grep -n -E '^1[0-9]?\b' d/nums.txt
	compare "$l grep -c no match" $b grep -c zebra d/fruit.txt
	compare "$l awk" $b awk '{s+=$1; q+=sin($1)*exp(-$1/1000)} END {printf("%.10g %.10g %d %e\n", s, q, NR, s/7)}' d/nums.txt
	compare "$l expr" $b expr abcd : 'a\(..\)'
	compare "$l expr arith" $b expr 7 \* 6 - 2
	compare "$l seq" $b seq -w 1 3 20
	compare "$l seq float" $b seq 0.5 0.25 2
	compare "$l md5sum" $b md5sum d/fruit.txt d/nums.txt
	compare "$l sha256sum" $b sha256sum d/nums.txt
	compare "$l sha512sum" $b sha512sum d/fruit.txt
	compare "$l basename" $b basename /a/b/c.txt .txt
	compare "$l dirname" $b dirname /a/b/c
	compare "$l printf" $b printf '%s-%05d-%.3f-%x\n' x 42 2.5 255
	compare "$l test true" $b test 1 -lt 2 -a -d d
	compare "$l test false" $b test -f d/sub
	compare "$l true" $b true
	compare "$l false" $b false
	compare "$l env" $b env
	compare "$l id" $b id
	compare "$l uname" $b uname -s -m -o
	compare "$l date" $b date -d @0 -u
	compare "$l date +fmt" $b date -u -d '2000-02-29 12:34:56' '+%s %j %A %B'
	compare "$l od" $b od -A x -t x1z d/sub/t.txt
	compare "$l xxd" $b xxd d/fruit.txt
	compare "$l hexdump" $b hexdump -C d/sub/t.txt
	compare "$l find" $b find d
	compare "$l find -name" $b find d -type f -name '*.txt'
	compare "$l stat" $b stat d/stat-me
	compare "$l stat -c" $b stat -c '%n %s %a %F %h %u %g %Y' d/fruit.txt d/sub
	compare "$l du" $b du -a d
	compare "$l mount" $b mount
	compare "$l df /proc" $b df -P /proc
	compare "$l tar" $b tar -cf - d
	compare "$l tar -t" $b tar -tvf dir.tar
	compare "$l gzip" $b gzip -c d/nums.txt
	compare "$l gunzip" $b gunzip -c nums.gz
	compare "$l bzip2" $b bzip2 -c d/nums.txt
	compare "$l bunzip2" $b bunzip2 -c nums.bz2
	compare "$l dd" $b dd if=d/nums.txt bs=100 skip=3 count=2
	compare "$l factor" $b factor 1234567890123 4294967291
	compare "$l dc" $b dc -e '10k 2 v p 3 4 ^ p'
	compare "$l cmp" $b cmp d/fruit.txt d/sub/t.txt
	compare "$l diff" $b diff d/fruit.txt d/sub/t.txt
}

# Shell scripts that fork nothing: builtins only.
SH_LOOPS='i=0; s=0
while [ $i -lt 40 ]; do i=$((i+1)); s=$((s+i*i)); done
echo "sum=$s"
k=5; until [ $k -eq 0 ]; do k=$((k-1)); [ $k -eq 2 ] && continue; echo k$k; done
for j in 1 2 3 4 5; do [ $j -gt 3 ] && break; echo j$j; done
echo $(( (7 << 2) % 5 )) $(( -7 / 2 )) $(( 3 > 2 ? 10 : 20 )) $(( 0x10 + 010 )) $((1<<40))
exit $((s % 256))'
SH_FUNCS='f() { local v="$1"; echo "f($v,$2) n=$#"; return $(( $1 + $2 )); }
f 2 3; echo "rc=$?"
for w in alpha beta gamma delta; do
  case $w in a*) echo "A:$w";; b*|g*) echo "BG:$w";; *) echo "other:$w";; esac
done
x="hello world"; echo "${x#hello } ${#x} ${x%world}end ${y:-def} ${x:+set}"
set -- q r s; echo "$# $2 $*"; shift; echo "$@"
[ -z "" ] && [ -n x ] && test -d d && echo tests
unset x; echo "x=${x-unset}"
getopts ab: opt -b val; echo "$opt $OPTARG"
cd d/sub && echo "${PWD##*/}"
true && false || echo orpath'
SH_HEREDOC='x=world
while read -r line; do echo "[$line]"; done <<END
hello $x
  line $((6*7))
END
read a b <<X
one two three
X
echo "a=$a b=$b"
n=0; while read -r v w; do n=$((n+v)); done < d/small.txt; echo "total=$n"'

shell_scripts() { # shell command..., label prefix from $l
	compare "$l loops" "$@" -c "$SH_LOOPS"
	compare "$l functions" "$@" -c "$SH_FUNCS"
	compare "$l here-docs" "$@" -c "$SH_HEREDOC"
}

applets $bb busybox
applets "$bb32" busybox-i386
l="busybox sh" shell_scripts $bb sh
l="busybox-i386 sh" shell_scripts "$bb32" sh
# A command substitution needs fork(): the shell says it cannot and gives up cleanly.
$ENV "$mmemu" run $bb sh -c 'echo before; x=$(echo sub); echo after' > "$tmp/out" 2> "$tmp/err"
got=$?
if [ "$got" = 2 ] && [ "$(cat "$tmp/out")" = before ] &&
	grep -q "can't fork: Function not implemented" "$tmp/err"; then
	pass=$((pass + 1))
else
	echo "FAIL: busybox sh without fork: exit $got (want 2)"
	head -3 "$tmp/err"
	fails=$((fails + 1))
fi

MKSH_SCRIPT='set -A arr zero one two three
echo "${#arr[*]} ${arr[2]} ${arr[*]}"
typeset -i n=0 s=0
while (( n < 40 )); do (( s += n * n )); (( n++ )); done
print -r -- "s=$s"
typeset -u up="shout"; typeset -l lo="QUIET"; print "$up $lo"
str="The Quick Brown Fox"; print "${str#The } ${str%Fox} ${#str} ${str/Quick/Slow} ${str:4:5}"
f() { typeset x=$1; print "f:$x:$#"; return 4; }
f a b c; print "rc=$?"
for i in 1 2 3; do case $i in 1) print one;; 2) print two;; *) print many;; esac; done
[[ $str = *Brown* ]] && print match
print $(( 16#ff + 8#17 ))
read a b <<EOF
alpha beta gamma
EOF
print "a=$a b=$b"
exit 5'
for m in /usr/lib/klibc/bin/mksh /usr/lib/diet/bin/mksh /usr/lib/x86_64-linux-musl/bin/mksh; do
	l="mksh ($m)" shell_scripts $m
	compare "mksh ($m) arrays" $m -c "$MKSH_SCRIPT"
done

BASH_SCRIPT='declare -a arr=(zero one two three); arr+=(four)
echo "${#arr[@]} ${arr[2]} ${arr[@]:1:2} ${!arr[@]}"
declare -A h; h[x]=1; h[y]=2; echo "${h[x]}${h[y]} ${#h[@]}"
s="The Quick Brown Fox"
echo "${s^^} ${s,,} ${s/Quick/Slow} ${s//o/0} ${s:4:5} ${s: -3}"
fib() { local n=$1 a=0 b=1 i t; for ((i=0; i<n; i++)); do ((t=a+b, a=b, b=t)); done; echo -n "$a"; }
for n in 1 5 10 50 90; do fib $n; echo; done
printf -v out "%08.3f|%-6s|%#x|%e|%g" 3.14159 hi 255 12345.678 0.0001; echo "$out"
printf "%s\n" "${arr[@]}"
x=10; (( x *= 3, x -= 4 )); echo $x $((x**3)) $((16#ff)) $((2#1011)) $(( 7 % -3 ))
echo $(( 1 << 62 )) $(( -9223372036854775807 - 1 ))
[[ $s == *Brown* ]] && echo match; [[ abc =~ ^a(b)c$ ]] && echo "re ${BASH_REMATCH[1]}"
i=0; until (( i >= 3 )); do echo "u$i"; ((i++)); done
while read -r a b; do echo "[$b:$a]"; done <<EOT
1 one
2 two
EOT
set -e; false || echo recovered; exit 7'
compare "bash-static script" /bin/bash-static -c "$BASH_SCRIPT"
l=bash-static shell_scripts /bin/bash-static

echo "$pass passed, $fails failed"
[ "$fails" = 0 ]
