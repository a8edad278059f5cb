#!/bin/sh
# A reload builds the model off the loop: while nginx_t_command hangs
# the daemon keeps following the log and answering status; at
# nginx_t_timeout the command (its process group) is killed, the reload
# is reported failed and the previous model stays. A reload of a
# generated 20,000-location configuration (bench/genconf.py) is swapped
# in whole, and no loop callback takes half as long as building it.
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"
# The hanging command, unique to this run: tests that run at the same
# time (make -j2, other build directories) must not see each other's.
HANG_S=300.$$

EX=$abs_top_srcdir/examples
scenario reload
: >"$S/error.log"
EXTRA_CONF="nginx_config = $EX/nginx/nginx.conf
json = $S/findings.json"
start_daemon --error-log "$S/error.log" || finish

# The settings now name a command that hangs: SIGHUP.
cp "$S/test.conf" "$S/good.conf"
grep -v '^nginx_config' "$S/good.conf" >"$S/test.conf"
printf 'nginx_t_command = sleep %s | cat\nnginx_t_timeout = 3\n' "$HANG_S" >>"$S/test.conf"
t0=$(date +%s)
kill -HUP "$DPID"
i=0
while ! pgrep -f "^sleep $HANG_S\$" >/dev/null && [ $i -lt 100 ]; do
	i=$((i + 1))
	nap
done
# While it hangs: lines are followed, status answers.
gen 40 >>"$S/error.log"
wait_events 2
check_events "while nginx_t_command hangs, the log is followed"
"$HSWATCH" status --state-dir "$S/state" --json >"$S/status.json"
expect_eq "while nginx_t_command hangs, status answers" "$?" 0
expect_eq "status: the running model is still the first one" \
	"$(json_get "$S/status.json" 'o["config"]["source"]')" "$EX/nginx/nginx.conf"
i=0
while ! grep -q 'not reloaded' "$S/daemon.err" && [ $i -lt 200 ]; do
	i=$((i + 1))
	nap
done
t1=$(date +%s)
expect_eq "at nginx_t_timeout the reload fails, the previous model stays" \
	"$(grep -c "nginx configuration not reloaded, keeping the previous one: sleep $HANG_S | cat: no answer within 3 s (killed)" "$S/daemon.err") $((t1 - t0 >= 3 && t1 - t0 <= 8))" "1 1"
nap 0.2
if pgrep -f "^sleep $HANG_S\$" >/dev/null; then
	fail "the hanging command's group is killed" "$(pgrep -af "sleep $HANG_S")"
else
	ok "the hanging command's group is killed"
fi
# Findings still carry the old model's locations (the example's lines).
cat "$EX/error.log" >>"$S/error.log"
i=0
while [ ! -s "$S/findings.json" ] && [ $i -lt 100 ]; do
	i=$((i + 1))
	nap
done
nap 0.5
expect_eq "findings located with the kept model" \
	"$(json_get "$S/findings.json" 'sum(1 for x in objs if x["location"]) > 0')" True

# A 20,000-location configuration, reloaded off the loop.
python3 "$abs_top_srcdir/bench/genconf.py" --servers 200 \
    --locations-per-server 84 "$S/big" >/dev/null
grep -v '^nginx_t_' "$S/good.conf" | grep -v '^nginx_config' >"$S/test.conf"
printf 'nginx_config = %s/big/nginx.conf\n' "$S" >>"$S/test.conf"
"$HSWATCH" status --state-dir "$S/state" --json >"$S/status1.json"
l0=$(json_get "$S/status1.json" 'o["loop"]["longest_callback_seconds"]')
kill -HUP "$DPID"
i=0
while [ "$(grep -c 'nginx configuration reloaded' "$S/daemon.err")" -lt 1 ] &&
    [ $i -lt 600 ]; do
	i=$((i + 1))
	nap
done
"$HSWATCH" status --state-dir "$S/state" --json >"$S/status2.json"
expect_eq "the 20k-location model is swapped in" \
	"$(json_get "$S/status2.json" 'o["config"]["source"]')" "$S/big/nginx.conf"
# What building that model takes here, in the same build (sanitizers
# included) and under the same load: one run of hswatch locate.
tb=$(python3 -c '
import subprocess, sys, time
t = time.monotonic()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print("%.3f" % (time.monotonic() - t))' "$HSWATCH" locate --config "$S/big/nginx.conf" \
    --server s0.example.com /p0/s0/x)
# No callback during the reload comes near that: the longest since
# start may be older (the example's lines, under a sanitizer), and the
# reload must not have made it longer than that or half the build.
lmax=$(json_get "$S/status2.json" 'o["loop"]["longest_callback_seconds"]')
echo "# longest loop callback: $l0 s before the 20k reload, $lmax s after; the build alone: $tb s"
expect_eq "no loop callback near the build's time ($tb s): $l0 s before, $lmax s after" \
	"$(python3 -c "print($lmax <= max($l0, $tb / 2))")" True
stop_daemon
finish
