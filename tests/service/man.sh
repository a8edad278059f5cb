#!/bin/sh
# The man pages: mandoc -Tlint reports nothing (warnings fail), and they
# document what the programs really have: every subcommand and long
# option of hswatch and hswatch-probe in hswatch(1), every long option of
# hswatchd in hswatchd(8), every settings key in hswatch.conf(5), each
# taken from the sources.
. "$TESTSRC/service/lib.sh"

[ -n "${MANDOC:-}" ] && [ -x "$MANDOC" ] || skip "mandoc not found at configure time"
src=$abs_top_srcdir
man=$abs_top_builddir/man

for page in hswatch.1 hswatch.conf.5 hswatchd.8; do
	if "$MANDOC" -Tlint -W warning "$man/$page" >"$T_TMP/lint" 2>&1 &&
	    ! [ -s "$T_TMP/lint" ]; then
		ok "mandoc -Tlint: $page is clean"
	else
		fail "mandoc -Tlint: $page is clean" "$(cat "$T_TMP/lint")"
	fi
done

# long_opts FILE...: the long option names of getopt_long tables.
long_opts() {
	sed -n 's/.*{ "\([a-zA-Z0-9-]*\)", *\(no\|required\|optional\)_argument.*/\1/p' "$@" |
	    sort -u
}

# documented PAGE MACRO WORD: PAGE has a line "MACRO WORD" (maybe among
# other words on the line).
documented() {
	grep -Eq "(^|[ ])$2 $3( |\$)" "$1"
}

for cmd in $(sed -n 's/.*strcmp(argv\[1\], "\([a-z]*\)") == 0).*/\1/p' \
    "$src/daemon/hswatch.c" | grep -v '^-'); do
	documented "$man/hswatch.1" '\.It Cm' "$cmd" &&
	    ok "hswatch.1 documents the command $cmd" ||
	    fail "hswatch.1 documents the command $cmd"
done
for opt in $(long_opts "$src/daemon/hswatch.c" "$src/daemon/cliconf.h" \
    "$src/daemon/cliconf.c" "$src/daemon/clilint.c" \
    "$src/daemon/hswatch-probe.c"); do
	grep -q "Fl -$opt\b" "$man/hswatch.1" &&
	    ok "hswatch.1 documents --$opt" || fail "hswatch.1 documents --$opt"
done

if [ -f "$src/daemon/hswatchd.c" ]; then
	for opt in $(long_opts "$src/daemon/hswatchd.c"); do
		grep -q "Fl -$opt\b" "$man/hswatchd.8" &&
		    ok "hswatchd.8 documents --$opt" ||
		    fail "hswatchd.8 documents --$opt"
	done
	for o in f c; do
		grep -q "^\.It Fl $o\b" "$man/hswatchd.8" &&
		    ok "hswatchd.8 documents -$o" || fail "hswatchd.8 documents -$o"
	done
else
	echo "ok - # SKIP daemon/hswatchd.c not merged yet: hswatchd.8 unchecked"
fi
if [ -f "$src/src/settings.c" ]; then
	keys=$(sed -n 's/.*strcmp(key, "\([a-z_]*\)") == 0.*/\1/p' "$src/src/settings.c")
	[ -n "$keys" ] || fail "settings keys found in src/settings.c"
	for k in $keys; do
		documented "$man/hswatch.conf.5" '\.It Ic' "$k" &&
		    ok "hswatch.conf.5 documents the key $k" ||
		    fail "hswatch.conf.5 documents the key $k"
	done
	# ... and no key that the parser does not know.
	for k in $(sed -n 's/^\.It Ic \([a-z_]*\) No = .*/\1/p' "$man/hswatch.conf.5"); do
		echo "$keys" | grep -qx "$k" &&
		    ok "hswatch.conf.5 key $k exists in settings.c" ||
		    fail "hswatch.conf.5 key $k exists in settings.c"
	done
else
	echo "ok - # SKIP src/settings.c not merged yet: hswatch.conf.5 unchecked"
fi
finish
