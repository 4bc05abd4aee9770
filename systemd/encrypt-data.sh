#!/usr/bin/env bash
# Encryption at rest: makes DEVICE the dock's data partition, LUKS2, unlocked at every boot by a key the TPM 2.0
# releases only while PCR 7 (the Secure Boot state and keys) reads as it did here; its footage, manifests, keys and
# ledger then live on it, mounted at the config's dataDir. A recovery key is shown once on this terminal and written
# nowhere. Run by `systemd/install.sh --encrypt-data DEVICE [--force]` before the dock's first start:
#   sudo systemd/encrypt-data.sh [--force] [--config FILE] DEVICE
# Refuses (exit 2, nothing changed) a device that holds a file system, partition table or any other signature unless
# --force, one that is in use, a dock without a TPM 2.0, and a data dir that already holds data (written in the clear
# on the root file system, it would stay readable there).
# Writes /etc/crypttab (bwc-data, tpm2-device=auto), /etc/fstab (the data dir), a drop-in that keeps bwc-dock.service
# from starting without the volume, and makes the bare mount point immutable so nothing is ever written under it.
set -euo pipefail
name=bwc-data
config=/etc/bwc-dock/config.json
force=0
dev=""
while [ $# -gt 0 ]; do
  case $1 in
    --force) force=1 ;;
    --config) config=${2:?--config needs a file}; shift ;;
    -*) echo "encrypt-data: unknown option $1" >&2; exit 2 ;;
    *) [ -z "$dev" ] || { echo "encrypt-data: one device only" >&2; exit 2; }; dev=$1 ;;
  esac
  shift
done
refuse(){ echo "encrypt-data: $*; nothing was changed" >&2; exit 2; }
[ -n "$dev" ] || refuse "usage: encrypt-data.sh [--force] [--config FILE] DEVICE"
[ "$(id -u)" = 0 ] || refuse "run as root"
[ -b "$dev" ] || refuse "$dev is not a block device"
id bwc-dock >/dev/null 2>&1 || refuse "no bwc-dock user yet (install.sh --encrypt-data makes it first)"

# The data dir the daemon uses: the config's dataDir, else the daemon's default.
datadir=/var/lib/bwc-dock
if [ -f "$config" ]; then
  datadir=$(node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.stdout.write(c.dataDir ?? "/var/lib/bwc-dock")' "$config") \
    || refuse "cannot read dataDir from $config"
fi
case $datadir in /*) ;; *) refuse "dataDir $datadir is not an absolute path" ;; esac
[[ $datadir =~ ^[A-Za-z0-9/._-]+$ ]] || refuse "dataDir $datadir has characters /etc/fstab would need escaped"

# The device: not in use, and empty unless --force.
[ -z "$(lsblk -nro MOUNTPOINT "$dev" 2>/dev/null | grep -v '^$' || true)" ] || refuse "$dev (or a partition of it) is mounted"
[ -z "$(ls -A "/sys/class/block/$(basename "$(readlink -f "$dev")")/holders" 2>/dev/null || true)" ] || refuse "$dev is in use (device mapper, RAID or LVM)"
held=$(wipefs --no-act --noheadings --output TYPE "$dev") || refuse "cannot read the signatures on $dev"
held=$(echo "$held" | sort -u | tr '\n' ' ' | sed 's/^ *//')
if [ -n "$held" ] && [ "$force" = 0 ]; then
  refuse "$dev holds ${held% } (--force erases it)"
fi
# A TPM 2.0 that can seal the key.
[ "$(cat /sys/class/tpm/tpm0/tpm_version_major 2>/dev/null || true)" = 2 ] && [ -c /dev/tpmrm0 ] \
  || refuse "no TPM 2.0 (/dev/tpmrm0): turn it on in the firmware setup"
# The data dir: nothing in it yet, nothing mounted there.
if mountpoint -q "$datadir"; then refuse "something is already mounted at $datadir"; fi
[ -z "$(ls -A "$datadir" 2>/dev/null || true)" ] \
  || refuse "$datadir already holds data, written in the clear on the root file system: encrypt before the dock's first start"
if [ "$force" = 0 ] && [ -n "$(awk -v n=$name '$1==n' /etc/crypttab 2>/dev/null)" ]; then
  refuse "/etc/crypttab already has $name (--force replaces it)"
fi
if [ "$force" = 0 ] && [ -n "$(awk -v d="$datadir" '$2==d' /etc/fstab 2>/dev/null)" ]; then
  refuse "/etc/fstab already mounts $datadir (--force replaces it)"
fi

step(){ echo "encrypt-data: $*"; }
[ -z "$held" ] || { step "erasing the signatures on $dev (${held% })"; wipefs --all --quiet "$dev"; }
# The first key slot opens the volume only while the TPM and recovery keys are enrolled: 32 random bytes held in this
# shell (never in a file), removed at the end. High entropy, so PBKDF2 at its minimum is enough for it.
initial=$(head -c 32 /dev/urandom | base64 -w0)
step "LUKS2 on $dev"
printf '%s' "$initial" | cryptsetup luksFormat --batch-mode --type luks2 --label $name --key-slot 0 \
  --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - "$dev"
uuid=$(cryptsetup luksUUID "$dev")
step "TPM2 key sealed to PCR 7"
PASSWORD=$initial systemd-cryptenroll --tpm2-device=auto --tpm2-pcrs=7 "$dev"
# systemd-cryptenroll prints the recovery key alone on stdout (its explanation on stderr): kept in this shell only and
# shown below, once the volume works.
err=$(mktemp -p /run encrypt-data.XXXXXX)
recovery=$(PASSWORD=$initial systemd-cryptenroll --recovery-key "$dev" 2>"$err") || { cat "$err" >&2; rm -f "$err"; exit 1; }
rm -f "$err"
[[ $recovery =~ ^[cbdefghijklnrtuv]{8}(-[cbdefghijklnrtuv]{8}){7}$ ]] || { echo "encrypt-data: no recovery key from systemd-cryptenroll" >&2; exit 1; }
# luksKillSlot asks for a passphrase of another slot: the recovery key, which so is seen to open the volume.
printf '%s' "$recovery" | cryptsetup luksKillSlot --batch-mode --key-file - "$dev" 0
unset initial

# Unlocked at boot by systemd-cryptsetup from the TPM alone: headless, so a dock whose TPM refuses never waits at a
# prompt; nofail, so it still boots (for the recovery below) with the dock not started.
touch /etc/crypttab
{ awk -v n=$name '$1!=n' /etc/crypttab; echo "$name UUID=$uuid none tpm2-device=auto,headless=true,nofail"; } > /etc/crypttab.new
mv /etc/crypttab.new /etc/crypttab
systemctl daemon-reload
step "unlocking with the TPM as at boot (systemd-cryptsetup@$name)"
systemctl start "systemd-cryptsetup@$(systemd-escape $name).service"
# No label inside: /dev/disk/by-label/$name is the LUKS volume itself (the recovery opens it by that name). No blocks
# reserved for root: nothing but the daemon writes here, and it keeps offload.minFreeBytes free itself.
mkfs.ext4 -q -m 0 /dev/mapper/$name

# The bare mount point on the root file system: the service user's as tmpfiles wants it (so nothing changes it at
# boot) and immutable, so a dock whose volume is not unlocked cannot write one byte of footage in the clear under it.
chattr -i "$datadir" 2>/dev/null || true
install -d -m 0750 -o bwc-dock -g bwc-dock "$datadir"
chattr +i "$datadir" || echo "encrypt-data: warning: $datadir cannot be made immutable on this file system" >&2
{ awk -v d="$datadir" '$2!=d' /etc/fstab; echo "/dev/mapper/$name $datadir ext4 nofail,nodev,nosuid,noexec 0 2"; } > /etc/fstab.new
mv /etc/fstab.new /etc/fstab
install -d -m 0755 /etc/systemd/system/bwc-dock.service.d
cat > /etc/systemd/system/bwc-dock.service.d/40-encrypted-data.conf <<EOF
# Written by systemd/encrypt-data.sh: the data dir is the LUKS2 volume $name (/etc/crypttab, /etc/fstab). The dock
# starts only once it is unlocked and mounted, never on the bare mount point under it.
[Unit]
RequiresMountsFor=$datadir
EOF
systemctl daemon-reload
systemctl start "$(systemd-escape --path --suffix=mount "$datadir")"
chown bwc-dock:bwc-dock "$datadir"; chmod 0750 "$datadir"
mountpoint -q "$datadir"
step "$datadir is /dev/mapper/$name (LUKS2 $uuid on $dev)"

cat <<EOF

RECOVERY KEY of the dock's data partition $dev (LUKS2 UUID $uuid).
Shown this once and stored nowhere on the dock: write it down and keep it away from the dock. It opens the footage
when the TPM no longer unlocks it (firmware or Secure Boot change, a new mainboard, the disk in another dock):

    $recovery

EOF
unset recovery
if [ -t 0 ] && [ -t 1 ]; then
  read -r -p "Press Enter once it is written down (the screen is then cleared). " _
  printf '\033[3J\033[H\033[2J'
fi
