#!/bin/sh
# The bash completion (contrib/bash-completion/hswatch), run by a real
# bash: the commands, each command's options - every one of them known
# to the command itself (no "unrecognized option") and documented in
# hswatch(1) - and the words of --format.
. "${TESTSRC:-$(dirname "$0")/..}/cli/lib.sh"

COMP=$abs_top_srcdir/contrib/bash-completion/hswatch
MAN=$abs_top_builddir/man/hswatch.1
command -v bash >/dev/null 2>&1 || { echo "1..0 # SKIP no bash"; exit 77; }

if bash -n "$COMP"; then ok "bash parses it"; else fail "bash parses it"; fi

# complete WORDS...: what the completion offers for the last word.
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _hswatch; printf "%s\n" "${COMPREPLY[@]}"' \
	    sh "$COMP" "$@" | sort | tr '\n' ' '
}

expect_eq "the commands" "$(complete_words hswatch '')" \
	"--help --version config explain lint locate probe replay status "
expect_eq "a prefix" "$(complete_words hswatch st)" "status "
expect_eq "--format's words" "$(complete_words hswatch lint --format '')" \
	"json sarif text "

for c in explain replay lint probe config locate status; do
	opts=$(complete_words hswatch "$c" --)
	[ -n "$opts" ] || fail "$c: options offered"
	bad=
	for o in $opts; do
		"$HSWATCH" "$c" "$o" </dev/null >"$T_TMP/o.out" 2>&1
		grep -q "unrecognized option\|invalid option" "$T_TMP/o.out" &&
		    bad="$bad $o(unknown)"
		[ "$o" = --help ] || grep -q -- "$(echo "$o" | sed 's/-/\\\\-/g')" "$MAN" ||
		    grep -q -- "Fl $(echo "$o" | sed 's/^-//')" "$abs_top_srcdir/man/hswatch.1.in" ||
		    bad="$bad $o(undocumented)"
	done
	expect_eq "$c: every option offered is the command's and documented" "$bad" ""
done

finish
