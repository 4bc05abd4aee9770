import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hashFile } from './hash.js';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ledger } from '../ledger/index.js';
import type { Logger } from '../log.js';
import type { DockKey } from './keys.js';
import { isRotationTo, verifySignature } from './keys.js';
import { manifestPaths, sha256Hex, type Manifest } from './manifest.js';
import type { PlannedRecording } from './offload.js';
import type { StorageOps } from './storage.js';

export { hashFile } from './hash.js';

/** Flags of a recording that are findings too (CONTRACT names). */
const RECORDING_FINDINGS = ['hash_mismatch', 'size_mismatch', 'late_offload', 'wrong_officer', 'no_checkout'];

/**
 * Start-up recovery, before any recorder is served:
 * 1. sessions still `running` were cut off: mark them `interrupted`;
 * 2. journal entries: a file linked into footage/ whose hash was taken but whose ledger row never landed
 *    is verified and recorded (it goes into the recorder's next manifest); anything else is discarded;
 * 3. the tmp folder is emptied (partial copies);
 * 4. a manifest written just before a crash but not in the ledger is adopted when it extends the chain.
 */
export async function recover(d: { dataDir: string; ledger: Ledger; ops: StorageOps; key: DockKey; log: Logger; now: () => number }): Promise<void> {
  const { ledger, log } = d;
  const interrupted = ledger.sessions.interruptRunning(d.now());
  if (interrupted.length) log.warn({ sessions: interrupted }, 'sessions cut off by the last stop marked interrupted');

  for (const j of ledger.journal.pending()) {
    const final = join(d.dataDir, j.storedPath);
    if (j.state === 'renaming' && j.sha256 && existsSync(final) && !ledger.recordings.isStoredAt(j.storedPath)) {
      const sha = await hashFile(final);
      if (sha === j.sha256) {
        const plan = JSON.parse(j.entryJson) as PlannedRecording;
        const { storedDir: _a, storedName: _b, catalogSize, ...row } = plan;
        const st = await stat(final);
        const flags = [...row.flags];
        if (row.deviceSha256 !== null && row.deviceSha256 !== sha) flags.push('hash_mismatch');
        if (st.size !== catalogSize) flags.push('size_mismatch');
        ledger.tx(() => {
          const id = ledger.recordings.insert({ ...row, flags, size: st.size, sha256: sha, storedPath: j.storedPath });
          ledger.sessions.countStored(row.sessionId, st.size);
          ledger.journal.done(j.id);
          ledger.audit.append(d.now(), 'dock', 'recording.recovered', `${row.serial}/${row.seq}`, { storedPath: j.storedPath, sha256: sha });
          // The findings the interrupted store would have raised with the row.
          for (const kind of flags.filter((f) => RECORDING_FINDINGS.includes(f))) {
            const r = ledger.findings.raise(
              { kind, serial: row.serial, recordingId: id, sessionId: row.sessionId, seqFrom: row.seq, seqTo: row.seq, officerNo: row.officerNo, detail: `${row.devicePath}: ${kind.replace('_', ' ')} (recorded at start-up recovery; capture hash ${row.deviceSha256 ?? 'none'}, stored ${sha})`, dedupeKey: `${kind}:${row.serial}:${row.seq}:${sha}` },
              d.now(),
            );
            if (r.created) ledger.audit.append(d.now(), 'dock', 'finding.raised', String(r.id), { kind, serial: row.serial, seq: row.seq });
          }
        });
        log.warn({ storedPath: j.storedPath }, 'recovered a stored file whose ledger row was cut off');
        continue;
      }
      log.error({ storedPath: j.storedPath }, 'a file linked before a crash does not match its journal hash: left in place, not recorded');
    }
    ledger.journal.done(j.id);
  }
  const tmp = join(d.dataDir, 'tmp');
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true, mode: 0o700 });

  // Adopt manifests on disk that the ledger does not know (crash between writing and committing).
  const dir = join(d.dataDir, 'manifests');
  if (!existsSync(dir)) return;
  await quarantineLoneSignatures(d, dir);
  const onDisk = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  for (;;) {
    const head = ledger.manifests.head();
    const next = onDisk.find((id) => {
      if (ledger.manifests.get(id)) return false;
      try {
        const m = JSON.parse(readFileSync(manifestPaths(d.dataDir, id).json, 'utf8')) as Manifest;
        return m.prevManifestSha256 === (head?.sha256 ?? null);
      } catch {
        return false;
      }
    });
    if (!next) break;
    const p = manifestPaths(d.dataDir, next);
    const bytes = readFileSync(p.json);
    // A key rotation cut off after its manifest was written is signed by the key it retired (the dock's key is already the new one).
    if (!existsSync(p.sig) || !(verifySignature(bytes, readFileSync(p.sig), d.key.publicKey) || isRotationTo(bytes, readFileSync(p.sig), d.key))) {
      log.error({ manifest: next }, 'unsigned or badly signed manifest on disk: not adopted');
      break;
    }
    const m = JSON.parse(bytes.toString('utf8')) as Manifest;
    const sha = sha256Hex(bytes);
    ledger.tx(() => {
      ledger.manifests.add({ sessionId: m.sessionId, kind: m.kind, seqno: (head?.seqno ?? 0) + 1, createdAtMs: Date.parse(m.createdAt), sha256: sha, prevSha256: m.prevManifestSha256 });
      if (m.kind === 'docking') {
        ledger.recordings.markSignedByPath(m.files.map((f) => f.storedPath), m.sessionId);
        ledger.sessions.setManifest(m.sessionId, sha);
      }
      ledger.audit.append(d.now(), 'dock', 'manifest.adopted', m.sessionId, { sha256: sha });
    });
    log.warn({ manifest: next }, 'adopted a manifest written just before the last stop');
  }
}

/**
 * A `.sig` whose `.json` never landed (power lost between the two writes) signs nothing: move it out of
 * manifests/ into quarantine/ (kept, audited), so `verify` sees no half-written manifest.
 */
async function quarantineLoneSignatures(d: { dataDir: string; ledger: Ledger; ops: StorageOps; log: Logger; now: () => number }, dir: string): Promise<void> {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json.sig'))) {
    const id = f.slice(0, -'.json.sig'.length);
    if (existsSync(join(dir, `${id}.json`)) || d.ledger.manifests.get(id)) continue;
    const q = join(d.dataDir, 'quarantine');
    await mkdir(q, { recursive: true, mode: 0o750 });
    await d.ops.rename(join(dir, f), join(q, f));
    await d.ops.fsyncDir(dir);
    d.ledger.tx(() => d.ledger.audit.append(d.now(), 'dock', 'manifest.signature_quarantined', id, { reason: 'signature without its manifest (write cut off)' }));
    d.log.warn({ manifest: id }, 'a signature without its manifest was moved to quarantine/');
  }
}
