#!/bin/sh
# The Prometheus alerting rules: promtool checks them and runs their unit
# tests (contrib/prometheus/hswatch.rules.test.yml).
. "$TESTSRC/sinks/lib.sh"

command -v promtool >/dev/null 2>&1 || missing "promtool not installed"
dir="$TESTSRC/../contrib/prometheus"
check "promtool check rules" promtool check rules "$dir/hswatch.rules.yml"
# promtool resolves rule_files relative to the test file.
cp "$dir/hswatch.rules.yml" "$dir/hswatch.rules.test.yml" "$T_TMP/"
if (cd "$T_TMP" && promtool test rules hswatch.rules.test.yml) >"$T_TMP/out" 2>&1; then
	ok "promtool test rules: $(grep -c 'alertname:\|expr:' "$dir/hswatch.rules.test.yml") cases pass"
else
	fail "promtool test rules" "$(head -c 2000 "$T_TMP/out")"
fi
finish
