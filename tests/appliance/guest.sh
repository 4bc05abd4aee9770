#!/bin/bash
# Inside the appliance test's guest (root, from bwc-vmtest.service after multi-user.target), one phase per boot,
# named in /mnt/share/phase; tests/appliance/run.sh boots the guest once per phase and reads the results file.
#   shift:  install as the README says, a shift over USB, watchdog and crash restarts; then a new shift's footage
#           docked and the guest waits for run.sh to kill QEMU at a random moment of that offload (power cut 1)
#   cut-N:  after power cut N-1: nothing partial, nothing lost or doubled, the ledger as the disk, verify clean, the
#           recorder's remaining files offloaded; then power cut N as in shift
#   final:  the same checks after the last power cut, and the last docking
# Files for run.sh beside the results: $PHASE.plugged-K (a docking under way, its bytes), $PHASE.finished-K (it
# ended before the cut came: another is started), $PHASE.docked (a whole docking: seconds and bytes).
# The recorder: a USB composite gadget (dummy_hcd + configfs: CDC-ACM + mass storage, 1209:0001) whose firmware is
# the project's simulator on the gadget's tty, its storage an exFAT image (firmware-protocol/simulator/gadget.ts).
# `guest.sh recorder` is the recorder's firmware itself (bwc-recorder.service, from the first boot on): the gadget
# made and the simulator run in this process's place, at boot, beside the dock's start.
set -u
if [ "${1:-}" = recorder ]; then PHASE=recorder; else
  PHASE=$(cat /mnt/share/phase)
  OUT=/mnt/share/results/$PHASE.log
  exec > >(tee "$OUT") 2>&1
  # The dock's and the recorder's logs as they come, kept on the host: a power cut loses the journal's last minutes.
  journalctl -f -n 0 -o short-monotonic -u bwc-dock -u bwc-recorder > /mnt/share/results/$PHASE.live 2>&1 &
fi
pass=0; fail=0
ok(){ echo "PASS: $*"; pass=$((pass+1)); }
ko(){ echo "FAIL: $*"; fail=$((fail+1)); }
check(){ local n=$1; shift; if "$@"; then ok "$n"; else ko "$n"; fi; }
waitfor(){ local t=$1; shift; local end=$(( $(date +%s) + t )); while [ "$(date +%s)" -lt $end ]; do "$@" && return 0; sleep 0.5; done; "$@"; }
T0=$(date +%s)
ts(){ echo "--- [${PHASE} +$(( $(date +%s) - T0 ))s] $*"; }

CLI=/opt/bwc-dock/dist/daemon/cli.js
SIM=/opt/bwc-dock/dist/firmware-protocol/simulator/gadget-cli.js
CONF=/etc/bwc-dock/config.json
DATA=/var/lib/bwc-dock
MEDIA=/run/bwc-dock/media
SERIAL=A000001; LABEL=BWCA000001
SIMDIR=/var/lib/bwc-sim
GD=/sys/kernel/config/usb_gadget/bwcrec
SMALL=4194304; MID=8388608; BIG=50331648   # 4, 8 and 48 MiB segments
RESULTS=/mnt/share/results

as_dock(){ runuser -u bwc-dock -- "$@"; }
footage_count(){ find $DATA/footage -type f 2>/dev/null | wc -l; }
partial_over(){ [ -n "$(find $DATA/tmp -type f -size +"$1" 2>/dev/null | head -1)" ]; }
tmp_empty(){ [ -z "$(find $DATA/tmp -type f 2>/dev/null | head -1)" ]; }
# The recorder's state file, read with SQLite's JSON functions (a node process per look costs seconds here).
sim_json(){ sqlite3 :memory: "SELECT $1 FROM (SELECT readfile('$SIMDIR/state.json') AS s)"; }
recorder_files(){ sim_json "json_array_length(s, '\$.files')"; }
recorded_total(){ sim_json "json_extract(s, '\$.nextSeq') - 1"; }
recorder_seqs(){ sim_json "(SELECT group_concat(value ->> 'seq', ' ') FROM json_each(s, '\$.files'))"; }
recorder_bytes(){ sim_json "(SELECT coalesce(sum(CAST(json_extract(value, '\$.size.\"\$bigint\"') AS INTEGER)), 0) FROM json_each(s, '\$.files'))"; }
recorder_list(){ sim_json "(SELECT group_concat((value ->> 'name') || ' ' || json_extract(value, '\$.size.\"\$bigint\"'), ', ') FROM json_each(s, '\$.files'))"; }
dock_log(){ journalctl -b -u bwc-dock -o cat --no-pager; }
dock_logged_since(){ journalctl -u bwc-dock -o cat --no-pager --since "@$1" | grep -q "$2"; }
verify_clean(){ as_dock node $CLI verify --data $DATA --config $CONF > /tmp/verify.txt 2>&1; local rc=$?; tail -3 /tmp/verify.txt; [ $rc -eq 0 ]; }
node_pid(){ pgrep -P "$(systemctl show -P MainPID bwc-dock)" node; }

gadget_setup(){
  modprobe dummy_hcd && modprobe libcomposite || return 1
  mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
  UDC=$(ls /sys/class/udc | head -1)
  [ -e $GD/configs/c.1/acm.usb0 ] && return 0   # made at this boot already (by bwc-recorder.service)
  mkdir -p $GD && cd $GD || return 1
  echo 0x1209 > idVendor; echo 0x0001 > idProduct; echo 0x0100 > bcdDevice; echo 0x0200 > bcdUSB
  echo 0xEF > bDeviceClass; echo 0x02 > bDeviceSubClass; echo 0x01 > bDeviceProtocol
  mkdir -p strings/0x409; echo $SERIAL > strings/0x409/serialnumber
  echo "Acme BWC" > strings/0x409/manufacturer; echo "BWC Recorder" > strings/0x409/product
  mkdir -p configs/c.1/strings/0x409; echo "ACM+MSC" > configs/c.1/strings/0x409/configuration; echo 250 > configs/c.1/MaxPower
  mkdir -p functions/acm.usb0 functions/mass_storage.0
  # A removable LUN without a medium: the recorder inserts its storage only in mass-storage mode.
  echo 1 > functions/mass_storage.0/lun.0/removable
  ln -s functions/acm.usb0 configs/c.1/; ln -s functions/mass_storage.0 configs/c.1/
  cd /
  UDC=$(ls /sys/class/udc | head -1)
}
plug(){ echo "$UDC" > $GD/UDC; }
unplug(){ echo "" > $GD/UDC; }
plugged(){ [ "$(cat /sys/class/udc/$UDC/state)" = configured ]; }
# The recorder's firmware on the gadget's tty, its storage the image; `ready` in the ack file once it serves.
sim_args(){ echo --tty /dev/ttyGS0 --image $SIMDIR/rec.img --storage $SIMDIR/storage --lun $GD/functions/mass_storage.0/lun.0 \
  --udc /sys/class/udc/$UDC --state $SIMDIR/state.json --serial $SERIAL --clips-cache /mnt/share/clip-cache --control $SIMDIR/control --ack $SIMDIR/ack; }
sim_prepare(){
  mkdir -p $SIMDIR
  if [ ! -f $SIMDIR/rec.img ]; then truncate -s 1G $SIMDIR/rec.img && mkfs.exfat -L $LABEL $SIMDIR/rec.img >/dev/null || return 1; fi
  rm -f $SIMDIR/control; mkfifo $SIMDIR/control; : > $SIMDIR/ack
}
# A recorder's firmware runs on its own processor: here it shares the guest's, so it gets the larger share of it
# (it must answer within the protocol's 1 s while the dock copies, hashes and signs).
RECORDER_UNIT=/etc/systemd/system/bwc-recorder.service
recorder_unit(){
  cat > $RECORDER_UNIT <<UNIT
[Unit]
Description=appliance test: the recorder's firmware, the simulator behind the USB gadget (tests/appliance/guest.sh)
RequiresMountsFor=/mnt/share $SIMDIR
[Service]
Nice=-10
ExecStart=/bin/bash /mnt/share/guest.sh recorder
[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload && systemctl enable -q bwc-recorder.service
}
sim_start(){
  if [ -f $RECORDER_UNIT ]; then
    systemctl start bwc-recorder.service || return 1
  else
    sim_prepare || return 1
    systemd-run --quiet --unit=bwc-recorder --collect -p Nice=-10 /usr/bin/node $SIM $(sim_args)
  fi
  # Its state file outlives a boot: ready is the firmware's own word, in the ack file.
  waitfor 300 grep -qx ready $SIMDIR/ack
}
# sim_cmd LINE: one command to the recorder's firmware, answered in the ack file.
sim_cmd(){ : > $SIMDIR/ack; echo "$1" > $SIMDIR/control; waitfor 180 grep -q "$1" $SIMDIR/ack; grep -qxF "ok $1" $SIMDIR/ack; }
# docked_and_done SINCE: the docking that started after SINCE finished and the recorder is empty.
docked_and_done(){ dock_logged_since "$1" 'docking session finished' && [ "$(recorder_files)" = 0 ]; }

finish(){
  echo; echo "guest $PHASE: $pass passed, $fail failed"
  journalctl -b -u bwc-dock -o cat --no-pager > /mnt/share/results/$PHASE-dock.journal 2>&1
  journalctl -b -o short-monotonic --no-pager > /mnt/share/results/$PHASE.journal 2>&1
  echo phase-done; sync
}

phase_shift(){
  ts "guest up: kernel $(uname -r), systemd $(systemctl --version | head -1 | cut -d' ' -f2), multi-user after $(( $(systemctl show -P ActiveEnterTimestampMonotonic multi-user.target) / 1000 )) ms"

  systemd-analyze blame --no-pager 2>/dev/null | head -5
  ts "install: systemd/install.sh --prebuilt (README: Install on a dock)"
  # The dock's USB hardware: here a virtual host controller and the gadget framework, loaded at every boot as a
  # dock's own controllers are there from the start.
  printf 'dummy_hcd\nlibcomposite\n' > /etc/modules-load.d/bwc-appliance-test.conf
  modprobe dummy_hcd; modprobe libcomposite
  # The unit settings the test changes: the watchdog fires after 20 s instead of 60 s, so the hang test is short;
  # the start may take 5 min instead of 90 s (Node under TCG on a loaded machine is 10x slower than a dock).
  mkdir -p /etc/systemd/system/bwc-dock.service.d
  printf '[Service]\nWatchdogSec=20s\nTimeoutStartSec=300s\n' > /etc/systemd/system/bwc-dock.service.d/90-appliance-test.conf
  local t=$(date +%s)
  check "built tree copied to the dock" sh -c 'mkdir -p /root/bwc-dock && tar -xf /mnt/share/bwc-dock.tar -C /root/bwc-dock'
  echo "copy took $(( $(date +%s) - t ))s"; t=$(date +%s)
  check "install.sh --prebuilt succeeds" bash /root/bwc-dock/systemd/install.sh --prebuilt
  echo "install took $(( $(date +%s) - t ))s"
  # Test only: what each stop without shutdown leaves, kept at the next boot before the dock recovers from it.
  snapshot_unit
  check "service active after install" waitfor 60 systemctl is-active -q bwc-dock
  check "udev rules written from detect.usb (1209:0001)" grep -q 'ATTRS{idVendor}=="1209", ATTRS{idProduct}=="0001"' /etc/udev/rules.d/99-bwc-dock.rules
  check "IP drop-in written" test -s /etc/systemd/system/bwc-dock.service.d/50-from-config.conf
  systemd-analyze security --no-pager bwc-dock.service 2>/dev/null | tail -1

  ts "recorder: gadget 1209:0001 (CDC-ACM + removable mass storage), simulator firmware on /dev/ttyGS0"
  check "configfs gadget made" gadget_setup
  # From here on the recorder's firmware starts at every boot, as a recorder outlives the dock's reboots.
  sim_prepare && recorder_unit
  check "recorder firmware started" sim_start
  check "recorder records 2 small and 1 big file" sim_cmd "record 2 1 $SMALL"
  sim_cmd "record 1 1 $BIG" || ko "big recording"
  local total; total=$(recorded_total); echo "recorder holds $total files: $(recorder_list)"

  ts "plug in"
  local since=$(date +%s)
  check "gadget bound (plugged)" plug
  check "host side /dev/ttyACM0 appears" waitfor 20 test -c /dev/ttyACM0
  udevadm settle -t 60
  check "udev tags the port (group bwc-dock, TAG bwc_recorder)" sh -c 'udevadm info -q property /dev/ttyACM0 | grep -q "^TAGS=.*:bwc_recorder:" && [ "$(stat -c %G /dev/ttyACM0)" = bwc-dock ]'
  check "daemon got the USB hot-plug event" waitfor 20 dock_logged_since $since 'usb recorder attach'
  check "daemon found the serial port" waitfor 20 dock_logged_since $since 'recorder port appeared'
  check "systemd-mount mounted the volume at $MEDIA/$LABEL" waitfor 60 mountpoint -q $MEDIA/$LABEL
  findmnt -no SOURCE,FSTYPE,OPTIONS $MEDIA/$LABEL

  ts "offload; cable pulled in the middle of the big file"
  check "big file being copied (a partial copy in tmp/ over 5 MiB)" waitfor 300 partial_over 5M
  ls -l $DATA/tmp 2>/dev/null | tail -2
  unplug
  check "port gone after the pull" waitfor 20 test ! -e /dev/ttyACM0
  check "volume unmounted after the pull" waitfor 30 sh -c "! mountpoint -q $MEDIA/$LABEL"
  check "daemon saw the session interrupted" waitfor 20 sh -c "journalctl -u bwc-dock -o cat --since @$since | grep -q 'docking session interrupted\|docking session failed'"
  check "partial copy discarded" waitfor 20 tmp_empty
  check "nothing erased from the recorder before signing" test "$(recorder_files)" = "$total"
  echo "footage after the pull: $(footage_count)"

  ts "plug in again: the docking completes"
  local bytes; bytes=$(recorder_bytes)
  since=$(date +%s)
  plug
  check "docking finished, recorder erased" waitfor 600 docked_and_done $since
  echo "$(( $(date +%s) - since )) $bytes" > $RESULTS/$PHASE.docked; echo "docking took $(( $(date +%s) - since ))s"
  check "every recorded file stored once ($total)" test "$(footage_count)" = "$total"
  check "no partial copy left" tmp_empty
  check "volume unmounted after EXIT_MSC" waitfor 30 sh -c "! mountpoint -q $MEDIA/$LABEL"
  check "recorder's own storage holds no footage" sh -c "[ -z \"\$(find $SIMDIR/storage -type f -name '*.MP4' | head -1)\" ]"
  check "bwc-dock verify clean" verify_clean

  ts "watchdog: the daemon hangs (SIGSTOP)"
  local pid; pid=$(node_pid); echo "node pid $pid"
  kill -STOP "$pid"
  # A restart is done when the new daemon is ready: its start takes minutes under TCG on a loaded machine.
  check "restarted by the watchdog" waitfor 400 sh -c '[ "$(systemctl show -P NRestarts bwc-dock)" = 1 ] && systemctl is-active -q bwc-dock'
  check "journal names the watchdog" sh -c "journalctl -u bwc-dock --no-pager | grep -qi 'watchdog timeout'"
  ts "crash: the daemon dies of SIGSEGV"
  pid=$(waitfor 30 node_pid); kill -SEGV "$pid"
  check "restarted after the crash" waitfor 400 sh -c '[ "$(systemctl show -P NRestarts bwc-dock)" = 2 ] && systemctl is-active -q bwc-dock'
  check "verify clean after the restarts" verify_clean

  check "dock active again before the next shift" waitfor 400 systemctl is-active -q bwc-dock
  ts "next shift: new footage docked; power cut 1 at a random moment of the offload"
  unplug; waitfor 20 test ! -e /dev/ttyACM0
  cut_wait
}

# A stop that was not a shutdown leaves the dock to recover at its start: the state the stop left is kept by
# bwc-cut-snapshot.service, which runs before the dock at every boot (installed with the dock, in shift).
CUTSNAP=/var/lib/bwc-cut
snapshot_unit(){
  cat > /etc/systemd/system/bwc-cut-snapshot.service <<UNIT
[Unit]
Description=appliance test: what a power cut left, before the dock recovers (tests/appliance/guest.sh)
Before=bwc-dock.service
RequiresMountsFor=$DATA
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'rm -rf $CUTSNAP && mkdir -p $CUTSNAP && cp -a $DATA/ledger.sqlite* $CUTSNAP/ && (cd $DATA && find tmp footage manifests -type f -printf "%%p %%s\\\\n" | sort > $CUTSNAP/files)'
[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload && systemctl enable -q bwc-cut-snapshot.service
}
snap_q(){ sqlite3 $CUTSNAP/ledger.sqlite "$1" 2>/dev/null; }
# What the cut caught, from the state it left: the last session, its files, the journal, partial copies.
describe_cut(){
  [ -s $CUTSNAP/ledger.sqlite ] || { echo "--- (no snapshot of the state the stop left)"; return; }
  local sid; sid=$(snap_q "SELECT id FROM sessions ORDER BY started_at_ms DESC LIMIT 1")
  echo "--- the stop caught session $sid: $(snap_q "SELECT result || ', ' || files_stored || ' stored, ' || files_erased || ' erased of ' || coalesce(files_total,'?') FROM sessions WHERE id='$sid'")," \
    "signed: $(snap_q "SELECT count(*) FROM manifests WHERE session_id='$sid'"), journal: $(snap_q "SELECT coalesce(group_concat(state || ' seq ' || seq, '; '), 'empty') FROM ingest_journal")," \
    "partial copies: $(grep -c '^tmp/' $CUTSNAP/files), footage files: $(grep -c '^footage/' $CUTSNAP/files)"
}

ledger_q(){ sqlite3 -readonly $DATA/ledger.sqlite "$1"; }
# Every file under footage/ is a stored recording of the ledger with its size, and every stored recording is there.
footage_is_ledger(){
  diff <(cd $DATA && find footage -type f -printf '%p %s\n' | sort) \
       <(ledger_q "SELECT stored_path || ' ' || size FROM recordings WHERE purged_at_ms IS NULL" | sort)
}
# Every seq the recorder ever recorded is on the recorder or stored once (never twice, in the ledger or on disk).
none_lost_or_doubled(){
  local n; n=$(recorded_total)
  local doubled; doubled=$(ledger_q "SELECT group_concat(seq) FROM (SELECT seq FROM recordings WHERE serial='$SERIAL' GROUP BY seq HAVING count(*) > 1)")
  [ -z "$doubled" ] || { echo "stored twice: seq $doubled"; return 1; }
  local stored on lost=""; stored=" $(ledger_q "SELECT group_concat(seq, ' ') FROM recordings WHERE serial='$SERIAL'") "
  on=" $(recorder_seqs) "
  for s in $(seq 1 $n); do case "$stored$on" in *" $s "*) ;; *) lost="$lost $s" ;; esac; done
  [ -z "$lost" ] || { echo "lost: seq$lost (recorded $n)"; return 1; }
  echo "recorded $n: $(echo $stored | wc -w) stored, $(echo $on | wc -w) still on the recorder"
}
# after_stop WHAT: the checks after a boot that followed a stop without shutdown (or a power-off mid-offload).
after_stop(){
  describe_cut
  check "service started at boot after $1" waitfor 120 systemctl is-active -q bwc-dock
  check "after $1: no partial copy left in tmp/" waitfor 30 tmp_empty
  check "after $1: footage/ holds exactly the ledger's stored files, each at its size (nothing partial)" footage_is_ledger
  check "after $1: no ingest left half-done in the ledger's journal" test "$(ledger_q 'SELECT count(*) FROM ingest_journal')" = 0
  check "after $1: bwc-dock verify clean (manifest chain, signatures, files, ledger)" verify_clean
  check "recorder gadget made again" gadget_setup
  check "recorder firmware started with its kept state" sim_start
  check "after $1: no recording lost or stored twice" none_lost_or_doubled
}
# dock_whole WHAT [verify]: plug, the docking finishes, everything recorded stored once, unplug. Writes $PHASE.docked.
# (bwc-dock verify takes half a minute here: after a power cut the next boot's checks verify what this docking did.)
dock_whole(){
  local total bytes since; total=$(recorded_total); bytes=$(recorder_bytes)
  echo "recorder holds $(recorder_files) of $total files, $bytes bytes; the dock's storage has $(df -m --output=avail $DATA | tail -1 | tr -d ' ') MiB free"
  since=$(date +%s)
  plug
  check "$1: docking finished, recorder erased" waitfor 600 docked_and_done $since
  echo "$(( $(date +%s) - since )) $bytes" > $RESULTS/$PHASE.docked; echo "docking took $(( $(date +%s) - since ))s"
  check "$1: every recorded file stored once ($total)" test "$(footage_count)" = "$total"
  [ "${2:-}" = verify ] && check "$1: bwc-dock verify clean" verify_clean
  unplug; waitfor 20 test ! -e /dev/ttyACM0
}
# A new shift's footage for the docking the power cut comes in: 2 small and 1 big file.
record_shift(){ sim_cmd "record 2 1 $SMALL" && sim_cmd "record 1 1 $MID"; }
# cut_wait: dock a new shift's footage and wait for run.sh to cut the power; a docking that ends before the cut
# came is followed by another (run.sh then knows it takes longer than it drew), three at most.
cut_wait(){
  local k since bytes
  for k in 1 2 3; do
    record_shift || ko "new shift's recordings"
    bytes=$(recorder_bytes)
    sync
    since=$(date +%s)
    plug
    echo "$bytes" > $RESULTS/$PHASE.plugged-$k
    ts "docking $k under way ($bytes bytes): waiting for the power cut"
    waitfor 600 docked_and_done $since
    echo "$(( $(date +%s) - since ))" > $RESULTS/$PHASE.finished-$k
    ts "docking $k finished in $(( $(date +%s) - since ))s before the power cut"
    unplug; waitfor 20 test ! -e /dev/ttyACM0
  done
  ko "no power cut came during three dockings"
  finish
  systemctl poweroff
}

phase_cut(){
  local n=${PHASE#cut-} what
  what="power cut $(( n - 1 ))"
  ts "guest up after $what: multi-user after $(( $(systemctl show -P ActiveEnterTimestampMonotonic multi-user.target) / 1000 )) ms"
  after_stop "$what"
  dock_whole "after $what, the recorder's remaining files"
  ts "power cut $n: a new shift docked"
  cut_wait
}

phase_final(){
  ts "guest up after the last power cut: multi-user after $(( $(systemctl show -P ActiveEnterTimestampMonotonic multi-user.target) / 1000 )) ms"
  after_stop "the last power cut"
  dock_whole "after the last power cut, the recorder's remaining files" verify
  check "the dock kept its data through every stop: its ledger's integrity check" test "$(ledger_q 'PRAGMA integrity_check')" = ok
  finish
  systemctl poweroff
}

# debug (by hand, KEEP=1 run dir): runs each /mnt/share/cmd file written from the host, output in /mnt/share/out,
# until /mnt/share/quit exists; the helpers above are defined.
phase_debug(){
  gadget_setup; UDC=$(ls /sys/class/udc | head -1)
  while [ ! -e /mnt/share/quit ]; do
    if [ -e /mnt/share/cmd ]; then mv /mnt/share/cmd /tmp/cmd.sh; . /tmp/cmd.sh > /mnt/share/out.tmp 2>&1; mv /mnt/share/out.tmp /mnt/share/out; fi
    sleep 0.3
  done
  systemctl poweroff
}

case "$PHASE" in
  recorder) gadget_setup && sim_prepare && exec /usr/bin/node $SIM $(sim_args) ;;
  debug) phase_debug ;;
  shift) phase_shift ;;
  cut-*) phase_cut ;;
  final) phase_final ;;
  encrypt-*) . /mnt/share/guest-encrypt.sh ;;
  *) echo "unknown phase $PHASE"; systemctl poweroff ;;
esac
