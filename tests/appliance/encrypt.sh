# Encryption at rest (issue 20), the host's part: sourced by tests/appliance/run.sh after its own phases, with its
# boot, collect, step, pass, fail, RUN, SHARE, IMG. Three boots of a fresh install on a root overlay of its own and a
# second virtual disk as the data partition (tests/appliance/guest-encrypt.sh inside):
#   encrypt-install  with swtpm as the guest's TPM 2.0: install.sh --prebuilt --encrypt-data /dev/vdb, a docking;
#                    then, from here, the data disk image holds none of the bytes the guest found on the unlocked
#                    volume (footage, ledger, manifest, key) nor the recorder's serial, and the recovery key is on
#                    neither disk
#   encrypt-reboot   the same TPM state: unlocked unattended, the dock as it was, docking again; PCR 7 changed
#   encrypt-notpm    no TPM at all: not unlocked, the dock not started; the recovery key opens it
# ENCRYPT=0 leaves them out (while working on the other phases).
ENC_TPM=$RUN/tpm
ENC_DATA=$RUN/data.img
ENC_ROOT=$RUN/enc-root.qcow2
SWTPM_PID=""

# enc_boot PHASE [tpm]: one boot of the guest on the encryption overlay and data disk, with swtpm when asked.
enc_boot(){
  local phase=$1 tpm=${2:-} args=()
  if [ "$tpm" = tpm ]; then
    mkdir -p $ENC_TPM; rm -f $ENC_TPM/sock
    swtpm socket --tpm2 --tpmstate dir=$ENC_TPM --ctrl type=unixio,path=$ENC_TPM/sock --terminate \
      --log file=$RUN/swtpm-$phase.log,level=1 &
    SWTPM_PID=$!
    for _ in $(seq 50); do [ -S $ENC_TPM/sock ] && break; sleep 0.1; done
    args=(-chardev socket,id=chrtpm,path=$ENC_TPM/sock -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0)
  fi
  DISK=$ENC_ROOT boot "$phase" -drive file=$ENC_DATA,format=raw,if=virtio,cache=writeback "${args[@]}"
  if [ -n "$SWTPM_PID" ]; then kill "$SWTPM_PID" 2>/dev/null || true; wait "$SWTPM_PID" 2>/dev/null || true; SWTPM_PID=""; fi
}
enc_check(){ local n=$1; shift; if "$@"; then echo "    PASS: $n"; pass=$((pass+1)); else echo "    FAIL: $n"; fail=$((fail+1)); fi; }
hex_of(){ printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
count_in(){ node tests/appliance/count-bytes.mjs "$@"; }
# none_in IMAGE HEX: the bytes occur nowhere in IMAGE
none_in(){ [ "$(count_in "$1" "$2")" = 0 ]; }
# ciphertext_at IMAGE OFFSET HEX: what the image holds at OFFSET is not those bytes
ciphertext_at(){ [ "$(dd if="$1" bs=1 skip="$2" count=$(( ${#3} / 2 )) status=none | od -An -tx1 -v | tr -d ' \n')" != "$3" ]; }

encryption_at_rest(){
  command -v swtpm >/dev/null || { echo "    FAIL: swtpm missing (apt-get install swtpm swtpm-tools)"; fail=$((fail+1)); return; }
  cp tests/appliance/guest-encrypt.sh $SHARE/guest-encrypt.sh
  qemu-img create -q -f qcow2 -b $IMG/root.img -F raw $ENC_ROOT
  truncate -s 2G $ENC_DATA   # a dock keeps offload.minFreeBytes (1 GiB) free
  rm -rf $ENC_TPM

  step "encryption 1: install with --encrypt-data on a second disk, swtpm as the TPM; a docking"
  enc_boot encrypt-install tpm; collect encrypt-install
  local probes=$SHARE/enc/probes
  if [ -s $probes ]; then
    local name hex at
    while read -r name hex at; do
      enc_check "data disk image: no $name bytes anywhere ($(( ${#hex} / 2 )) bytes the guest read on the unlocked volume)" none_in $ENC_DATA "$hex"
      enc_check "data disk image: ciphertext where the volume has the $name bytes (offset $at)" ciphertext_at $ENC_DATA "$at" "$hex"
    done < $probes
  else
    echo "    FAIL: the guest wrote no probes"; fail=$((fail+1))
  fi
  enc_check "data disk image: no recorder serial (A000001) in it" none_in $ENC_DATA "$(hex_of A000001)"
  enc_check "data disk image is LUKS" test "$(head -c 6 $ENC_DATA | od -An -tx1 | tr -d ' \n')" = 4c554b53babe

  step "encryption 2: reboot with the same TPM: unlocked unattended, docking again; PCR 7 changed, re-sealed"
  enc_boot encrypt-reboot tpm; collect encrypt-reboot
  step "encryption 3: boot without a TPM: locked, dock not started; the recovery key opens it"
  enc_boot encrypt-notpm; collect encrypt-notpm

  local key; key=$(grep -oE '[cbdefghijklnrtuv]{8}(-[cbdefghijklnrtuv]{8}){7}' $SHARE/enc/install.out 2>/dev/null | head -1)
  if [ -n "$key" ]; then
    local c; c=$(count_in $ENC_ROOT "$(hex_of "$key")" | head -1; count_in $ENC_DATA "$(hex_of "$key")" | head -1)
    enc_check "the recovery key is on neither of the dock's disks (root overlay, data)" test "$(echo $c)" = "0 0"
  else
    echo "    FAIL: no recovery key in the installer's output"; fail=$((fail+1))
  fi
}
if [ "${ENCRYPT:-1}" = 0 ]; then step "encryption at rest: left out (ENCRYPT=0)"; else encryption_at_rest; fi
