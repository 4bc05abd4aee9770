#!/usr/bin/env bash
# Install bwc-dock on a Debian dock: service user, code under /opt/bwc-dock, config, udev, tmpfiles, unit.
# Run as root from a checkout: sudo systemd/install.sh
# From a tree that is already built and pruned (`npm ci && npm run build && npm prune --omit=dev`, on a machine with
# the same Node and libc: a dock without network access): sudo systemd/install.sh --prebuilt
# With --encrypt-data DEVICE [--force] the data dir is a LUKS2 partition unlocked by the TPM (systemd/encrypt-data.sh,
# before the dock's first start; it shows the recovery key once).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
prefix=${PREFIX:-/opt/bwc-dock}
prebuilt=0
encrypt=()
while [ $# -gt 0 ]; do
  case $1 in
    --prebuilt) prebuilt=1 ;;
    --encrypt-data) encrypt+=("${2:?--encrypt-data needs a device}"); shift ;;
    --force) encrypt=(--force "${encrypt[@]}") ;;
    *) echo "install: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

command -v node >/dev/null || { echo "install: Node.js >= 20 is needed (apt-get install nodejs)" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "install: Node.js $major found, >= 20 needed" >&2; exit 1; }
missing=""
for c in ffmpeg socat xorriso; do command -v "$c" >/dev/null || missing="$missing $c"; done
[ -z "$missing" ] || apt-get install -y --no-install-recommends $missing >/dev/null

id bwc-dock >/dev/null 2>&1 || useradd --system --home /var/lib/bwc-dock --shell /usr/sbin/nologin --groups dialout bwc-dock

install -d -m 0755 "$prefix"
if [ "$prebuilt" = 0 ]; then
  (cd "$src" && npm ci && npm run build && npm prune --omit=dev)
else
  [ -f "$src/dist/daemon/cli.js" ] && [ -d "$src/node_modules" ] || { echo "install: --prebuilt needs dist/ and node_modules/ in $src" >&2; exit 1; }
fi
cp -a "$src/dist" "$src/node_modules" "$src/package.json" "$src/README.md" "$src/web-ui" "$prefix/"
# The unit's main process: it relays the daemon's sd_notify lines from the main PID (NotifyAccess=main).
install -d -m 0755 "$prefix/systemd"
install -m 0755 "$src/systemd/notify-relay.pl" "$prefix/systemd/notify-relay.pl"

install -d -m 0750 -o root -g bwc-dock /etc/bwc-dock
[ -f /etc/bwc-dock/config.json ] || install -m 0640 -o root -g bwc-dock "$src/systemd/config.example.json" /etc/bwc-dock/config.json
# The data partition, encrypted and mounted at the config's dataDir before anything is written there.
[ ${#encrypt[@]} -eq 0 ] || bash "$src/systemd/encrypt-data.sh" --config /etc/bwc-dock/config.json "${encrypt[@]}"
install -m 0644 "$src/systemd/bwc-dock.tmpfiles" /usr/lib/tmpfiles.d/bwc-dock.conf
systemd-tmpfiles --create /usr/lib/tmpfiles.d/bwc-dock.conf
# The recorders' serial driver, loaded at boot: the unit's DeviceAllow=char-ttyACM is resolved from /proc/devices
# when the service starts, and before the first recorder is plugged the driver is not loaded, so without this no
# recorder port could ever be opened (EPERM) until the service restarted.
echo cdc_acm > /etc/modules-load.d/bwc-dock.conf
modprobe cdc_acm || true
# The rules follow detect.usb (one block per recorder model) and detect.mountRoot: re-run this line after changing them.
node "$prefix/dist/daemon/cli.js" unit udev-rules --config /etc/bwc-dock/config.json > /etc/udev/rules.d/99-bwc-dock.rules.new
mv /etc/udev/rules.d/99-bwc-dock.rules.new /etc/udev/rules.d/99-bwc-dock.rules
udevadm control --reload-rules && udevadm trigger --subsystem-match=tty --subsystem-match=usb --subsystem-match=block || true
install -m 0644 "$src/systemd/bwc-dock.service" /etc/systemd/system/bwc-dock.service
# The unit is static and denies every IP address but localhost; this drop-in, made from the config, allows the
# console's network (console.host, address entries of console.allowedHosts) and the upstream store, and follows
# dataDir, detect.mountRoot and offload.eraseAfterCommit. Re-run this line after changing any of those keys.
install -d -m 0755 /etc/systemd/system/bwc-dock.service.d
node "$prefix/dist/daemon/cli.js" unit drop-in --config /etc/bwc-dock/config.json > /etc/systemd/system/bwc-dock.service.d/50-from-config.conf.new
mv /etc/systemd/system/bwc-dock.service.d/50-from-config.conf.new /etc/systemd/system/bwc-dock.service.d/50-from-config.conf
systemctl daemon-reload
systemctl enable --now bwc-dock.service
echo "bwc-dock installed. Add console users: sudo -u bwc-dock node $prefix/dist/daemon/cli.js user add --config /etc/bwc-dock/config.json --username admin --role admin"
