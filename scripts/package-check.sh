#!/bin/sh
# make package-check: builds the .deb (make deb), installs it into a clean
# Debian 12 root made with debootstrap, and checks what an operator would:
# the package installs, creates its system user, enables its unit, the unit
# passes systemd-analyze verify there, and the daemon started as the unit
# starts it (as root, inside a private network namespace) is ready and runs
# as that user. Needs root and a Debian mirror; takes a few minutes (the
# clean root is kept in $ROOT between runs: ROOT=/path to choose it).
#   usage: scripts/package-check.sh DEB
set -eu
deb="$(realpath "$1")"
root="${ROOT:-/var/tmp/portcullis-package-root}"
mirror="${MIRROR:-http://deb.debian.org/debian}"
fail() { echo "package-check: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "package-check: needs root (debootstrap, chroot)" >&2; exit 2; }

if [ ! -x "$root/usr/bin/apt-get" ]; then
	echo "== debootstrap bookworm into $root"
	rm -rf "$root"
	debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
fi
mounted=""
pid=""
cleanup() {
	# Only the daemon this script started: a host may run its own.
	[ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
	for m in $mounted; do umount -l "$m" 2>/dev/null || true; done
}
trap cleanup EXIT
mount -t proc proc "$root/proc" && mounted="$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Purge any earlier install, so that this run starts from a clean state.
chroot "$root" sh -c 'dpkg -l portcullis >/dev/null 2>&1 && apt-get purge -y -qq portcullis >/dev/null; true'
cp "$deb" "$root/tmp/portcullis.deb"

echo "== apt-get install ./portcullis.deb (with systemd and man-db, as on a real host)"
chroot "$root" sh -c 'export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends systemd man-db /tmp/portcullis.deb' \
	>/tmp/package-check-apt.log 2>&1 || { tail -20 /tmp/package-check-apt.log; fail "install"; }

echo "== system user"
pw="$(chroot "$root" getent passwd portcullis)" || fail "no user portcullis"
echo "$pw"
uid="$(echo "$pw" | cut -d: -f3)"
[ "$uid" -lt 1000 ] || fail "portcullis is not a system user (uid $uid)"
case "$pw" in *:/usr/sbin/nologin|*:/bin/false) ;; *) fail "portcullis has a login shell: $pw" ;; esac

echo "== unit enabled and verified"
[ -L "$root/etc/systemd/system/multi-user.target.wants/portcullis.service" ] || fail "unit not enabled"
chroot "$root" systemd-analyze verify portcullis.service || fail "systemd-analyze verify"
chroot "$root" dpkg-query -W -f='${Conffiles}\n' portcullis | grep -q /etc/portcullis/portcullis.conf \
	|| fail "/etc/portcullis/portcullis.conf is not a conffile"

echo "== the daemon, started as the unit starts it"
start=$(grep '^ExecStart=' "$root/lib/systemd/system/portcullis.service" | cut -d= -f2-)
# unshare, sh and chroot each exec the next: $! ends up the daemon's PID.
unshare -n sh -c "ip link set lo up; exec chroot '$root' $start" >/tmp/package-check-daemon.log 2>&1 &
pid=$!
i=0
until chroot "$root" portcullis-ctl stats >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat /tmp/package-check-daemon.log; fail "daemon not ready"; }
	sleep 0.1
done
[ "$(readlink "/proc/$pid/root")" = "$root" ] || fail "process $pid is not the daemon in $root"
grep -E '^(Uid|Gid):' "/proc/$pid/status"
grep -q "^Uid:	$uid	$uid	$uid	$uid" "/proc/$pid/status" || fail "daemon does not run as portcullis"
# uids of the clean root mean other names on this host: compare numbers.
stat -c 'owner uid %u, mode %a: %n' "$root/run/portcullis/portcullis.ctl"
[ "$(stat -c '%u %a' "$root/run/portcullis/portcullis.ctl")" = "$uid 600" ] || fail "control socket owner/mode"
chroot "$root" portcullis-ctl stats | grep '^pool.size.total='
chroot "$root" portcullis-ctl stop >/dev/null
wait "$pid" || fail "daemon exit status $?"
pid=""
echo "package-check: ok ($(basename "$deb"))"
