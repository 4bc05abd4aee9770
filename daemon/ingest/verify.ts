import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { AuditAnchor, AuditLog } from '../ledger/audit.js';
import { LedgerEvidenceView, type RecordingEvidenceRow } from '../ledger/evidence-view.js';
import { retainUntil } from '../policy/retention.js';
import { hashFile } from './recovery.js';
import { sha256Hex, type DockingManifest, type Manifest, type ManifestFileEntry } from './manifest.js';

export interface VerifyFinding {
  level: 'error' | 'note';
  what: string;
}

export interface VerifyReport {
  ok: boolean;
  manifests: number;
  files: number;
  purged: number;
  /** Ledger recording rows compared with the manifests that signed them (0 without a ledger). */
  ledgerRows: number;
  /** Audit entries anchored by the manifests' `auditHead` (0 without a ledger). */
  auditAnchored: number;
  findings: VerifyFinding[];
}

/** A key to verify from instead of `keys/dock.pub.pem`: a public key (SPKI PEM) or its fingerprint. */
export type KeyPin = { pem: string } | { fingerprint: string };

export interface VerifyOptions {
  /** Stored paths the ledger knows as awaiting their manifest (a note, not an error). */
  unsignedOk?: Set<string>;
  /** Pin the dock's key; without a pin, `keys/dock.pub.pem` in the folder checked is trusted. */
  pin?: KeyPin;
  /** The ledger file to hold to the manifests and anchor the audit trail with (opened read-only); absent: not checked. */
  ledgerFile?: string;
  /**
   * Retention rule for manifests that do not sign their files' `retainUntil` (made before it was signed):
   * the date is derived from the signed start with daemon/policy/retention.ts. Without it those dates are not checked.
   */
  retention?: { months: number; timezone: string };
}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Both fingerprints of an ed25519 public key, lowercase hex: SHA-256 of the raw 32-byte key (DockKey.fingerprint) and of the SPKI DER. */
function fingerprintsOf(key: KeyObject): { raw: string; spki: string } {
  const der = key.export({ type: 'spki', format: 'der' });
  return { raw: sha256Hex(der.subarray(12)), spki: sha256Hex(der) };
}

/** A fingerprint as a user may type it: hex with or without colons, any case. */
export const normaliseFingerprint = (hex: string) => hex.replace(/[:\s]/g, '').toLowerCase();

const samePublicKey = (a: KeyObject, b: KeyObject) => a.export({ type: 'spki', format: 'der' }).equals(b.export({ type: 'spki', format: 'der' }));

function matchesPin(key: KeyObject, pin: KeyPin): boolean {
  if ('pem' in pin) return samePublicKey(key, createPublicKey(pin.pem));
  const f = normaliseFingerprint(pin.fingerprint);
  const fp = fingerprintsOf(key);
  return f === fp.raw || f === fp.spki;
}

function parseEd25519(pem: string): KeyObject {
  const k = createPublicKey(pem);
  const der = k.export({ type: 'spki', format: 'der' });
  if (der.length !== 44 || !der.subarray(0, 12).equals(SPKI_ED25519_PREFIX)) throw new Error('not an ed25519 public key');
  return k;
}

interface Parsed {
  m: Manifest;
  bytes: Buffer;
  sha: string;
  sig: Buffer | null;
}

/** The manifests of a data folder and the one chain they form (forks and orphans reported). */
function readChain(dataDir: string, err: (what: string) => void): { order: string[]; parsed: Map<string, Parsed> } {
  const mdir = join(dataDir, 'manifests');
  const names = existsSync(mdir) ? readdirSync(mdir) : [];
  const ids = names.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  for (const f of names) {
    if (f.endsWith('.json.sig') && !ids.includes(f.slice(0, -9))) err(`manifests/${f}: signature without its manifest (a manifest was deleted?)`);
  }
  const parsed = new Map<string, Parsed>();
  for (const id of ids) {
    const bytes = readFileSync(join(mdir, `${id}.json`));
    const sigPath = join(mdir, `${id}.json.sig`);
    let m: Manifest;
    try {
      m = JSON.parse(bytes.toString('utf8')) as Manifest;
    } catch {
      err(`manifests/${id}.json: not valid JSON (altered?)`);
      continue;
    }
    if (typeof m !== 'object' || m === null) {
      err(`manifests/${id}.json: not a manifest (altered?)`);
      continue;
    }
    if (m.sessionId !== id) err(`manifests/${id}.json: names session ${m.sessionId} (renamed?)`);
    parsed.set(id, { m, bytes, sha: sha256Hex(bytes), sig: existsSync(sigPath) ? readFileSync(sigPath) : null });
  }
  // Start at the manifest with no predecessor and follow the hashes.
  const byPrev = new Map<string | null, string[]>();
  for (const [id, p] of parsed) {
    const k = p.m.prevManifestSha256 ?? null;
    byPrev.set(k, [...(byPrev.get(k) ?? []), id]);
  }
  const order: string[] = [];
  let prev: string | null = null;
  const seen = new Set<string>();
  for (;;) {
    const next: string[] = byPrev.get(prev) ?? [];
    if (next.length === 0) break;
    if (next.length > 1) err(`manifest chain forks after ${prev ?? 'the start'}: ${next.join(', ')} name the same predecessor`);
    const id: string = next.sort()[0]!;
    if (seen.has(id)) break;
    seen.add(id);
    order.push(id);
    prev = parsed.get(id)!.sha;
  }
  for (const id of parsed.keys()) {
    if (!seen.has(id)) err(`manifests/${id}.json: not in the chain (its predecessor ${parsed.get(id)!.m.prevManifestSha256 ?? 'null'} is missing or was altered)`);
  }
  return { order, parsed };
}

/**
 * Every manifest's signature along the chain, following `key_rotation` manifests. The chain starts with the key
 * the first rotation names as the one it replaces (`previousPublicKeyPem`), or with the trusted key when there is no
 * rotation. Trust comes from one key: the pinned one, which must have signed at least one manifest of the chain
 * (every manifest before it is then held by the hash chain it signed, every one after by the rotations); without a
 * pin, `keys/dock.pub.pem`, which must be the key the chain ends with. Returns the manifests whose signature verifies.
 */
function checkSignatures(
  dataDir: string,
  order: string[],
  parsed: Map<string, Parsed>,
  pin: KeyPin | undefined,
  err: (what: string) => void,
  note: (what: string) => void,
  signers?: Map<string, KeyObject>,
): Set<string> {
  const verified = new Set<string>();
  const pubPath = join(dataDir, 'keys', 'dock.pub.pem');
  let folderKey: KeyObject | null = null;
  if (existsSync(pubPath)) {
    try {
      folderKey = parseEd25519(readFileSync(pubPath, 'utf8'));
    } catch (e) {
      err(`keys/dock.pub.pem: not an ed25519 public key (${(e as Error).message})`);
    }
  } else if (!pin) {
    err(`no public key at ${pubPath}`);
    return verified;
  }
  const firstRotation = order.map((id) => parsed.get(id)!.m).find((m) => m.kind === 'key_rotation');
  let start: KeyObject | null = null;
  let startFromPin = false;
  if (firstRotation?.kind === 'key_rotation' && firstRotation.previousPublicKeyPem) {
    try {
      start = parseEd25519(firstRotation.previousPublicKeyPem);
    } catch {
      err(`manifests/${firstRotation.sessionId}.json: previousPublicKeyPem is not an ed25519 public key`);
    }
  } else if (pin && 'pem' in pin) {
    start = parseEd25519(pin.pem);
    startFromPin = true;
  }
  else start = folderKey;
  if (!start) {
    if (order.length) err('no key to start the chain with: pass --pubkey FILE');
    return verified;
  }

  const history: { key: KeyObject; signed: number; from: string | null }[] = [{ key: start, signed: 0, from: null }];
  let key = start;
  for (const id of order) {
    const { m, bytes, sig } = parsed.get(id)!;
    signers?.set(id, key);
    const fp = fingerprintsOf(key).raw;
    if (!sig) err(`manifests/${id}.json: no signature file`);
    else if (sig.length !== 64 || !cryptoVerify(null, bytes, key, sig)) err(`manifests/${id}.json: signature does not verify with the chain's key ${fp.slice(0, 16)}… (altered, or signed by another key?)`);
    else {
      verified.add(id);
      history[history.length - 1]!.signed++;
    }
    if (m.keyFingerprint !== undefined && m.keyFingerprint !== fp) err(`manifests/${id}.json: names key ${String(m.keyFingerprint).slice(0, 16)}…, but the chain's key at this point is ${fp.slice(0, 16)}…`);
    if (m.kind === 'key_rotation') {
      if (m.previousPublicKeyPem) {
        try {
          if (!samePublicKey(parseEd25519(m.previousPublicKeyPem), key)) err(`manifests/${id}.json: key rotation replaces a key that is not the chain's key at this point`);
        } catch {
          err(`manifests/${id}.json: previousPublicKeyPem is not an ed25519 public key`);
        }
      }
      try {
        key = parseEd25519(m.newPublicKeyPem);
        history.push({ key, signed: 0, from: id });
        note(`manifests/${id}.json: key rotation to ${fingerprintsOf(key).raw.slice(0, 16)}…`);
      } catch {
        err(`manifests/${id}.json: newPublicKeyPem is not an ed25519 public key`);
      }
    }
  }

  if (pin) {
    const i = history.findIndex((h) => matchesPin(h.key, pin));
    if (order.length === 0) {
      if (folderKey && !matchesPin(folderKey, pin)) err('keys/dock.pub.pem is not the pinned key');
    } else if (i < 0) err(`the pinned key is no key of this chain (the chain's keys: ${history.map((h) => fingerprintsOf(h.key).raw.slice(0, 16) + '…').join(', ')}): every manifest here is signed by a key you did not pin`);
    else if (history[i]!.signed === 0 && i === 0 && startFromPin) err('the pinned key is no key of this chain: it signed none of these manifests (they were signed by another key)');
    else if (history[i]!.signed === 0) {
      err(`the pinned key ${fingerprintsOf(history[i]!.key).raw.slice(0, 16)}… has signed no manifest of this chain yet${history[i]!.from ? ` (announced by ${history[i]!.from})` : ''}: the manifests before it cannot be held to it; verify with the key it replaced, or after the next signed manifest`);
    }
  } else if (folderKey && !samePublicKey(folderKey, key)) {
    err(order.length && history.length > 1 ? 'keys/dock.pub.pem is not the key the last key rotation announced' : 'keys/dock.pub.pem is not the key that signed the chain');
  }
  if (pin && folderKey && order.length && !samePublicKey(folderKey, key)) err("keys/dock.pub.pem is not the key the chain ends with (swapped?)");
  return verified;
}

/**
 * Offline check of a data folder with nothing but its public key (or a pinned one): every manifest's signature
 * (following key rotations), the one chain they form (no fork, no gap, no orphan), every listed file's hash,
 * tombstones for purged files, no footage file that no manifest lists, and no derived copy (thumbnail, archive
 * disc image) of a purged file. With the ledger: the audit trail against every manifest's `auditHead`, and every
 * ledger recording row a manifest signed against that manifest (and its retention date). Uses Node's own ed25519
 * (not the signer's library) so the check is independent of the code that signed.
 */
export async function verifyDataDir(dataDir: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const findings: VerifyFinding[] = [];
  const err = (what: string) => findings.push({ level: 'error', what });
  const note = (what: string) => findings.push({ level: 'note', what });
  const done = (r: Omit<VerifyReport, 'ok' | 'findings'>): VerifyReport => ({ ok: !findings.some((f) => f.level === 'error'), ...r, findings });

  const { order, parsed } = readChain(dataDir, err);
  const verified = checkSignatures(dataDir, order, parsed, opts.pin, err, note);
  if (!opts.pin && !existsSync(join(dataDir, 'keys', 'dock.pub.pem'))) return done({ manifests: 0, files: 0, purged: 0, ledgerRows: 0, auditAnchored: 0 });

  const listed = new Map<string, { entry: ManifestFileEntry; manifest: DockingManifest }>();
  const purged = new Map<string, { sha256: string; manifest: string; text: string }>();
  for (const id of order) {
    const { m } = parsed.get(id)!;
    if (m.kind === 'docking') for (const f of m.files) listed.set(f.storedPath, { entry: f, manifest: m });
    else if (m.kind === 'purge') for (const t of m.tombstones) purged.set(t.storedPath, { sha256: t.sha256, manifest: id, text: `${id}: purged ${t.at} by ${t.approvedBy} (${t.reason})` });
  }

  let files = 0;
  for (const [path, { entry: f, manifest }] of listed) {
    const full = join(dataDir, path);
    if (purged.has(path)) {
      if (existsSync(full)) err(`${path}: a tombstone says purged, but the file is still there`);
      else note(`${path}: purged with tombstone (${purged.get(path)!.text})`);
      continue;
    }
    if (!existsSync(full)) {
      err(`${path}: MISSING (listed in manifest ${manifest.sessionId}, no tombstone)`);
      continue;
    }
    files++;
    const st = lstatSync(full);
    if (!st.isFile()) err(`${path}: not a regular file`);
    else if (st.size !== f.size) err(`${path}: size ${st.size} differs from the manifest's ${f.size} (altered)`);
    else if ((await hashFile(full)) !== f.sha256) err(`${path}: SHA-256 differs from manifest ${manifest.sessionId} (altered)`);
  }
  const footage = join(dataDir, 'footage');
  for (const full of walk(footage)) {
    const rel = relative(dataDir, full);
    if (listed.has(rel)) continue;
    if (opts.unsignedOk?.has(rel)) note(`${rel}: stored, awaiting its manifest (the recorder's next docking signs it)`);
    else err(`${rel}: in footage/ but in no signed manifest (inserted?)`);
  }

  let ledgerRows = 0;
  let auditAnchored = 0;
  let db: LedgerEvidenceView | null = null;
  if (opts.ledgerFile && existsSync(opts.ledgerFile)) {
    try {
      db = LedgerEvidenceView.open(opts.ledgerFile);
    } catch (e) {
      err(`${opts.ledgerFile}: cannot open the ledger read-only (${(e as Error).message})`);
    }
  }
  try {
    if (db) {
      auditAnchored = checkAuditAnchors(db, order, parsed, verified, err, note);
      ledgerRows = checkLedgerRows(db, parsed, listed, opts.retention, err, note);
    }
    await checkDerivedCopies(dataDir, db, purged, err);
  } finally {
    db?.close();
  }
  return done({ manifests: order.length, files, purged: purged.size, ledgerRows, auditAnchored });
}

/** The `auditHead` of every manifest in chain order whose signature verified. */
function anchorsOf(order: string[], parsed: Map<string, Parsed>, verified: Set<string>): AuditAnchor[] {
  return order
    .filter((id) => verified.has(id))
    .map((id) => parsed.get(id)!.m)
    .filter((m) => typeof m.auditHead === 'string')
    .map((m) => ({ sessionId: m.sessionId, auditHead: m.auditHead }));
}

function checkAuditAnchors(db: LedgerEvidenceView, order: string[], parsed: Map<string, Parsed>, verified: Set<string>, err: (w: string) => void, note: (w: string) => void): number {
  const v = db.audit().verify(anchorsOf(order, parsed, verified));
  if (v.brokenAt !== undefined) err(`audit trail: entry ${v.brokenAt}: ${v.problem ?? 'broken'}`);
  for (const p of v.anchorProblems ?? []) err(`audit trail: ${p}`);
  if (!v.anchorProblems?.length) note(`audit trail: ${v.entries} entries, the first ${v.anchoredEntries ?? 0} anchored by ${v.anchors ?? 0} signed manifests`);
  // The ledger's own record of the chain must name the same manifests with the same hashes.
  const rows = db.manifests();
  const inLedger = new Map(rows.map((r) => [r.session_id, r.sha256]));
  for (const id of order) {
    const sha = inLedger.get(id);
    if (sha === undefined) err(`ledger: manifest ${id} is signed but the ledger's manifests table has no row for it`);
    else if (sha !== parsed.get(id)!.sha) err(`ledger: manifest ${id}: the ledger records SHA-256 ${sha.slice(0, 16)}…, the signed file has ${parsed.get(id)!.sha.slice(0, 16)}…`);
  }
  for (const r of rows) if (!parsed.has(r.session_id)) err(`ledger: names manifest ${r.session_id}, which is not in manifests/ (deleted?)`);
  return v.anchoredEntries ?? 0;
}


/**
 * Every ledger recording row that a manifest signed, field by field against the manifest (the ledger is the
 * dock's working copy, the signed manifests are the evidence), and its retention date against the signed one
 * (or, for a manifest that does not sign it, the one the retention rule derives from the signed start). A later
 * date is right only when the ledger's retention decisions record the "keep longer" that set it.
 */
function checkLedgerRows(
  db: LedgerEvidenceView,
  parsed: Map<string, Parsed>,
  listed: Map<string, { entry: ManifestFileEntry; manifest: DockingManifest }>,
  retention: VerifyOptions['retention'],
  err: (w: string) => void,
  note: (w: string) => void,
): number {
  const rows: RecordingEvidenceRow[] = db.recordings();
  const keeps = new Map<number, { until_ms: number; decided_by: string; decided_at: string }[]>();
  for (const d of db.keepDecisions()) keeps.set(d.recording_id, [...(keeps.get(d.recording_id) ?? []), d]);
  const matched = new Set<string>();
  let checked = 0;
  for (const r of rows) {
    const what = `ledger recording ${r.id} (${r.serial}/${r.seq})`;
    const l = listed.get(r.stored_path);
    if (!l) {
      if (r.manifest_session_id === null) continue;
      const m = parsed.get(r.manifest_session_id)?.m;
      const bySeq = m?.kind === 'docking' ? m.files.find((f) => f.seq === r.seq && m.device.serial === r.serial) : undefined;
      if (bySeq) err(`${what}: stored path ${r.stored_path}, manifest ${r.manifest_session_id} signed ${bySeq.storedPath}`);
      else err(`${what}: the ledger says manifest ${r.manifest_session_id} signed it, but ${m ? 'that manifest does not list it' : 'no such manifest is in the chain'}`);
      continue;
    }
    checked++;
    matched.add(r.stored_path);
    const { entry: e, manifest: m } = l;
    const diff = (field: string, ledger: unknown, signed: unknown) => {
      if (ledger !== signed) err(`${what}: ${field} is ${JSON.stringify(ledger)} in the ledger, manifest ${m.sessionId} signed ${JSON.stringify(signed)}`);
    };
    diff('signed by (manifest)', r.manifest_session_id, m.sessionId);
    diff('serial', r.serial, m.device.serial);
    diff('seq', r.seq, e.seq);
    diff('size', r.size, e.size);
    diff('sha256', r.sha256, e.sha256);
    diff('deviceSha256', r.device_sha256, e.deviceSha256);
    diff('recordedStart', r.recorded_start, e.recordedStart);
    diff('recordedStart (as a number)', r.recorded_start_ms, e.recordedStart === null ? null : Date.parse(e.recordedStart));
    diff('correctedStart', r.corrected_start, e.correctedStart);
    diff('correctedStart (as a number)', r.corrected_start_ms, e.correctedStart === null ? null : Date.parse(e.correctedStart));
    diff('durationMs', r.duration_ms, e.durationMs);
    diff('session', r.session_id, e.sessionId);
    if (e.officerNo !== undefined) diff('officer', r.officer_no, e.officerNo);
    if (e.offloadedAt !== undefined) {
      diff('offloadedAt', r.offloaded_at, e.offloadedAt);
      diff('offloadedAt (as a number)', r.offloaded_at_ms, Date.parse(e.offloadedAt));
    }
    // The retention date: signed, or derived by the rule from the signed start (else the offload time).
    let expected: { ms: number; how: string } | null = null;
    if (e.retainUntil !== undefined) expected = { ms: Date.parse(e.retainUntil), how: `signed ${e.retainUntil}` };
    else if (retention) {
      const start = e.correctedStart ?? (e.recordedStart && !e.flags?.includes('clock_reset') ? e.recordedStart : null);
      const startMs = start !== null ? Date.parse(start) : Math.min(r.offloaded_at_ms, Date.parse(m.createdAt));
      const d = retainUntil(startMs, retention.months, retention.timezone);
      expected = { ms: d.epochMs, how: `${d.iso}, ${retention.months} months from ${start ?? 'the offload time'}` };
    }
    if (Date.parse(r.retain_until) !== r.retain_until_ms) err(`${what}: retention date ${r.retain_until} and its number ${r.retain_until_ms} disagree`);
    if (expected) {
      if (r.retain_until_ms < expected.ms) err(`${what}: retention date ${r.retain_until} is earlier than the ${expected.how} (shortened)`);
      else if (r.retain_until_ms > expected.ms) {
        const k = keeps.get(r.id)?.find((d) => d.until_ms === r.retain_until_ms);
        if (k) note(`${what}: kept longer, until ${r.retain_until} (decided by ${k.decided_by} at ${k.decided_at})`);
        else err(`${what}: retention date ${r.retain_until} differs from the ${expected.how}, and no "keep longer" decision sets it`);
      }
    }
  }
  for (const [path, { manifest }] of listed) {
    if (!matched.has(path)) err(`manifest ${manifest.sessionId} signed ${path}, but the ledger has no recording at that path (row deleted, or its path altered)`);
  }
  return checked;
}

/**
 * Derived copies of purged files still on the dock: cached thumbnails (`cache/thumbnails/<recordingId>-<sha256 first
 * 16 hex>.jpg`) and archive disc images under `archives/<id>/` that hold a purged file (known from the ledger's
 * record of what the archive holds, and from the image's own SHA256SUMS, read from its bytes).
 */
async function checkDerivedCopies(dataDir: string, db: LedgerEvidenceView | null, purged: Map<string, { sha256: string; manifest: string }>, err: (w: string) => void): Promise<void> {
  if (purged.size === 0) return;
  const idOf = new Map<string, number>();
  if (db) {
    for (const r of db.recordings()) idOf.set(r.stored_path, r.id);
  }
  const byPrefix = new Map<string, string>();
  const byId = new Map<number, string>();
  for (const [path, p] of purged) {
    byPrefix.set(p.sha256.slice(0, 16), path);
    const id = idOf.get(path);
    if (id !== undefined) byId.set(id, path);
  }
  const thumbs = join(dataDir, 'cache', 'thumbnails');
  if (existsSync(thumbs)) {
    for (const f of readdirSync(thumbs)) {
      const m = /^(\d+)-([0-9a-f]{16})\.jpg/.exec(f);
      if (!m) continue;
      const path = byPrefix.get(m[2]!) ?? byId.get(Number(m[1]));
      if (path) err(`cache/thumbnails/${f}: a thumbnail of purged ${path} (tombstone in ${purged.get(path)!.manifest}) is still on the dock`);
    }
  }
  const archives = join(dataDir, 'archives');
  if (!existsSync(archives)) return;
  // What the ledger says each archive holds: the recording ids of its audit entry, else its hold's recordings.
  const heldByArchive = new Map<string, Set<string>>();
  if (db) {
    const pathOf = new Map([...idOf].map(([p, id]) => [id, p]));
    for (const [id, ids] of db.archiveContents()) {
      const paths = new Set<string>();
      for (const rid of ids) {
        const p = pathOf.get(rid);
        if (p) paths.add(p);
      }
      heldByArchive.set(id, paths);
    }
  }
  for (const id of readdirSync(archives)) {
    const dir = join(archives, id);
    if (!lstatSync(dir).isDirectory()) continue;
    const images = [...walk(dir)].filter((f) => f.endsWith('.iso'));
    if (images.length === 0) continue;
    const named = new Set<string>();
    for (const p of heldByArchive.get(id) ?? []) if (purged.has(p)) named.add(p);
    for (const image of images) {
      for (const p of purgedListedIn(image, purged)) named.add(p);
    }
    for (const p of named) {
      err(`archives/${id}/: disc image${images.length > 1 ? 's' : ''} ${images.map((f) => relative(join(dataDir, 'archives', id), f)).join(', ')} hold purged ${p} (tombstone in ${purged.get(p)!.manifest}) and are still on the dock`);
    }
  }
}

/** Purged files an archive image lists in its SHA256SUMS (`<sha256>  <storedPath>` lines, stored uncompressed in ISO 9660). */
function purgedListedIn(image: string, purged: Map<string, { sha256: string }>): string[] {
  const found = new Set<string>();
  const needle = Buffer.from('  footage/');
  const fd = openSync(image, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    let carry = Buffer.alloc(0);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      const buf = Buffer.concat([carry, chunk.subarray(0, n)]);
      let i = buf.indexOf(needle, 64);
      while (i >= 0) {
        const end = buf.indexOf(0x0a, i);
        if (end < 0) break;
        const sha = buf.subarray(i - 64, i).toString('latin1');
        const path = buf.subarray(i + 2, end).toString('utf8');
        const p = purged.get(path);
        if (p && p.sha256 === sha) found.add(path);
        i = buf.indexOf(needle, i + 1);
      }
      // Keep the tail: a line may cross the chunk boundary.
      carry = Buffer.from(buf.subarray(Math.max(0, buf.length - 4096)));
    }
  } finally {
    closeSync(fd);
  }
  return [...found];
}

/**
 * The audit trail of the ledger against the `auditHead` of every signed manifest of `dataDir` (chain order, trusting
 * `keys/dock.pub.pem` for the signatures): what the console's `/api/audit/verify` answers.
 */
export function verifyAuditTrail(dataDir: string, audit: AuditLog): ReturnType<AuditLog['verify']> & { manifestProblems: string[] } {
  const problems: string[] = [];
  const { order, parsed } = readChain(dataDir, (w) => problems.push(w));
  const verified = checkSignatures(dataDir, order, parsed, undefined, (w) => problems.push(w), () => undefined);
  const v = audit.verify(anchorsOf(order, parsed, verified));
  return { ...v, manifestProblems: problems };
}

/**
 * The public key (SPKI PEM) that signed each manifest of `dataDir`'s chain, following key rotations (trusting
 * `keys/dock.pub.pem` as the key the chain ends with), for those whose signature verifies with it. After a rotation,
 * `keys/dock.pub.pem` no longer verifies the manifests signed before it: whoever ships a manifest with a key (an
 * export, an archive disc) ships this one.
 */
export function manifestSigners(dataDir: string): Map<string, string> {
  const { order, parsed } = readChain(dataDir, () => undefined);
  const signers = new Map<string, KeyObject>();
  const verified = checkSignatures(dataDir, order, parsed, undefined, () => undefined, () => undefined, signers);
  const out = new Map<string, string>();
  for (const [id, k] of signers) if (verified.has(id)) out.set(id, k.export({ type: 'spki', format: 'pem' }).toString());
  return out;
}

function* walk(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}
