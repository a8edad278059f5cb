#!/bin/sh
# The generated systemd unit: no @variable@ left, ExecStart= the
# configured sbindir, systemd-analyze verify passes (with ExecStart=
# pointed at the built daemon and the built man pages on MANPATH, since
# verify checks both), and systemd-analyze security --offline rates its
# exposure at most 2.0 (printed).
. "$TESTSRC/service/lib.sh"

[ -n "${SYSTEMD_ANALYZE:-}" ] && [ -x "$SYSTEMD_ANALYZE" ] ||
    skip "systemd-analyze not found at configure time"
[ -f "$HS_UNIT" ] || { echo "$HS_UNIT: not built"; exit 99; }

if grep -n '@[a-zA-Z_]*@' "$HS_UNIT"; then
	fail "no unsubstituted @variable@ in the unit"
else
	ok "no unsubstituted @variable@ in the unit"
fi
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$HS_UNIT")
expect_eq "ExecStart= runs the installed hswatchd" "$exec_start" \
    "$HS_SBINDIR/hswatchd"
for kv in Type=notify Restart=on-failure 'ExecReload=/bin/kill -HUP $MAINPID' \
    User=hswatch SupplementaryGroups=adm StateDirectory=hswatch \
    MemoryDenyWriteExecute=yes Environment=HSWATCH_NO_JIT=1 UMask=0077 \
    ProtectSystem=strict CapabilityBoundingSet=; do
	if grep -qxF "$kv" "$HS_UNIT"; then
		ok "unit has $kv"
	else
		fail "unit has $kv"
	fi
done
if grep -q "^ExecStart=.* -f .*-c $HS_SYSCONFDIR/hswatch/hswatch.conf" "$HS_UNIT"; then
	ok "ExecStart= stays in the foreground and reads the installed settings"
else
	fail "ExecStart= stays in the foreground and reads the installed settings" \
	    "$(grep ^ExecStart= "$HS_UNIT")"
fi
grep -q '^WatchdogSec=[1-9]' "$HS_UNIT" && ok "WatchdogSec= is set" ||
    fail "WatchdogSec= is set"

# verify: the same text, only the daemon's path changed to the build.
[ -x "$HSWATCHD" ] || { fail "hswatchd is built ($HSWATCHD)"; finish; }
u=$T_TMP/unit/hswatchd.service
mkdir -p "$T_TMP/unit" "$T_TMP/man/man1" "$T_TMP/man/man5" "$T_TMP/man/man8"
sed -e "s|^ExecStart=$HS_SBINDIR/hswatchd |ExecStart=$HSWATCHD |" \
    -e "s|^ExecReload=$HS_SBINDIR/hswatchd |ExecReload=$HSWATCHD |" "$HS_UNIT" >"$u"
cp "$abs_top_builddir/man/hswatch.1" "$T_TMP/man/man1/"
cp "$abs_top_builddir/man/hswatch.conf.5" "$T_TMP/man/man5/"
cp "$abs_top_builddir/man/hswatchd.8" "$T_TMP/man/man8/"
if (cd "$T_TMP/unit" && MANPATH=$T_TMP/man "$SYSTEMD_ANALYZE" verify \
    ./hswatchd.service) >"$T_TMP/verify" 2>&1 && ! [ -s "$T_TMP/verify" ]; then
	ok "systemd-analyze verify passes, Documentation= man pages found"
else
	fail "systemd-analyze verify passes, Documentation= man pages found" \
	    "$(cat "$T_TMP/verify")"
fi

# security: the installed unit itself (offline, nothing is loaded).
if (cd "$(dirname "$HS_UNIT")" && "$SYSTEMD_ANALYZE" security \
    --offline=yes --threshold=20 ./hswatchd.service) >"$T_TMP/sec" 2>&1; then
	ok "systemd-analyze security: exposure at most 2.0"
else
	fail "systemd-analyze security: exposure at most 2.0" \
	    "$(grep -v '✓' "$T_TMP/sec")"
fi
score=$(sed -n 's/.*Overall exposure level for hswatchd.service: \([0-9.]*\).*/\1/p' "$T_TMP/sec")
echo "# systemd-analyze security --offline=yes: exposure $score"
grep '✗' "$T_TMP/sec" | sed 's/^/#   /'
[ -n "$score" ] && awk "BEGIN{exit !($score <= 2.0)}" &&
    ok "exposure $score <= 2.0" || fail "exposure '$score' <= 2.0"
finish
