/** Text files of an archive disc: the label page (004 §16), checksums and how to verify. Pure. */

export interface DiscFile {
  /** Path on the disc (the recording's `storedPath`, so it matches its manifest). */
  path: string;
  serial: string;
  seq: number;
  name: string;
  officerNo: string | null;
  start: string | null;
  size: number;
  sha256: string;
  manifest: string;
}

export interface LabelInfo {
  archiveId: string;
  /** 制作单位 */
  unit: string;
  /** 制作人 */
  producer: string;
  /** 制作时间, ISO 8601 in the dock's zone */
  createdAt: string;
  /** 执法活动或者案件名称 */
  title: string;
  /** 编号 */
  caseRef: string;
  holdId: number | null;
  holdReason: string | null;
  dockId: string;
  keyFingerprint: string;
  /** The public key file on the disc that verifies each manifest (an older key after a rotation). */
  manifestKeys?: Record<string, string>;
  files: DiscFile[];
  manifests: string[];
}

export function labelText(l: LabelInfo): string {
  const lines = [
    '执法音像记录光盘 / Enforcement audio-video archive disc',
    '',
    `制作单位 Producing unit:        ${l.unit}`,
    `制作人 Producer:                ${l.producer}`,
    `制作时间 Produced at:           ${l.createdAt}`,
    `执法活动或案件名称 Activity/case: ${l.title}`,
    `编号 Case/activity number:      ${l.caseRef}`,
    `保存原因 Hold:                  ${l.holdId !== null ? `#${l.holdId} (${l.holdReason})` : '-'}`,
    `光盘编号 Archive id:            ${l.archiveId} (一式两份 / one of two identical copies)`,
    `执法记录仪工作站 Dock:          ${l.dockId}, key SHA-256 ${l.keyFingerprint}`,
    '',
    `文件 Files (${l.files.length}):`,
    ...l.files.map((f) => `  ${f.path}\n    serial ${f.serial}  seq ${f.seq}  officer ${f.officerNo ?? '-'}  start ${f.start ?? '-'}  size ${f.size}\n    SHA-256 ${f.sha256}  manifest ${f.manifest}`),
    '',
    '签名清单 Signed manifests:',
    ...l.manifests.map((m) => `  manifests/${m}.json (+ .sig)`),
    '',
    '核验方法见 VERIFY.txt / How to verify: see VERIFY.txt',
  ];
  return lines.join('\n') + '\n';
}

/** `sha256sum -c` input: every file on the disc except this list itself. */
export function sha256sums(entries: { path: string; sha256: string }[]): string {
  return entries.map((e) => `${e.sha256}  ${e.path}`).join('\n') + '\n';
}

export function verifyText(l: Pick<LabelInfo, 'manifests' | 'files' | 'manifestKeys'>): string {
  return [
    '核验方法 / How to verify this disc (from the disc\'s root folder, with coreutils and OpenSSL 3):',
    '',
    '1. Every file is unaltered (SHA-256 against the list written when the disc was made):',
    '   sha256sum -c SHA256SUMS',
    '',
    '2. Each docking manifest is signed by the dock (ed25519, raw signature of the exact .json bytes):',
    ...l.manifests.map((m) => `   openssl pkeyutl -verify -pubin -inkey ${l.manifestKeys?.[m] ?? 'keys/dock.pub.pem'} -rawin -in manifests/${m}.json -sigfile manifests/${m}.json.sig`),
    '',
    '3. Each footage file is the one its signed manifest lists (its SHA-256 appears there under its storedPath):',
    ...l.files.map((f) => `   sha256sum ${f.path}   # expect ${f.sha256}, listed in manifests/${f.manifest}.json`),
    '',
    '   grep -A4 \'"storedPath": "<path>"\' manifests/<manifest>.json shows the size and sha256 the dock signed.',
    '',
  ].join('\n');
}
