#!/bin/sh
# Images served by qemu-nbd: one child per image, started by socket
# activation, that never outlives diskatlas however it ends (normal exit,
# SIGTERM, SIGINT, SIGHUP, SIGKILL); an nbd+unix:// URI opens a server
# that is already running and answers as the image; holes come from
# base:allocation (the vmdk's map has as many never-written bytes as the
# raw image's); without qemu-nbd, one line names the Debian package.
. "$(dirname "$0")/../lib.sh"
requires jq xz qemu-img qemu-nbd timeout env
env --default-signal=INT true 2>/dev/null || skip "env has no --default-signal"
raw=$(image lvm-gpt)
cd "$T"
qemu-img convert -O vmdk "$raw" a.vmdk
qemu-img convert -O vhdx "$raw" b.vhdx

children() { pgrep -P "$1" -x qemu-nbd | sort | tr '\n' ' '; }
# alive PID: running (a zombie or a vanished process has ended)
alive() {
	s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $s in Z*) return 1;; esac
	return 0
}

for sig in TERM INT HUP KILL; do
	mkfifo "in.$sig"
	# diskatlas waits on its standard input with two images open
	env --default-signal=INT,TERM,HUP "$DA" --lookup - a.vmdk b.vhdx <"in.$sig" >/dev/null 2>&1 &
	pid=$!
	exec 9>"in.$sig"
	kids=""
	for i in $(seq 50); do
		kids=$(children "$pid")
		[ "$(echo $kids | wc -w)" -eq 2 ] && break
		sleep 0.1
	done
	check_eq "$sig: qemu-nbd children" "$(echo $kids | wc -w)" 2
	kill -"$sig" "$pid"
	wait "$pid" 2>/dev/null || true
	exec 9>&-
	for k in $kids; do
		for i in $(seq 50); do alive "$k" || break; sleep 0.1; done
		alive "$k" && { kill "$k"; fail "SIG$sig: qemu-nbd $k outlived diskatlas"; }
	done
	echo "ok: SIG$sig: both qemu-nbd children ended with diskatlas"
done

# a normal end: nothing left either
"$DA" --list a.vmdk >/dev/null &
pid=$!
wait "$pid"
sleep 0.2
left=$(pgrep -f "qemu-nbd --read-only -f vmdk a.vmdk" | wc -l) || true
check_eq "qemu-nbd left after --list" "$left" 0

# an NBD server already running, by URI
qemu-nbd --read-only -f vhdx -k "$T/nbd.sock" b.vhdx &
srv=$!
for i in $(seq 50); do [ -S "$T/nbd.sock" ] && break; sleep 0.1; done
seq 0 4099 100000000 >offsets
"$DA" --lookup - --json "lvm-gpt.img=nbd+unix:///?socket=$T/nbd.sock" <offsets >uri.json ||
	{ kill "$srv"; fail "the URI does not open"; }
kill "$srv" 2>/dev/null || true
wait "$srv" 2>/dev/null || true
"$DA" --lookup - --json "lvm-gpt.img=$raw" <offsets >raw.json
cmp raw.json uri.json || fail "lookups through nbd+unix:// differ from the raw image's"
echo "ok: nbd+unix:// answers $(wc -l <offsets) lookups as the raw image"

# holes through base:allocation: the map of the vmdk, cell by cell
"$DA" --map --width 64 --height 8 "lvm-gpt.img=a.vmdk" | head -9 >vmdk.map
"$DA" --map --width 64 --height 8 "lvm-gpt.img=$raw" | head -9 >raw.map
diff raw.map vmdk.map >&2 || fail "the vmdk's map (holes) differs from the raw image's"

# a vmdk qemu-nbd refuses: its reason, in one line of ours
printf 'KDMV\377\377\377\377' >bad.vmdk
head -c 65536 /dev/zero >>bad.vmdk
st=0; "$DA" --list bad.vmdk >out 2>err || st=$?
check_eq "a broken vmdk: status" "$st" 1
check_eq "a broken vmdk: lines" "$(wc -l <err)" 1
grep -q "qemu-nbd cannot serve it: .*VMDK" err || fail "unclear: $(cat err)"
echo "ok: $(cat err)"

# no qemu-nbd: one line naming the package
mkdir empty
ln -s "$(command -v xz)" empty/xz
st=0; PATH="$T/empty" "$DA" --list a.vmdk >out 2>err || st=$?
check_eq "without qemu-nbd: status" "$st" 1
check_eq "without qemu-nbd: lines" "$(wc -l <err)" 1
grep -q "qemu-utils" err || fail "the line does not name qemu-utils: $(cat err)"
echo "ok: without qemu-nbd: $(cat err)"
