# A real systemd as PID 1 in a throwaway namespace container, for
# tests/service/systemd.sh (sourced; POSIX sh; needs root).
#
# PID, mount, net, UTS, IPC and cgroup namespaces (unshare); the host's
# / is the lower layer of an overlay whose upper layer is a tmpfs of the
# container's own mount namespace (nothing the container writes reaches
# the host); a private cgroup2 subtree; pivot_root into the overlay;
# container=hswatch-test in systemd's environment; a private /dev (no
# console: the console is a file). The network namespace has only lo.
#
#   ct_start DIR FILE...  boot; FILE... are copied to /var/tmp/ first.
#                         Sets CT_PID (systemd, as the host sees it).
#   ct_exec CMD...        run CMD inside (all its namespaces).
#   ct_stop               poweroff (SIGRTMIN+4) by PID, SIGKILL by PID
#                         after 20 s; remove the cgroup. Idempotent.
# Units masked before boot (not under test, and they would only cost
# time): prometheus, prometheus-alertmanager, console-getty. A
# policy-rc.d of the host is removed in the overlay, so that the
# package's postinst may start its unit as on a stock host.

CT_PID=
CT_UNSHARE=
CT_CG=
CT_DIR=

# ct_fail_reason: why this machine cannot run the container, or nothing.
ct_fail_reason() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root"; return; }
	[ -x /lib/systemd/systemd ] || { echo "no /lib/systemd/systemd"; return; }
	for c in unshare nsenter pivot_root; do
		command -v $c >/dev/null 2>&1 || { echo "no $c (util-linux)"; return; }
	done
	grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
	    { echo "no overlay filesystem in this kernel"; return; }
	grep -qw cgroup2 /proc/filesystems ||
	    { echo "no cgroup2 in this kernel"; return; }
	ct_cgroot >/dev/null || { echo "no writable cgroup2 hierarchy"; return; }
}

# ct_cgroot: where the host's cgroup2 hierarchy is mounted (mounted
# under /run/hswatch-ct-cgroup2 when it is nowhere).
ct_cgroot() {
	r=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	if [ -z "$r" ]; then
		mkdir -p /run/hswatch-ct-cgroup2 &&
		    mount -t cgroup2 cgroup2 /run/hswatch-ct-cgroup2 || return 1
		r=/run/hswatch-ct-cgroup2
	fi
	[ -w "$r/cgroup.procs" ] || return 1
	echo "$r"
}

ct_start() {
	CT_DIR=$1
	shift
	mkdir -p "$CT_DIR/files"
	for f in "$@"; do cp "$f" "$CT_DIR/files/"; done
	: >"$CT_DIR/console"
	CT_CG=$(ct_cgroot)/hswatch-ct-$$
	mkdir "$CT_CG" || return 1
	cat >"$CT_DIR/stage1.sh" <<'S1'
# PID 1 of the new PID namespace: into the private cgroup, then a cgroup
# namespace rooted there; stage 2 replaces this process.
set -eu
echo 0 >"$2/cgroup.procs"
exec unshare --cgroup sh "$1/stage2.sh" "$1"
S1
	cat >"$CT_DIR/stage2.sh" <<'S2'
set -eu
ct=$1
mount --make-rprivate /
mkdir -p "$ct/rw" "$ct/root"
mount -t tmpfs -o size=2g,mode=0755 tmpfs "$ct/rw"
mkdir "$ct/rw/upper" "$ct/rw/work"
mount -t overlay overlay \
    -o "lowerdir=/,upperdir=$ct/rw/upper,workdir=$ct/rw/work" "$ct/root"
r=$ct/root
mount -t proc proc "$r/proc"
mount -t sysfs -o ro sysfs "$r/sys"
mount -t cgroup2 cgroup2 "$r/sys/fs/cgroup"
mount -t tmpfs -o mode=0755,size=64m tmpfs "$r/dev"
for d in null zero full random urandom tty; do
	touch "$r/dev/$d"
	mount --bind "/dev/$d" "$r/dev/$d"
done
mkdir "$r/dev/pts" "$r/dev/shm" "$r/dev/mqueue"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$r/dev/pts"
ln -s pts/ptmx "$r/dev/ptmx"
ln -s /proc/self/fd "$r/dev/fd"
touch "$r/dev/console"
mount --bind "$ct/console" "$r/dev/console"
# The container's own /tmp and /run (systemd mounts /run itself).
mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
for u in prometheus prometheus-alertmanager console-getty; do
	ln -sf /dev/null "$r/etc/systemd/system/$u.service"
done
rm -f "$r/usr/sbin/policy-rc.d"
mkdir -p "$r/var/tmp"
cp "$ct"/files/* "$r/var/tmp/" 2>/dev/null || true
hostname hswatch-ct
mkdir -p "$r/oldroot"
cd "$r"
pivot_root . oldroot
umount -l /oldroot
rmdir /oldroot
exec env -i container=hswatch-test /lib/systemd/systemd
S2
	unshare --fork --pid --mount --net --uts --ipc \
	    sh "$CT_DIR/stage1.sh" "$CT_DIR" "$CT_CG" >"$CT_DIR/unshare.out" 2>&1 &
	CT_UNSHARE=$!
	# systemd is the unshare process's child.
	i=0
	while [ -z "$CT_PID" ] && [ $i -lt 100 ]; do
		CT_PID=$(pgrep -P "$CT_UNSHARE" 2>/dev/null | head -n 1)
		i=$((i + 1))
		sleep 0.1
	done
	[ -n "$CT_PID" ] || return 1
	# Up when systemctl answers inside (a running or degraded system).
	i=0
	while [ $i -lt 300 ]; do
		kill -0 "$CT_PID" 2>/dev/null || return 1
		s=$(ct_exec systemctl is-system-running 2>/dev/null)
		case $s in running|degraded) return 0;; esac
		i=$((i + 1))
		sleep 0.1
	done
	return 1
}

ct_exec() {
	nsenter -t "$CT_PID" -m -p -n -u -i -C -- \
	    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}

ct_stop() {
	if [ -n "$CT_PID" ] && kill -0 "$CT_PID" 2>/dev/null; then
		kill -s RTMIN+4 "$CT_PID" 2>/dev/null
		i=0
		while kill -0 "$CT_UNSHARE" 2>/dev/null && [ $i -lt 200 ]; do
			i=$((i + 1))
			sleep 0.1
		done
		kill -KILL "$CT_PID" 2>/dev/null
	fi
	if [ -n "$CT_UNSHARE" ]; then
		kill -KILL "$CT_UNSHARE" 2>/dev/null
		wait "$CT_UNSHARE" 2>/dev/null
	fi
	if [ -n "$CT_CG" ] && [ -d "$CT_CG" ]; then
		i=0
		while [ -s "$CT_CG/cgroup.procs" ] && [ $i -lt 50 ]; do
			i=$((i + 1))
			sleep 0.1
		done
		find "$CT_CG" -depth -type d -exec rmdir {} + 2>/dev/null
	fi
	CT_PID= CT_UNSHARE= CT_CG=
}
