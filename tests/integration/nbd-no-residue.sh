#!/bin/sh
# Images served by qemu-nbd leave nothing behind, however diskatlas ends:
# no /tmp/libnbd* directory (libnbd's socket activation makes one that
# only nbd_close removes, and ignores TMPDIR) and no qemu-nbd still
# running.  Cases: --list; --lookup - killed by SIGINT, SIGTERM and
# SIGKILL while it waits on its input; SIGKILL while qemu-nbd starts;
# --lookup - into `head -1` with many lines waiting on its input
# (SIGPIPE); a corrupt vmdk (its one-line error, exit 1); images whose
# names qemu would read as an option or a protocol.
#
# Where the system allows it (root: a mount namespace) and the tree is not
# itself in /tmp (a clone made with mktemp), the script runs in a /tmp of
# its own, so that what other programs make in /tmp meanwhile cannot
# count as ours; elsewhere it compares /tmp's listings.
here=$(cd "$(dirname "$0")" && pwd -P)
case $here/ in
/tmp/*) DA_NBD_PRIVATE_TMP=0 ;;
esac
if [ -z "${DA_NBD_PRIVATE_TMP:-}" ] && command -v unshare >/dev/null 2>&1 &&
	unshare -m sh -c 'mount -t tmpfs none /tmp' >/dev/null 2>&1; then
	DA_NBD_PRIVATE_TMP=1 TMPDIR=/tmp exec unshare -m sh -c \
		'mount -t tmpfs -o mode=1777 none /tmp && exec sh "$0"' "$0"
fi
. "$(dirname "$0")/../lib.sh"
requires xz qemu-img qemu-nbd pgrep ps awk comm env mkfifo
env --default-signal=INT true 2>/dev/null || skip "env has no --default-signal"
raw=$(image lvm-gpt)
cd "$T"
qemu-img convert -O vmdk "$raw" a.vmdk
printf 'KDMV\377\377\377\377' >bad.vmdk
head -c 65536 /dev/zero >>bad.vmdk

residue() { ls -d /tmp/libnbd* 2>/dev/null | sort || true; }
residue >"$T/before"
# serving IMAGE: the qemu-nbd processes whose command line names IMAGE
serving() {
	ps -eo pid=,comm=,args= | awk -v img="$1" '$2 == "qemu-nbd" && index($0, img)'
}
# clean WHAT IMAGE: no new /tmp/libnbd* entry, and no qemu-nbd serving
# IMAGE after a bounded wait for it to see its client gone
clean() {
	for i in $(seq 50); do
		[ -z "$(serving "$2")" ] && break
		sleep 0.1
	done
	left=$(serving "$2")
	if [ -n "$left" ]; then
		echo "$left" >&2
		kill $(echo "$left" | awk '{ print $1 }') 2>/dev/null || true
		fail "$1: qemu-nbd still serves $2"
	fi
	new=$(residue | comm -13 "$T/before" -)
	[ -z "$new" ] || { rm -rf $new; fail "$1: left $new"; }
	echo "ok: $1: nothing left"
}

# a normal end
"$DA" --list "$T/a.vmdk" >list.out || fail "--list of a vmdk: exit $?"
grep -q '^  partitions' list.out || fail "--list of a vmdk: no partitions"
clean "--list" "$T/a.vmdk"

# killed while it waits on its input, the image open and read
for sig in INT TERM KILL; do
	cp a.vmdk "$sig.vmdk"
	mkfifo "in.$sig"
	env --default-signal=INT,TERM "$DA" --lookup - "$T/$sig.vmdk" \
		<"in.$sig" >"out.$sig" 2>"err.$sig" &
	pid=$!
	exec 9>"in.$sig"
	echo 1048576 >&9
	for i in $(seq 100); do [ -s "out.$sig" ] && break; sleep 0.1; done
	[ -s "out.$sig" ] || { kill -KILL "$pid"; fail "SIG$sig: no answer: $(cat "err.$sig")"; }
	pgrep -P "$pid" -x qemu-nbd >/dev/null || fail "SIG$sig: no qemu-nbd child"
	kill -"$sig" "$pid"
	st=0; wait "$pid" 2>/dev/null || st=$?
	exec 9>&-
	[ "$st" -gt 128 ] || fail "SIG$sig: diskatlas did not die of it (status $st)"
	clean "SIG$sig" "$T/$sig.vmdk"
done

# SIGKILL before the handshake: qemu-nbd waits for ever on a client that
# went before it, and loses a SIGTERM that comes while it starts (here:
# a qemu-nbd that ignores SIGTERM, and starts late)
mkdir bin
printf '#!/bin/sh\ntrap "" TERM\nsleep 2\nexec %s "$@"\n' "$(command -v qemu-nbd)" >bin/qemu-nbd
chmod +x bin/qemu-nbd
cp a.vmdk start.vmdk
PATH="$T/bin:$PATH" "$DA" --list "$T/start.vmdk" >/dev/null 2>&1 &
pid=$!
for i in $(seq 100); do pgrep -P "$pid" >/dev/null && break; sleep 0.05; done
pgrep -P "$pid" >/dev/null || fail "early SIGKILL: qemu-nbd did not start"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
sleep 2.5
clean "SIGKILL before the handshake" "$T/start.vmdk"

# SIGPIPE: the reader goes after one line of many
cp a.vmdk pipe.vmdk
first=$(seq 0 4096 50000000 |
	env --default-signal=PIPE "$DA" --lookup - "$T/pipe.vmdk" 2>/dev/null | head -1)
[ -n "$first" ] || fail "SIGPIPE: no first answer"
clean "SIGPIPE" "$T/pipe.vmdk"

# a corrupt vmdk: qemu-nbd's reason in one line of ours
st=0; "$DA" --list "$T/bad.vmdk" >bad.out 2>bad.err || st=$?
check_eq "a corrupt vmdk: status" "$st" 1
check_eq "a corrupt vmdk: lines" "$(wc -l <bad.err)" 1
grep -q "qemu-nbd cannot serve it: .*VMDK" bad.err || fail "unclear: $(cat bad.err)"
clean "a corrupt vmdk" "$T/bad.vmdk"

# names qemu would take for an option or a protocol are files all the same
for f in -dash.vmdk nbd:colon.vmdk 'json:{}.vmdk'; do
	cp a.vmdk "./$f"
	st=0; "$DA" --list "d=$f" >name.out 2>name.err || st=$?
	[ "$st" -eq 0 ] || fail "$f: exit $st: $(cat name.err)"
	grep -q '^  partitions' name.out || fail "$f: no partitions"
	clean "$f" "$f"
done
exit 0
