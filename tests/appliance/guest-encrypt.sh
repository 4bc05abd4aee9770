# Encryption at rest, inside the appliance test's guest: sourced by guest.sh (its helpers: check, ok, ko, waitfor, ts,
# gadget_setup, sim_start, sim_cmd, plug, docked_and_done, footage_count, verify_clean, finish) for the phases
# tests/appliance/encrypt.sh boots, each on the same root overlay and data disk (/dev/vdb):
#   encrypt-install: swtpm as the TPM; install.sh --prebuilt --encrypt-data /dev/vdb; a docking; where a footage
#                    file's, the ledger's, a manifest's and the key's bytes are on the unlocked volume, for the host
#                    to look at the same place of the disk image
#   encrypt-reboot:  the same TPM: the volume unlocked unattended, the dock as it was and docking again; PCR 7
#                    changed (as a Secure Boot change would) and the TPM refuses, re-sealed with the recovery key
#   encrypt-notpm:   no TPM: nothing unlocked, the dock not started; the recovery key opens the volume (README's
#                    recovery procedure) and the dock runs with its footage
# The recovery key the installer showed is in the share (enc/install.out): the test's sheet of paper.
DATADEV=/dev/vdb
ENC=/mnt/share/enc
NAME=bwc-data
CRYPT_UNIT="systemd-cryptsetup@bwc\\x2ddata.service"
KEY_RE='[cbdefghijklnrtuv]{8}(-[cbdefghijklnrtuv]{8}){7}'

recovery_key(){ grep -oE "$KEY_RE" $ENC/install.out | head -1; }
hex_at(){ dd if="$1" bs=1 skip="$2" count="$3" status=none | od -An -tx1 -v | tr -d ' \n'; }
luks_data_offset(){ cryptsetup luksDump $DATADEV | awk '/^Data segments:/{f=1} f&&/offset:/{print $2; exit}'; }
keyslots(){ cryptsetup luksDump $DATADEV | awk '/^Keyslots:/{f=1;next} /^[A-Z]/{f=0} f&&/^  [0-9]+: luks2/' | wc -l; }
tokens(){ cryptsetup luksDump $DATADEV | awk '/^Tokens:/{f=1;next} /^[A-Z]/{f=0} f&&/^  [0-9]+: /{print $2}' | sort | tr '\n' ' '; }
tpm_unseals(){ cryptsetup open --test-passphrase --token-only $DATADEV; }
ledger_recordings(){ sqlite3 -readonly $DATA/ledger.sqlite 'SELECT count(*) FROM recordings'; }

# probe NAME FILE OFFSET LEN: LEN bytes of FILE (on the unlocked volume) at OFFSET: found at their place on
# /dev/mapper/bwc-data (so the host's look at the disk image can fail), and that place in the disk image written to
# enc/probes for the host ("NAME HEX DISK_OFFSET").
probe(){
  local name=$1 file=$2 off=$3 len=$4 rel=${2#"$DATA"} dev=/dev/mapper/$NAME bs phys hex at
  bs=$(dumpe2fs -h $dev 2>/dev/null | awk '/^Block size:/{print $3}')
  phys=$(debugfs -R "bmap $rel $(( off / bs ))" $dev 2>/dev/null)
  hex=$(hex_at "$file" "$off" "$len")
  at=$(( phys * bs + off % bs ))
  echo "$name: $rel at $off, volume block $phys of $bs bytes"
  [ "${phys:-0}" -gt 0 ] && [ ${#hex} = $(( len * 2 )) ] && [ $(( off % bs + len )) -le "$bs" ] || return 1
  [ "$(dd if=$dev bs="$bs" skip="$phys" count=1 iflag=direct status=none | od -An -tx1 -v -j $(( off % bs )) -N "$len" | tr -d ' \n')" = "$hex" ] || return 1
  echo "$name $hex $(( $(luks_data_offset) + at ))" >> $ENC/probes
}

phase_encrypt_install(){
  ts "guest up: multi-user after $(( $(systemctl show -P ActiveEnterTimestampMonotonic multi-user.target) / 1000 )) ms"
  mkdir -p $ENC; rm -f $ENC/probes $ENC/install.out
  check "the guest has a TPM 2.0 (swtpm)" test "$(cat /sys/class/tpm/tpm0/tpm_version_major 2>/dev/null)" = 2
  echo "PCR 7: $(tpm2_pcrread sha256:7 2>/dev/null | awk '/7 *:/{print $3}')"
  check "data disk $DATADEV is blank" sh -c "test -b $DATADEV && [ -z \"\$(wipefs -n --noheadings --output TYPE $DATADEV)\" ]"

  ts "install: systemd/install.sh --prebuilt --encrypt-data $DATADEV (README: Install on a dock)"
  printf 'dummy_hcd\nlibcomposite\n' > /etc/modules-load.d/bwc-appliance-test.conf
  modprobe dummy_hcd; modprobe libcomposite
  # Node under TCG on a loaded machine starts 10x slower than on a dock.
  mkdir -p /etc/systemd/system/bwc-dock.service.d
  printf '[Service]\nTimeoutStartSec=300s\n' > /etc/systemd/system/bwc-dock.service.d/90-appliance-test.conf
  check "built tree copied to the dock" sh -c 'mkdir -p /root/bwc-dock && tar -xf /mnt/share/bwc-dock.tar -C /root/bwc-dock'
  local t=$(date +%s)
  # The installer's output goes to the share only (the operator's screen): not to the journal on the dock's disk.
  check "install.sh --prebuilt --encrypt-data $DATADEV succeeds" sh -c "bash /root/bwc-dock/systemd/install.sh --prebuilt --encrypt-data $DATADEV > $ENC/install.out 2> $ENC/install.err"
  echo "install took $(( $(date +%s) - t ))s"
  sed -E "s/$KEY_RE/<recovery key>/" $ENC/install.out | grep -v '^$' | sed 's/^/    | /'
  tail -5 $ENC/install.err | sed 's/^/    ! /'
  check "recovery key shown once" test "$(grep -cE "$KEY_RE" $ENC/install.out)" = 1
  cryptsetup luksDump $DATADEV | sed -n '/^Keyslots:/,$p' | grep -E '^[A-Z]|^  [0-9]+:|tpm2-(hash-)?pcrs|tpm2-pcr-bank|offset:|type:' | sed 's/^/    /'
  check "LUKS2 on $DATADEV" sh -c "cryptsetup luksDump $DATADEV | grep -qE '^Version:\s+2$'"
  check "tokens: TPM2 and recovery" test "$(tokens)" = "systemd-recovery systemd-tpm2 "
  check "TPM2 key sealed to PCR 7 only" sh -c "cryptsetup luksDump $DATADEV | grep -qE '^\s+tpm2(-hash)?-pcrs:\s+7$'"
  check "two key slots (the installer's own passphrase removed)" test "$(keyslots)" = 2
  check "crypttab: $NAME by UUID, tpm2-device=auto" grep -qE "^$NAME UUID=$(cryptsetup luksUUID $DATADEV) none tpm2-device=auto(,|$)" /etc/crypttab
  check "data dir mounted from /dev/mapper/$NAME" test "$(findmnt -no SOURCE $DATA)" = /dev/mapper/$NAME
  check "bare mount point under it immutable" sh -c "mkdir -p /run/rootfs && mount --bind / /run/rootfs && lsattr -d /run/rootfs$DATA | grep -q '^[^ ]*i'; r=\$?; umount /run/rootfs; exit \$r"
  check "service active after install" waitfor 120 systemctl is-active -q bwc-dock
  check "a second run refuses a device that holds a file system" sh -c "
    truncate -s 64M /var/tmp/holds-fs.img && mkfs.ext4 -q -F /var/tmp/holds-fs.img && l=\$(losetup -f --show /var/tmp/holds-fs.img) &&
    { bash /root/bwc-dock/systemd/encrypt-data.sh \$l 2>/tmp/refused; rc=\$?; cat /tmp/refused; [ \$rc = 2 ] && grep -q 'holds ext4' /tmp/refused &&
      [ \"\$(blkid -o value -s TYPE \$l)\" = ext4 ]; r=\$?; losetup -d \$l; exit \$r; }"

  ts "a docking onto the encrypted data dir"
  check "configfs gadget made" gadget_setup
  check "recorder firmware started" sim_start
  check "recorder records 2 files" sim_cmd "record 2 1 $SMALL"
  local total; total=$(recorded_total)
  local since=$(date +%s)
  plug
  check "docking finished, recorder erased" waitfor 300 docked_and_done $since
  check "every recorded file stored once ($total)" test "$(footage_count)" = "$total"
  check "bwc-dock verify clean" verify_clean
  footage_count > $ENC/footage-count

  ts "where the dock's data is on the unlocked volume"
  sync
  local f size k; f=$(find $DATA/footage -type f -size +1M | head -1); size=$(stat -c %s "$f")
  k=$(shuf -i 1-$(( size / 4096 - 2 )) -n 1)
  check "64 bytes of a footage file at a random offset found on /dev/mapper/$NAME" probe footage "$f" $(( k * 4096 + $(shuf -i 0-4032 -n 1) )) 64
  check "the ledger's SQLite header found on /dev/mapper/$NAME" probe ledger $DATA/ledger.sqlite 0 16
  check "a signed manifest's first 64 bytes found on /dev/mapper/$NAME" probe manifest "$(ls $DATA/manifests/*.json | head -1)" 0 64
  check "the dock's private key found on /dev/mapper/$NAME" probe key $DATA/keys/dock.key 0 $(( $(stat -c %s $DATA/keys/dock.key) < 64 ? $(stat -c %s $DATA/keys/dock.key) : 64 ))
  finish
  systemctl poweroff
}

phase_encrypt_reboot(){
  ts "guest up again with its TPM: multi-user after $(( $(systemctl show -P ActiveEnterTimestampMonotonic multi-user.target) / 1000 )) ms"
  local n; n=$(cat $ENC/footage-count)
  check "volume unlocked at boot by the TPM ($CRYPT_UNIT)" waitfor 120 systemctl is-active -q "$CRYPT_UNIT"
  journalctl -b -u "$CRYPT_UNIT" -o cat --no-pager | tail -3 | sed 's/^/    /'
  check "data dir mounted from /dev/mapper/$NAME" waitfor 60 sh -c "[ \"\$(findmnt -no SOURCE $DATA)\" = /dev/mapper/$NAME ]"
  check "service started at boot" waitfor 120 systemctl is-active -q bwc-dock
  echo "TPM unlock at boot took $(( ($(systemctl show -P ExecMainExitTimestampMonotonic "$CRYPT_UNIT") - $(systemctl show -P ExecMainStartTimestampMonotonic "$CRYPT_UNIT")) / 1000 )) ms"
  check "footage there ($n files)" test "$(footage_count)" = "$n" -a "$n" -gt 0
  check "ledger there ($n recordings)" test "$(ledger_recordings)" = "$n" -a "$n" -gt 0
  check "bwc-dock verify clean" verify_clean

  ts "docking again after the reboot"
  check "recorder gadget made again" gadget_setup
  check "recorder firmware started with its kept state" sim_start
  check "recorder records 1 file" sim_cmd "record 1 1 $SMALL"
  local since=$(date +%s)
  plug
  check "docking finished, recorder erased" waitfor 300 docked_and_done $since
  check "footage and ledger: $(( n + 1 ))" sh -c "[ \"\$(find $DATA/footage -type f | wc -l)\" = $(( n + 1 )) ] && [ \"\$(sqlite3 -readonly $DATA/ledger.sqlite 'SELECT count(*) FROM recordings')\" = $(( n + 1 )) ]"
  check "bwc-dock verify clean" verify_clean
  footage_count > $ENC/footage-count

  ts "PCR 7 changes (as after a Secure Boot or firmware change): the TPM refuses; re-sealed with the recovery key"
  check "the TPM releases the key (token only)" tpm_unseals
  TPM2TOOLS_TCTI=device:/dev/tpmrm0 tpm2_pcrextend "7:sha256=$(head -c 32 /dev/urandom | sha256sum | cut -d' ' -f1)" >/dev/null
  check "after PCR 7 changed the TPM refuses it" sh -c '! cryptsetup open --test-passphrase --token-only '$DATADEV
  check "re-sealed to the new PCR 7 with the recovery key" env PASSWORD="$(recovery_key)" systemd-cryptenroll --wipe-slot=tpm2 --tpm2-device=auto --tpm2-pcrs=7 /dev/disk/by-label/$NAME
  check "the TPM releases it again" tpm_unseals
  check "still two key slots, tokens TPM2 and recovery" test "$(keyslots) $(tokens)" = "2 systemd-recovery systemd-tpm2 "
  finish
  systemctl poweroff
}

phase_encrypt_notpm(){
  ts "guest up without a TPM: multi-user after $(( $(systemctl show -P ActiveEnterTimestampMonotonic multi-user.target) / 1000 )) ms"
  local n; n=$(cat $ENC/footage-count)
  check "no TPM in this boot" test ! -e /dev/tpmrm0
  check "the volume is not unlocked ($CRYPT_UNIT failed)" waitfor 120 systemctl is-failed -q "$CRYPT_UNIT"
  journalctl -b -u "$CRYPT_UNIT" -o cat --no-pager | tail -3 | sed 's/^/    /'
  check "data dir not mounted" sh -c "! mountpoint -q $DATA"
  check "the dock never started" sh -c "! systemctl is-active -q bwc-dock && [ \"\$(systemctl show -P ExecMainStartTimestampMonotonic bwc-dock)\" = 0 ]"
  check "nothing written under the bare mount point" test -z "$(ls -A $DATA)"
  check "a wrong key does not open the volume" sh -c "! printf cbdefghi | cryptsetup open --test-passphrase --key-file - $DATADEV"
  local key; key=$(recovery_key)
  check "the recovery key opens it without a TPM" sh -c "printf %s '$key' | cryptsetup open --test-passphrase --key-file - $DATADEV"

  ts "recovery as the README says: cryptsetup open, then start the dock"
  check "cryptsetup open /dev/disk/by-label/$NAME $NAME (recovery key)" sh -c "printf %s '$key' | cryptsetup open --key-file - /dev/disk/by-label/$NAME $NAME"
  check "systemctl start bwc-dock mounts the data dir and starts the dock" sh -c "systemctl start bwc-dock && [ \"\$(findmnt -no SOURCE $DATA)\" = /dev/mapper/$NAME ]"
  check "service active" waitfor 120 systemctl is-active -q bwc-dock
  check "footage and ledger there ($n)" sh -c "[ $n -gt 0 ] && [ \"\$(find $DATA/footage -type f | wc -l)\" = $n ] && [ \"\$(sqlite3 -readonly $DATA/ledger.sqlite 'SELECT count(*) FROM recordings')\" = $n ]"
  check "bwc-dock verify clean" verify_clean
  finish
  systemctl poweroff
}

case "$PHASE" in
  encrypt-install) phase_encrypt_install ;;
  encrypt-reboot) phase_encrypt_reboot ;;
  encrypt-notpm) phase_encrypt_notpm ;;
  *) echo "unknown phase $PHASE"; systemctl poweroff ;;
esac
