#!/usr/bin/env bash
# npm run test:appliance: the dock on a real operating system with a real USB recorder.
#
# Boots a Debian 12 guest under QEMU (TCG: this machine's /dev/kvm boots no stock kernel), installs the dock in it as
# the README's "Install on a dock" says (systemd/install.sh, from a built and pruned tree passed in over 9p: the guest
# has no network), and drives shifts through the real stack: a recorder emulated as a USB composite gadget (dummy_hcd
# + configfs: CDC-ACM + mass storage, 1209:0001) whose firmware is the project's simulator on the gadget's tty, udev,
# systemd-mount, the hardened unit, the watchdog, reboots. tests/appliance/guest.sh runs inside, one phase per boot.
#
# The guest image is cached in $BWC_VM_CACHE (default /var/cache/bwc-vm), keyed by its recipe; each run boots it
# through its own qcow2 overlay (the cached image is never written), kept across the run's boots and removed after.
# Env: BWC_VM_CACHE, MIRROR (default: the one apt uses), REBUILD=1 (ignore the cached image), KEEP=1 (keep the run dir).
# Prints each step with its time and, last, "N passed, M failed"; exit 0 only when nothing failed. Run as root.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
CACHE=${BWC_VM_CACHE:-/var/cache/bwc-vm}
SUITE=bookworm
T0=$(date +%s)
step(){ echo "=== [$(( $(date +%s) - T0 ))s] $*"; }
pass=0; fail=0
[ "$(id -u)" = 0 ] || { echo "test:appliance must run as root (mmdebstrap, QEMU, swtpm)"; echo "0 passed, 1 failed"; exit 1; }
for c in qemu-system-x86_64 qemu-img mmdebstrap mkfs.ext4 node; do
  command -v $c >/dev/null || { echo "missing $c: apt-get install qemu-system-x86 qemu-utils mmdebstrap e2fsprogs"; echo "0 passed, 1 failed"; exit 1; }
done
MIRROR=${MIRROR:-$( (awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null;
                     awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null; true) | head -1)}
[ -n "$MIRROR" ] || { echo "no Debian mirror in the apt sources: set MIRROR"; echo "0 passed, 1 failed"; exit 1; }
# What a dock runs (install.sh's ffmpeg socat xorriso; perl-base and passwd are in every Debian), what the kernel
# and the tests need (exfatprogs for the recorder's volume, procps), and cryptsetup/TPM tools for encryption at rest.
PKGS=systemd,systemd-sysv,udev,kmod,linux-image-amd64,initramfs-tools,dosfstools,exfatprogs,cryptsetup-bin,usbutils,procps,sudo,ffmpeg,socat,xorriso,sqlite3,libtss2-esys-3.0.2-0,libtss2-rc0,libtss2-mu0,libtss2-tcti-device0,tpm2-tools

configure_rootfs() {
  local R=$1
  echo bwc-dock-vm > $R/etc/hostname
  printf '127.0.0.1 localhost\n127.0.1.1 bwc-dock-vm\n' > $R/etc/hosts
  cat > $R/etc/fstab <<'FSTAB'
/dev/vda  /          ext4  rw,errors=remount-ro  0 1
share     /mnt/share 9p    trans=virtio,version=9p2000.L,msize=262144,nofail,x-systemd.device-timeout=10s  0 0
FSTAB
  mkdir -p $R/mnt/share
  chroot $R passwd -d root >/dev/null
  systemctl --root=$R set-default multi-user.target >/dev/null 2>&1
  systemctl --root=$R disable apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
    fstrim.timer e2scrub_reap.service getty@tty1.service systemd-pstore.service >/dev/null 2>&1 || true
  # One phase of tests/appliance/guest.sh per boot (the phase is named in the share); the guest powers off after it.
  cat > $R/etc/systemd/system/bwc-vmtest.service <<'UNIT'
[Unit]
Description=bwc-dock appliance test phase (tests/appliance/guest.sh over 9p)
After=multi-user.target
RequiresMountsFor=/mnt/share
ConditionPathExists=/mnt/share/phase

[Service]
Type=oneshot
ExecStart=/bin/bash /mnt/share/guest.sh
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=40min

[Install]
WantedBy=multi-user.target
UNIT
  systemctl --root=$R enable bwc-vmtest.service >/dev/null 2>&1
  sed -i 's/^MODULES=.*/MODULES=list/' $R/etc/initramfs-tools/initramfs.conf
  printf 'virtio_pci\nvirtio_blk\next4\n' > $R/etc/initramfs-tools/modules
  mount --bind /proc $R/proc; mount --bind /sys $R/sys; mount --bind /dev $R/dev
  local rc=0; chroot $R update-initramfs -u -k all >/dev/null 2>&1 || rc=$?
  umount $R/proc $R/sys $R/dev; [ $rc -eq 0 ]
  # The dock's runtime: this machine's Node (same Debian 12 glibc), where install.sh and the unit look for it.
  install -m755 "$(readlink -f "$(command -v node)")" $R/usr/bin/node
  rm -rf $R/var/cache/apt/archives/*.deb
}
safe_rm_rootfs(){ local m; for m in proc sys dev; do mountpoint -q "$1/$m" 2>/dev/null && umount -l "$1/$m"; done; rm -rf "$1"; }

# The root file system holds the dock's data too: the system and the dock take about 2 GiB, the dock keeps
# offload.minFreeBytes (1 GiB) free, and six boots of shifts store about 300 MiB (at 3 GiB, the last docking was
# refused as disk_low: rightly, by the dock).
ROOT_SIZE=4G
KEY=$( { echo "mmdebstrap $SUITE $MIRROR $PKGS $ROOT_SIZE"; declare -f configure_rootfs; node --version; } | sha256sum | cut -c1-16)
IMG=$CACHE/$KEY
mkdir -p "$CACHE"
step "1. guest image (key $KEY)"
if [ "${REBUILD:-0}" = 1 ] || [ ! -s $IMG/root.img ] || [ ! -s $IMG/vmlinuz ]; then
  (
    exec 9>"$CACHE/.lock"; flock 9
    rm -rf $IMG.tmp; mkdir -p $IMG.tmp
    t=$(date +%s)
    # mmdebstrap (apt's downloads) rather than debootstrap (one wget per package): 290 s against 505 s here.
    mmdebstrap --variant=minbase --include=$PKGS $SUITE $IMG.tmp/rootfs "$MIRROR" > $IMG.tmp/mmdebstrap.log 2>&1 \
      || { tail -20 $IMG.tmp/mmdebstrap.log; exit 1; }
    echo "    mmdebstrap $SUITE from $MIRROR: $(( $(date +%s) - t ))s"
    configure_rootfs $IMG.tmp/rootfs
    cp $IMG.tmp/rootfs/boot/vmlinuz-* $IMG.tmp/vmlinuz; cp $IMG.tmp/rootfs/boot/initrd.img-* $IMG.tmp/initrd.img
    mkfs.ext4 -q -F -L root -d $IMG.tmp/rootfs $IMG.tmp/root.img $ROOT_SIZE >/dev/null
    safe_rm_rootfs $IMG.tmp/rootfs
    rm -rf $IMG; mv $IMG.tmp $IMG
    # Older images (other keys) are of no more use, but a run started before this one may still boot the last one.
    ls -dt "$CACHE"/*/ 2>/dev/null | tail -n +3 | while read -r d; do rm -rf "$d"; done
    true
  ) || { echo "guest image build failed"; echo "0 passed, 1 failed"; exit 1; }
  echo "    built in $(( $(date +%s) - T0 ))s (cold cache)"
else
  echo "    cached: $IMG (warm cache)"
fi
[ "${BUILD_ONLY:-0}" = 1 ] && exit 0

RUN=$(mktemp -d /var/tmp/bwc-appliance.XXXXXX)
SHARE=$RUN/share
QEMU_PID=""; SWTPM_PID=""
cleanup(){
  [ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null || true
  [ -n "$SWTPM_PID" ] && kill "$SWTPM_PID" 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] && echo "run dir kept: $RUN" || rm -rf "$RUN"
}
trap cleanup EXIT

step "2. the dock as a built and pruned tree (npm run build; npm prune --omit=dev on a copy)"
must(){ local out; if ! out=$("$@" 2>&1); then echo "$out" | tail -20; echo "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; fi; }
must npm run build
mkdir -p $SHARE/src $SHARE/results
cp -a package.json package-lock.json README.md web-ui systemd dist node_modules $SHARE/src/
(cd $SHARE/src && must npm prune --omit=dev --offline --no-audit --no-fund)
cp tests/appliance/guest.sh $SHARE/guest.sh
# One file over 9p: thousands of small ones (node_modules) take minutes under TCG.
tar -C $SHARE/src -cf $SHARE/bwc-dock.tar . && rm -rf $SHARE/src
echo "    $(du -sh $SHARE/bwc-dock.tar | cut -f1) to install"
# Clip templates made here (ffmpeg is the same Debian 12 build in the guest): the simulator in the guest then only
# stream-copies them, as on the host.
mkdir -p $SHARE/clip-cache
node --input-type=module -e "
  const { ClipFactory } = await import('$ROOT/dist/firmware-protocol/simulator/clips.js');
  const f = new ClipFactory({ cacheDir: '$SHARE/clip-cache' });
  await f.make({ kind: 'video', durationMs: 3000, dest: '$RUN/warm.mp4', createdAt: Date.now(), unique: 'warm' });
" && rm -f $RUN/warm.mp4

qemu-img create -q -f qcow2 -b $IMG/root.img -F raw $RUN/overlay.qcow2

# boot PHASE [QEMU ARGS...]: one boot of the guest running guest.sh PHASE (root disk $DISK, default the run's overlay);
# a guest kernel that fails (an oops, a CPU stuck) panics and ends QEMU at once, its trace at the serial log's end
# (seen once in four runs: an oops in dummy_hcd's unbind while usb-storage had requests in flight, after which the
# guest spun until the 30-minute timeout);
# QEMU is ended by the guest's poweroff, or killed by cut_power while it runs (boot PHASE & … wait). A CPU without AVX
# (Nehalem): under TCG, OpenSSL's AVX2 SHA-256 is 3 times slower than its SSSE3 one (64 MiB hashed in Node in the
# guest: 23 s against 7 s), and the dock hashes everything it copies. No network card: a dock needs none here.
# CPU seconds (user + system) of this shell's finished children: a boot's cost apart from how loaded the machine is.
# Sets CPU (`times` in this very shell: in a pipe or $(…) it would be a subshell's, which has no children).
children_cpu(){ times > $RUN/times.txt; CPU=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } printf "%d", s }' $RUN/times.txt); }
boot(){
  local phase=$1 t=$(date +%s) c0; children_cpu; c0=$CPU; shift
  echo "$phase" > $SHARE/phase
  rm -f $RUN/qemu.pid
  timeout 1800 qemu-system-x86_64 -accel tcg -machine q35 -cpu Nehalem -m 1600 -smp 2 -nographic -no-reboot -nic none \
    -kernel $IMG/vmlinuz -initrd $IMG/initrd.img \
    -append "console=ttyS0 root=/dev/vda rw panic=-1 oops=panic softlockup_panic=1 quiet systemd.show_status=0" \
    -drive file=${DISK:-$RUN/overlay.qcow2},format=qcow2,if=virtio,cache=writeback \
    -virtfs local,path="$SHARE",mount_tag=share,security_model=none,id=share -pidfile $RUN/qemu.pid "$@" \
    </dev/null > $RUN/serial-$phase.log 2>&1 &
  QEMU_PID=$!
  wait $QEMU_PID || echo "    qemu exit status $?"
  QEMU_PID=""; children_cpu
  echo "    boot '$phase': $(( $(date +%s) - t ))s, QEMU used $(( CPU - c0 )) CPU seconds (load average now $(cut -d' ' -f1 /proc/loadavg))"
}
# collect PHASE: the guest's PASS/FAIL lines and step times into this run's totals.
collect(){
  local f=$SHARE/results/$1.log
  if ! grep -q '^phase-done' $f 2>/dev/null; then
    echo "FAIL: phase '$1' did not finish; serial console tail:"; tail -30 $RUN/serial-$1.log | sed 's/^/    /'
    [ -f $f ] && tail -30 $f | sed 's/^/    /'
    fail=$((fail+1))
  fi
  [ -f $f ] || return 0
  grep -E '^(---|PASS|FAIL)' $f | sed 's/^/    /' || true
  pass=$((pass + $(grep -c '^PASS' $f || true))); fail=$((fail + $(grep -c '^FAIL' $f || true)))
}

now_ms(){ date +%s%3N; }
# cut_power PHASE N: while the guest runs PHASE, wait for its docking (PHASE.plugged-K) and SIGKILL QEMU at a moment
# drawn uniformly from that docking's expected length ($EXPECT_S: the last whole docking of the same footage); a
# docking that ends first (PHASE.finished-K) teaches the length and the guest starts another. No shutdown: the
# guest's disk holds what the virtual disk had been given (QEMU's qcow2 metadata not yet flushed is lost, like a
# disk's cache).
CUTS=""; EXPECT_S=""
cut_power(){
  local phase=$1 n=$2 k=1 plugged_at at_ms drawn bytes r=$SHARE/results
  while [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; do
    if [ -s $r/$phase.plugged-$k ]; then
      plugged_at=$(now_ms); bytes=$(cat $r/$phase.plugged-$k)
      # The docking's expected length: this boot's whole docking when it carried as many bytes (the footage a cut
      # left, all of it), else the last one learnt, else this boot's whole docking, else a minute.
      local secs bbytes; read -r secs bbytes < $r/$phase.docked 2>/dev/null || true
      if [ -n "${secs:-}" ] && { [ "${bbytes:-}" = "$bytes" ] || [ -z "$EXPECT_S" ]; }; then EXPECT_S=$secs; fi
      [ -n "$EXPECT_S" ] || EXPECT_S=60; [ "$EXPECT_S" -ge 2 ] || EXPECT_S=2
      drawn=$(( (RANDOM * 32768 + RANDOM) % (EXPECT_S * 1000) ))
      at_ms=$(( plugged_at + drawn ))
      while [ "$(now_ms)" -lt $at_ms ] && [ ! -s $r/$phase.finished-$k ]; do sleep 0.1; done
      if [ -s $r/$phase.finished-$k ]; then
        echo "    docking $k took $(cat $r/$phase.finished-$k)s, ended before the cut drawn at $(( drawn / 1000 )).$(( drawn % 1000 / 100 ))s: another"
        read -r EXPECT_S < $r/$phase.finished-$k; [ "$EXPECT_S" -ge 2 ] || EXPECT_S=2; k=$((k+1)); continue
      fi
      kill -KILL "$(cat $RUN/qemu.pid)"
      CUTS="$CUTS
    power cut $n: QEMU killed $(( drawn / 1000 )).$(( drawn % 1000 / 100 ))s after the plug of docking $k ($bytes bytes; a whole one took about ${EXPECT_S}s)"
      echo "    power cut $n: SIGKILL to QEMU $(( drawn / 1000 )).$(( drawn % 1000 / 100 ))s into docking $k"
      return 0
    fi
    sleep 0.2
  done
  return 1
}
# collect_cut PHASE: the guest's checks up to the cut; the cut itself must have come during a docking.
collect_cut(){
  local f=$SHARE/results/$1.log
  grep -E '^(---|PASS|FAIL)' $f 2>/dev/null | sed 's/^/    /' || true
  pass=$((pass + $(grep -c '^PASS' $f 2>/dev/null || true))); fail=$((fail + $(grep -c '^FAIL' $f 2>/dev/null || true)))
  if [ "$2" = cut ]; then echo "    PASS: power cut during a docking"; pass=$((pass+1))
  else echo "FAIL: phase '$1': no power cut during a docking; serial console tail:"; tail -30 $RUN/serial-$1.log | sed 's/^/    /'; fail=$((fail+1)); fi
}

# cut_boot PHASE N: one boot running PHASE, power cut N at a random moment of its last docking.
cut_boot(){
  rm -f $RUN/qemu.pid
  boot $1 & local boot_pid=$!
  until QEMU_PID=$(cat $RUN/qemu.pid 2>/dev/null) && [ -n "$QEMU_PID" ]; do sleep 0.2; kill -0 $boot_pid 2>/dev/null || break; done
  if cut_power $1 $2; then wait $boot_pid || true; collect_cut $1 cut; else wait $boot_pid || true; collect_cut $1 none; fi
  QEMU_PID=""
}
# The power cuts' moments are drawn from a seed printed here (CUT_SEED=… repeats them).
SEED=${CUT_SEED:-$(( $(od -An -N2 -tu2 /dev/urandom) ))}; RANDOM=$SEED

step "3. boot 1: install as the README says, a shift over USB (offload, sign, erase, unplug mid-file, replug, verify), watchdog and crash restarts; power cut 1 at a random moment of the next shift's offload (seed $SEED)"
cut_boot shift 1
# Five power cuts in all, on the same disk: each next boot checks what the cut left, offloads the recorder's
# remaining files and docks a new shift's footage until the next cut; a last boot checks after the fifth.
for n in 2 3 4 5; do
  step "$((2+n)). boot $n: checks after power cut $((n-1)), the remaining files offloaded; power cut $n at a random moment of the next docking"
  cut_boot cut-$n $n
done
step "8. boot 6: checks after power cut 5, the last docking"
boot final; collect final
echo "    the power cuts (seed $SEED; CUT_SEED=$SEED repeats the draws):$CUTS"
# Encryption at rest: a fresh install on a LUKS2 data disk unlocked by swtpm (three boots; tests/appliance/encrypt.sh).
. tests/appliance/encrypt.sh
[ "${KEEP:-0}" = 1 ] && cp $SHARE/results/*.log $RUN/ 2>/dev/null || true
step "done in $(( $(date +%s) - T0 ))s"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
