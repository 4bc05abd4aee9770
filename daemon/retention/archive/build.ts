import { createHash, randomUUID, verify as cryptoVerify, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { hashFile } from '../../ingest/recovery.js';
import { manifestSigners } from '../../ingest/verify.js';
import { manifestPaths, type Manifest } from '../../ingest/manifest.js';
import type { ArchiveRecord } from '../../ledger/archives.js';
import type { Hold } from '../../ledger/holds.js';
import type { Recording } from '../../ledger/recordings.js';
import { stamp, type RetentionDeps } from '../deps.js';
import { RetentionError } from '../errors.js';
import { labelText, sha256sums, verifyText, type DiscFile, type LabelInfo } from './label.js';
import type { DiscEntry, IsoTool } from './xorriso.js';

export interface ArchiveRequest {
  holdId?: number;
  caseRef?: string;
  /** Activity or case name for the label; default: the declared activity of the case, else the hold's note, else the case number. */
  title?: string;
  /** Producing unit for the label; default: the units of the recordings' officers. */
  unit?: string;
}

/** The two copies 004 §16 asks for ("一式两份"). */
const COPIES = 2;

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** `<dataDir>/archives/<id>/`: never under footage/. */
export const archiveDir = (dataDir: string, id: string) => join(dataDir, 'archives', id);
const imageName = (id: string, n: number) => `${id}-${n}.iso`;

/**
 * Archive discs (004 §16): the footage of a hold or a case as two ISO 9660 images, each with the files (at their
 * storedPath), their signed docking manifests, the dock's public key, LABEL.txt, VERIFY.txt and SHA256SUMS.
 * After writing, the two images must be byte-identical, list exactly the expected files, and every file
 * extracted from them must hash as the signed manifests and the ledger say; else nothing is kept.
 */
export async function buildArchive(deps: RetentionDeps, iso: IsoTool, req: ArchiveRequest, by: string, keepFreeBytes = 0): Promise<ArchiveRecord> {
  const { ledger } = deps;
  const { hold, caseRef, recordings } = collect(deps, req);
  // Two images plus one extracted copy at a time, with room for the file system's overhead; ingest's floor stays free.
  const need = 3 * (recordings.reduce((s, r) => s + r.size, 0) + recordings.length * 65_536 + (8 << 20)) + keepFreeBytes;
  const free = await deps.ops.freeBytes(deps.dataDir);
  if (free < need) throw new RetentionError('conflict', `not enough free space for the archive discs: ${free} bytes free, ${need} needed (keeping ${keepFreeBytes} for ingest)`);
  const now = deps.now();
  const id = `${stamp(now)}-${randomUUID().slice(0, 8)}`;
  const dir = archiveDir(deps.dataDir, id);
  const stage = join(dir, 'stage');
  const check = join(dir, 'check');
  try {
    await mkdir(stage, { recursive: true, mode: 0o750 });
    // What goes on the disc, and the hash every entry must have.
    const entries: (DiscEntry & { sha256: string })[] = [];
    const files: DiscFile[] = [];
    const manifests = new Map<string, Manifest>();
    const pubPem = join(deps.dataDir, 'keys', 'dock.pub.pem');
    const key = createPublicKey(readFileSync(pubPem, 'utf8'));
    // After a key rotation, older manifests were signed by an older key: each is checked with, and shipped
    // beside, the key that signed it (the chain of key_rotation manifests says which).
    const signers = manifestSigners(deps.dataDir);
    const currentPem = key.export({ format: 'pem', type: 'spki' }).toString();
    const keyFiles = new Map<string, string>(); // PEM -> path on the disc
    const manifestKeys: Record<string, string> = {};
    for (const r of recordings) {
      const sessionId = r.manifestSessionId!;
      if (!manifests.has(sessionId)) {
        const signerPem = signers.get(sessionId);
        if (!signerPem) throw new RetentionError('archive_failed', `manifest ${sessionId} does not verify with any key of the chain (altered?)`);
        manifests.set(sessionId, signedManifest(deps, sessionId, createPublicKey(signerPem)));
        if (!keyFiles.has(signerPem)) keyFiles.set(signerPem, signerPem === currentPem ? 'keys/dock.pub.pem' : `keys/dock-${sha(Buffer.from(createPublicKey(signerPem).export({ format: 'der', type: 'spki' })).subarray(12)).slice(0, 16)}.pub.pem`);
        manifestKeys[sessionId] = keyFiles.get(signerPem)!;
      }
      const listed = (manifests.get(sessionId)! as Extract<Manifest, { kind: 'docking' }>).files.find((f) => f.storedPath === r.storedPath);
      if (!listed || listed.sha256 !== r.sha256) throw new RetentionError('archive_failed', `recording ${r.id}: manifest ${sessionId} does not list it with the ledger's SHA-256`);
      const src = join(deps.dataDir, r.storedPath);
      const actual = existsSync(src) ? await hashFile(src) : 'missing';
      if (actual !== r.sha256) throw new RetentionError('archive_failed', `recording ${r.id}: stored file ${r.storedPath} is ${actual === 'missing' ? 'missing' : 'altered'}`);
      entries.push({ src, path: r.storedPath, sha256: r.sha256 });
      files.push({ path: r.storedPath, serial: r.serial, seq: r.seq, name: r.name, officerNo: r.officerNo, start: r.correctedStart ?? r.recordedStart, size: r.size, sha256: r.sha256, manifest: sessionId });
    }
    for (const sessionId of manifests.keys()) {
      const p = manifestPaths(deps.dataDir, sessionId);
      entries.push({ src: p.json, path: `manifests/${sessionId}.json`, sha256: sha(readFileSync(p.json)) });
      entries.push({ src: p.sig, path: `manifests/${sessionId}.json.sig`, sha256: sha(readFileSync(p.sig)) });
    }
    entries.push({ src: pubPem, path: 'keys/dock.pub.pem', sha256: sha(readFileSync(pubPem)) });
    for (const [pem, path] of keyFiles) if (path !== 'keys/dock.pub.pem') entries.push(await staged(stage, path, pem));
    const info: LabelInfo = {
      archiveId: id,
      unit: req.unit?.trim() || unitOf(deps, recordings),
      producer: by,
      createdAt: deps.iso(now),
      title: req.title?.trim() || titleOf(deps, caseRef, hold),
      caseRef,
      holdId: hold?.id ?? null,
      holdReason: hold?.reason ?? null,
      dockId: deps.dockId,
      keyFingerprint: sha(Buffer.from(key.export({ format: 'der', type: 'spki' })).subarray(12)),
      files,
      manifests: [...manifests.keys()],
      manifestKeys,
    };
    const texts: [string, string][] = [
      ['LABEL.txt', labelText(info)],
      ['VERIFY.txt', verifyText(info)],
    ];
    for (const [name, text] of texts) entries.push(await staged(stage, name, text));
    entries.push(await staged(stage, 'SHA256SUMS', sha256sums([...entries].sort((a, b) => a.path.localeCompare(b.path)))));

    const volid = `BWC_${id.replace(/[^0-9A-Za-z]/g, '_').toUpperCase()}`.slice(0, 32);
    const images: ArchiveRecord['images'] = [];
    for (let n = 1; n <= COPIES; n++) {
      const image = join(dir, imageName(id, n));
      await iso.build(image, entries, volid, new Date(now));
      await deps.ops.fsyncFile(image);
      images.push({ n, name: imageName(id, n), size: (await stat(image)).size, sha256: await hashFile(image) });
    }
    await verifyImages(iso, dir, check, images, entries);
    for (const im of images) await chmod(join(dir, im.name), 0o444);
    await rm(stage, { recursive: true, force: true });
    await deps.ops.fsyncDir(dir);
    const record: ArchiveRecord = {
      id,
      holdId: hold?.id ?? null,
      caseRef,
      title: info.title,
      createdBy: by,
      createdAt: info.createdAt,
      createdAtMs: now,
      files: files.length,
      bytes: files.reduce((s, f) => s + f.size, 0),
      images,
    };
    ledger.tx(() => {
      ledger.archives.add(record, recordings.map((r) => r.id));
      ledger.audit.append(now, by, 'archive.created', `archive/${id}`, {
        holdId: record.holdId,
        caseRef,
        title: record.title,
        unit: info.unit,
        recordingIds: recordings.map((r) => r.id),
        images: images.map((i) => ({ name: i.name, sha256: i.sha256 })),
      });
    });
    return record;
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    if (e instanceof RetentionError) throw e;
    throw new RetentionError('archive_failed', `archive disc images could not be made: ${(e as Error).message}`);
  }
}

function collect(deps: RetentionDeps, req: ArchiveRequest): { hold: Hold | null; caseRef: string; recordings: Recording[] } {
  const { ledger } = deps;
  let hold: Hold | null = null;
  let caseRef: string;
  let ids: number[];
  if (req.holdId !== undefined) {
    hold = ledger.holds.get(req.holdId);
    if (!hold) throw new RetentionError('not_found', `no hold ${req.holdId}`);
    if (hold.releasedAtMs !== null) throw new RetentionError('conflict', `hold ${hold.id} was released ${hold.releasedAt}`);
    caseRef = hold.caseRef;
    ids = hold.recordingIds;
  } else if (req.caseRef?.trim()) {
    caseRef = req.caseRef.trim();
    ids = ledger.holds.recordingIdsOfCase(caseRef, true);
    if (ids.length === 0) throw new RetentionError('not_found', `no active hold with caseRef ${caseRef}`, 'caseRef');
  } else throw new RetentionError('invalid', 'body: name a holdId or a caseRef', 'holdId');
  const recordings: Recording[] = [];
  for (const id of ids) {
    const r = ledger.recordings.get(id);
    if (r) recordings.push(r);
  }
  const purged = recordings.filter((r) => r.purgedAtMs !== null);
  if (purged.length) throw new RetentionError('conflict', `recording ${purged.map((r) => r.id).join(', ')} was purged (tombstone kept)`);
  const unsigned = recordings.filter((r) => r.manifestSessionId === null);
  if (unsigned.length) throw new RetentionError('conflict', `recording ${unsigned.map((r) => r.id).join(', ')} awaits its signed manifest (the recorder's next docking signs it)`);
  return { hold, caseRef, recordings };
}

function signedManifest(deps: RetentionDeps, sessionId: string, key: ReturnType<typeof createPublicKey>): Manifest {
  const p = manifestPaths(deps.dataDir, sessionId);
  const rec = deps.ledger.manifests.get(sessionId);
  if (!rec || !existsSync(p.json) || !existsSync(p.sig)) throw new RetentionError('archive_failed', `manifest ${sessionId} is missing`);
  const bytes = readFileSync(p.json);
  if (sha(bytes) !== rec.sha256 || !cryptoVerify(null, bytes, key, readFileSync(p.sig))) throw new RetentionError('archive_failed', `manifest ${sessionId} does not verify (altered?)`);
  const m = JSON.parse(bytes.toString('utf8')) as Manifest;
  if (m.kind !== 'docking') throw new RetentionError('archive_failed', `manifest ${sessionId} is not a docking manifest`);
  return m;
}

async function staged(stage: string, name: string, text: string): Promise<DiscEntry & { sha256: string }> {
  const src = join(stage, name);
  await mkdir(dirname(src), { recursive: true, mode: 0o750 });
  await writeFile(src, text, { mode: 0o444 });
  return { src, path: name, sha256: sha(text) };
}

function unitOf(deps: RetentionDeps, recordings: Recording[]): string {
  const names = new Set<string>();
  for (const r of recordings) {
    const o = r.officerNo ? deps.ledger.officers.get(r.officerNo) : null;
    if (o) names.add(o.unitName);
  }
  return names.size ? [...names].sort().join('、') : deps.dockId;
}

function titleOf(deps: RetentionDeps, caseRef: string, hold: Hold | null): string {
  const a = deps.ledger.activities.list({ caseRef, limit: 1 })[0];
  return a?.title ?? hold?.note ?? caseRef;
}

/** The checks after writing: identical bytes, exactly the expected files, every extracted file's hash. */
async function verifyImages(iso: IsoTool, dir: string, check: string, images: ArchiveRecord['images'], entries: { path: string; sha256: string }[]): Promise<void> {
  const fail = (what: string) => new RetentionError('archive_failed', `archive disc check failed: ${what}`);
  if (new Set(images.map((i) => i.sha256)).size !== 1) throw fail('the two images differ');
  const expected = entries.map((e) => e.path).sort();
  for (const im of images) {
    const listed = await iso.list(join(dir, im.name));
    if (JSON.stringify(listed) !== JSON.stringify(expected)) throw fail(`${im.name} lists ${listed.length} files, expected ${expected.length}`);
  }
  for (const im of images) {
    const out = join(check, String(im.n));
    await iso.extract(join(dir, im.name), out);
    for (const e of entries) {
      const p = join(out, e.path);
      if (!existsSync(p)) throw fail(`${im.name}: ${e.path} did not extract`);
      if ((await hashFile(p)) !== e.sha256) throw fail(`${im.name}: ${e.path} has a different SHA-256`);
    }
    await rm(out, { recursive: true, force: true });
  }
  await rm(check, { recursive: true, force: true });
}
