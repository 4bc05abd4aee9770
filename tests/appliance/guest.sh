#!/bin/bash
# Inside the appliance test's guest (root, from bwc-vmtest.service after multi-user.target), one phase per boot,
# named in /mnt/share/phase; tests/appliance/run.sh boots the guest once per phase and reads the results file.
#   shift:  install as the README says, a shift over USB, watchdog and crash restarts, power-off mid-offload
#   resume: after that power-off, the offload resumes at the next docking
# The recorder: a USB composite gadget (dummy_hcd + configfs: CDC-ACM + mass storage, 1209:0001) whose firmware is
# the project's simulator on the gadget's tty, its storage an exFAT image (firmware-protocol/simulator/gadget.ts).
set -u
PHASE=$(cat /mnt/share/phase)
OUT=/mnt/share/results/$PHASE.log
exec > >(tee "$OUT") 2>&1
pass=0; fail=0
ok(){ echo "PASS: $*"; pass=$((pass+1)); }
ko(){ echo "FAIL: $*"; fail=$((fail+1)); }
check(){ local n=$1; shift; if "$@"; then ok "$n"; else ko "$n"; fi; }
waitfor(){ local t=$1; shift; local end=$(( $(date +%s) + t )); while [ "$(date +%s)" -lt $end ]; do "$@" && return 0; sleep 0.2; done; "$@"; }
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
SMALL=4194304; BIG=100663296   # 4 MiB and 96 MiB segments

as_dock(){ runuser -u bwc-dock -- "$@"; }
footage_count(){ find $DATA/footage -type f 2>/dev/null | wc -l; }
partial_over(){ [ -n "$(find $DATA/tmp -type f -size +"$1" 2>/dev/null | head -1)" ]; }
tmp_empty(){ [ -z "$(find $DATA/tmp -type f 2>/dev/null | head -1)" ]; }
sim_json(){ node -p "const s=require('$SIMDIR/state.json'); $1"; }
recorder_files(){ sim_json 's.files.length'; }
recorded_total(){ sim_json 's.nextSeq - 1'; }
dock_log(){ journalctl -b -u bwc-dock -o cat --no-pager; }
dock_logged_since(){ journalctl -u bwc-dock -o cat --no-pager --since "@$1" | grep -q "$2"; }
verify_clean(){ as_dock node $CLI verify --data $DATA --config $CONF > /tmp/verify.txt 2>&1; local rc=$?; tail -3 /tmp/verify.txt; [ $rc -eq 0 ]; }
node_pid(){ pgrep -P "$(systemctl show -P MainPID bwc-dock)" node; }

gadget_setup(){
  modprobe dummy_hcd && modprobe libcomposite || return 1
  mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
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
sim_start(){
  mkdir -p $SIMDIR
  if [ ! -f $SIMDIR/rec.img ]; then truncate -s 1G $SIMDIR/rec.img && mkfs.exfat -L $LABEL $SIMDIR/rec.img >/dev/null || return 1; fi
  rm -f $SIMDIR/control; mkfifo $SIMDIR/control; : > $SIMDIR/ack
  systemd-run --quiet --unit=bwc-recorder --collect /usr/bin/node $SIM --tty /dev/ttyGS0 --image $SIMDIR/rec.img \
    --storage $SIMDIR/storage --lun $GD/functions/mass_storage.0/lun.0 --udc-state /sys/class/udc/$UDC/state \
    --state $SIMDIR/state.json --serial $SERIAL --clips-cache /mnt/share/clip-cache --control $SIMDIR/control --ack $SIMDIR/ack
  waitfor 30 test -f $SIMDIR/state.json
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
  echo "copy took $(( $(date +%s) - t ))s"
  check "install.sh --prebuilt succeeds" bash /root/bwc-dock/systemd/install.sh --prebuilt
  echo "install took $(( $(date +%s) - t ))s"
  check "service active after install" waitfor 60 systemctl is-active -q bwc-dock
  check "udev rules written from detect.usb (1209:0001)" grep -q 'ATTRS{idVendor}=="1209", ATTRS{idProduct}=="0001"' /etc/udev/rules.d/99-bwc-dock.rules
  check "IP drop-in written" test -s /etc/systemd/system/bwc-dock.service.d/50-from-config.conf
  systemd-analyze security --no-pager bwc-dock.service 2>/dev/null | tail -1

  ts "recorder: gadget 1209:0001 (CDC-ACM + removable mass storage), simulator firmware on /dev/ttyGS0"
  check "configfs gadget made" gadget_setup
  check "recorder firmware started" sim_start
  check "recorder records 2 small and 1 big file" sim_cmd "record 2 1 $SMALL"
  sim_cmd "record 1 1 $BIG" || ko "big recording"
  local total; total=$(recorded_total); echo "recorder holds $total files: $(sim_json 's.files.map(f=>f.name+" "+f.size.$bigint).join(", ")')"

  ts "plug in"
  local since=$(date +%s)
  check "gadget bound (plugged)" plug
  check "host side /dev/ttyACM0 appears" waitfor 20 test -c /dev/ttyACM0
  check "udev tags the port (group bwc-dock, TAG bwc_recorder)" sh -c 'udevadm info -q property /dev/ttyACM0 | grep -q "^TAGS=.*:bwc_recorder:" && [ "$(stat -c %G /dev/ttyACM0)" = bwc-dock ]'
  check "daemon got the USB hot-plug event" waitfor 20 dock_logged_since $since 'usb recorder attach'
  check "daemon found the serial port" waitfor 20 dock_logged_since $since 'recorder port appeared'
  check "systemd-mount mounted the volume at $MEDIA/$LABEL" waitfor 60 mountpoint -q $MEDIA/$LABEL
  findmnt -no SOURCE,FSTYPE,OPTIONS $MEDIA/$LABEL

  ts "offload; cable pulled in the middle of the big file"
  check "big file being copied (partial copy in tmp/)" waitfor 180 partial_over 2M
  ls -l $DATA/tmp 2>/dev/null | tail -2
  unplug
  check "port gone after the pull" waitfor 20 test ! -e /dev/ttyACM0
  check "volume unmounted after the pull" waitfor 30 sh -c "! mountpoint -q $MEDIA/$LABEL"
  check "daemon saw the session interrupted" waitfor 20 sh -c "journalctl -u bwc-dock -o cat --since @$since | grep -q 'docking session interrupted\|docking session failed'"
  check "partial copy discarded" waitfor 20 tmp_empty
  check "nothing erased from the recorder before signing" test "$(recorder_files)" = "$total"
  echo "footage after the pull: $(footage_count)"

  ts "plug in again: the docking completes"
  since=$(date +%s)
  plug
  check "docking finished, recorder erased" waitfor 300 docked_and_done $since
  check "every recorded file stored once ($total)" test "$(footage_count)" = "$total"
  check "no partial copy left" tmp_empty
  check "volume unmounted after EXIT_MSC" waitfor 30 sh -c "! mountpoint -q $MEDIA/$LABEL"
  check "recorder's own storage holds no footage" sh -c "[ -z \"\$(find $SIMDIR/storage -type f -name '*.MP4' | head -1)\" ]"
  check "bwc-dock verify clean" verify_clean

  ts "watchdog: the daemon hangs (SIGSTOP)"
  local pid; pid=$(node_pid); echo "node pid $pid"
  kill -STOP "$pid"
  check "restarted by the watchdog" waitfor 90 sh -c '[ "$(systemctl show -P NRestarts bwc-dock)" = 1 ] && systemctl is-active -q bwc-dock'
  check "journal names the watchdog" sh -c "journalctl -u bwc-dock --no-pager | grep -qi 'watchdog timeout'"
  ts "crash: the daemon dies of SIGSEGV"
  pid=$(waitfor 30 node_pid); kill -SEGV "$pid"
  check "restarted after the crash" waitfor 60 sh -c '[ "$(systemctl show -P NRestarts bwc-dock)" = 2 ] && systemctl is-active -q bwc-dock'
  check "verify clean after the restarts" verify_clean

  ts "next shift: new footage; power off (clean) in the middle of the offload"
  unplug; waitfor 20 test ! -e /dev/ttyACM0
  sim_cmd "record 1 1 $BIG" || ko "second shift's recordings"
  sim_cmd "record 1 1 $SMALL" || ko "second shift's recordings"
  echo "recorder holds $(recorder_files) files, $(recorded_total) recorded in all"
  since=$(date +%s)
  plug
  check "offload under way before the power-off" waitfor 180 partial_over 2M
  finish
  systemctl poweroff
}

phase_resume(){
  ts "guest up again after the power-off: multi-user after $(( $(systemctl show -P ActiveEnterTimestampMonotonic multi-user.target) / 1000 )) ms"
  check "service started at boot" waitfor 60 systemctl is-active -q bwc-dock
  check "no partial copy after the reboot" waitfor 30 tmp_empty
  check "verify clean before the next docking" verify_clean
  check "recorder gadget made again" gadget_setup
  check "recorder firmware started with its kept state" sim_start
  local total; total=$(recorded_total); echo "recorder holds $(recorder_files) of $total files"
  local since=$(date +%s)
  plug
  check "docking after the reboot finished, recorder erased" waitfor 300 docked_and_done $since
  check "every recorded file stored once ($total)" test "$(footage_count)" = "$total"
  check "verify clean after the resumed offload" verify_clean
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
  debug) phase_debug ;;
  shift) phase_shift ;;
  resume) phase_resume ;;
  encrypt-*) . /mnt/share/guest-encrypt.sh ;;
  *) echo "unknown phase $PHASE"; systemctl poweroff ;;
esac
