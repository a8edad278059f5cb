#!/bin/sh
# The journald catalog: the file in git is what src/codes.c generates,
# journalctl compiles it, and it has one entry per code with its text.
. "$TESTSRC/sinks/lib.sh"

cat="$TESTSRC/../systemd/hswatch.catalog"
"$SINKTEST" -c >"$T_TMP/gen.catalog"
if cmp -s "$T_TMP/gen.catalog" "$cat"; then
	ok "systemd/hswatch.catalog matches src/codes.c"
else
	fail "systemd/hswatch.catalog matches src/codes.c (run make update-catalog)" \
	    "$(diff "$cat" "$T_TMP/gen.catalog" | head -20)"
fi

command -v journalctl >/dev/null 2>&1 || { fail "journalctl present"; finish; }
root=$T_TMP/root
mkdir -p "$root/usr/lib/systemd/catalog"
cp "$cat" "$root/usr/lib/systemd/catalog/"
check "journalctl --update-catalog compiles it" \
    journalctl --root="$root" --update-catalog
journalctl --root="$root" --list-catalog >"$T_TMP/list" 2>&1
ids=$(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$cat")
n=0
missing=
for id in $ids; do
	n=$((n + 1))
	grep -q "^$id hswatch: " "$T_TMP/list" || missing="$missing $id"
done
expect_eq "--list-catalog lists all $n hswatch entries" "${missing:-none}" none
# Every code the sources can raise has its entry, and nothing else.
used=$(cat "$abs_top_srcdir"/src/*.c | grep -o '"HS-[A-Z0-9-]*"' | sort -u | wc -l)
expect_eq "one entry per code the sources know ($used)" "$n" "$used"
raised=$(cat "$abs_top_srcdir"/src/diagnose.c "$abs_top_srcdir"/src/correlate.c |
    grep -o '"HS-[A-Z0-9-]*"' | tr -d '"' | sort -u)
nocat=
for c in $raised; do
	grep -q "^Subject: $c\b\|$c" "$cat" || nocat="$nocat $c"
done
expect_eq "every code diagnose and correlate raise is in the catalog" "${nocat:-none}" none

# Each code's entry explains it and names its fix.
journalctl --root="$root" --dump-catalog 73b85a47a1cd4d23bcadaf7ecd2561fd \
    >"$T_TMP/cascade" 2>&1
if grep -q "HS-POOL-CASCADE (a whole upstream pool is failing on TLS)" "$T_TMP/cascade" &&
    grep -q "max_fails" "$T_TMP/cascade" && grep -q "@HSWATCH_EXPLAIN@" "$T_TMP/cascade"; then
	ok "--dump-catalog shows the cascade entry with its fields"
else
	fail "--dump-catalog shows the cascade entry" "$(head -c 800 "$T_TMP/cascade")"
fi
bad=
for code in $(sed -n 's/^\(HS-[A-Z-]*\) (.*)$/\1/p' "$cat"); do
	awk -v c="$code" '$1 == c { on = 1 } on && /^Fix: / { found = 1 } on && /^-- / { exit } END { exit !found }' \
	    "$cat" || bad="$bad $code"
done
expect_eq "every entry has a Fix: paragraph" "${bad:-none}" none
finish
