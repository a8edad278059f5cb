#!/bin/sh
# make install DESTDIR=...: every file where it belongs (binaries, unit,
# sysusers.d, journal catalog, Prometheus rules, man pages,
# the settings), the installed unit runs the installed daemon, an
# admin's settings survive a reinstall and an uninstall, uninstall leaves
# no file behind; the sysusers.d entry creates the user in group adm
# (systemd-sysusers --root). No tmpfiles.d entry is installed (its ACL
# rule was refused under prometheus-node-exporter's /var/lib/prometheus).
. "$TESTSRC/service/lib.sh"

: "${MAKE:=make}"
root=$T_TMP/root
inst() {
	$MAKE -s -C "$abs_top_builddir" "$1" DESTDIR="$root" >"$T_TMP/make.out" 2>&1
}
if inst install; then
	ok "make install DESTDIR=..."
else
	fail "make install DESTDIR=..." "$(tail -n 20 "$T_TMP/make.out")"
	finish
fi

# file MODE PATH: installed with that test(1) mode (-x or -f).
file() {
	if [ "$1" "$root$2" ]; then ok "installed $2"; else fail "installed $2"; fi
}
file -x "$HS_BINDIR/hswatch"
file -x "$HS_SBINDIR/hswatchd"
file -x "$HS_PKGLIBEXECDIR/hswatch-probe"
file -f "$HS_UNITDIR/hswatchd.service"
file -f "$HS_SYSUSERSDIR/hswatch.conf"
if [ -e "$root$HS_TMPFILESDIR/hswatch.conf" ]; then
	fail "no tmpfiles.d entry is installed"
else
	ok "no tmpfiles.d entry is installed"
fi
file -f "$HS_CATALOGDIR/hswatch.catalog"
file -f "$HS_PKGDATADIR/hswatch.rules.yml"
file -f "$HS_MANDIR/man1/hswatch.1"
file -f "$HS_MANDIR/man5/hswatch.conf.5"
file -f "$HS_MANDIR/man8/hswatchd.8"
file -f "$HS_SYSCONFDIR/hswatch/hswatch.conf"

conf=$root$HS_SYSCONFDIR/hswatch/hswatch.conf
cmp -s "$conf" "$abs_top_srcdir/systemd/hswatch.conf.example" &&
    ok "the settings are the commented example" ||
    fail "the settings are the commented example"
grep -q "^ExecStart=$HS_SBINDIR/hswatchd -f -c $HS_SYSCONFDIR/hswatch/hswatch.conf" \
    "$root$HS_UNITDIR/hswatchd.service" &&
    ok "the installed unit runs the installed hswatchd with the installed settings" ||
    fail "the installed unit runs the installed hswatchd with the installed settings" \
	"$(grep ^ExecStart= "$root$HS_UNITDIR/hswatchd.service")"
if "$root$HS_SBINDIR/hswatchd" --version >"$T_TMP/v" 2>&1; then
	ok "installed hswatchd runs: $(cat "$T_TMP/v")"
else
	fail "installed hswatchd runs" "$(cat "$T_TMP/v")"
fi
if HSWATCH_PROBE=$root$HS_PKGLIBEXECDIR/hswatch-probe \
    "$root$HS_BINDIR/hswatch" probe --help >"$T_TMP/p" 2>&1; then
	ok "installed hswatch runs the installed hswatch-probe"
else
	fail "installed hswatch runs the installed hswatch-probe" "$(cat "$T_TMP/p")"
fi

# The settings are the admin's: kept by a reinstall and an uninstall.
echo "error_log = /srv/nginx/error.log" >>"$conf"
cp "$conf" "$T_TMP/mine"
inst install && cmp -s "$conf" "$T_TMP/mine" &&
    ok "a reinstall keeps changed settings" ||
    fail "a reinstall keeps changed settings"
if inst uninstall; then ok "make uninstall"; else
	fail "make uninstall" "$(tail -n 20 "$T_TMP/make.out")"; fi
left=$(cd "$root" && find . -type f | sort)
expect_eq "uninstall leaves only the changed settings" "$left" \
    ".$HS_SYSCONFDIR/hswatch/hswatch.conf"
rm -f "$conf"
inst install && inst uninstall
left=$(cd "$root" && find . -type f -o -type l | sort)
expect_eq "install + uninstall leaves no file" "$left" ""

# sysusers.d, applied to a scratch root.
if command -v systemd-sysusers >/dev/null 2>&1; then
	sr=$T_TMP/sysroot
	mkdir -p "$sr/etc" "$sr/usr/lib/sysusers.d"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$sr/etc/passwd"
	printf 'root:x:0:\nadm:x:4:\n' >"$sr/etc/group"
	cp "$abs_top_srcdir/systemd/sysusers.d/hswatch.conf" "$sr/usr/lib/sysusers.d/"
	systemd-sysusers --root="$sr" hswatch.conf >"$T_TMP/su" 2>&1
	grep -q '^hswatch:x:[0-9]*:[0-9]*:.*:/var/lib/hswatch:' "$sr/etc/passwd" &&
	    ok "sysusers.d creates the system user hswatch" ||
	    fail "sysusers.d creates the system user hswatch" "$(cat "$T_TMP/su")"
	grep -q '^adm:x:4:hswatch$' "$sr/etc/group" &&
	    ok "sysusers.d puts hswatch in group adm" ||
	    fail "sysusers.d puts hswatch in group adm" "$(cat "$sr/etc/group")"
else
	echo "ok - # SKIP systemd-sysusers not installed"
fi
finish
