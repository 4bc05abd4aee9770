import { createHash } from 'node:crypto';
import type { Config } from '../config.js';
import { AgencyLedger, signatureValid } from './agency-ledger.js';
import { UpstreamError } from './errors.js';
import { describeStoreError, ObjectStore } from './store.js';

export interface AgencyVerifyReport {
  findings: string[];
  recordings: number;
  manifests: number;
  docks: number;
}

/** Run `fn` over `items`, `n` at a time. */
async function eachLimited<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

/**
 * `bwc-dock agency verify`: walk the agency ledger and the bucket. Every recording not purged has its object, whose
 * current version is the one the ledger recorded, with the recording's size and `sha256` metadata, COMPLIANCE
 * retention at least until `retainUntil` and its legal hold on exactly when held. Every manifest is `ok` in the
 * ledger (signature and chain checked on arrival), its `.json` and `.sig` are the recorded current versions in the
 * store, and the bytes read back from the store hash to its SHA-256 and verify with the key that signed it. Each
 * dock is enrolled and its newest manifest (as it last reported) is in the ledger. Each finding names what it is about.
 */
export async function verifyAgency(config: Config, opts: { concurrency?: number } = {}): Promise<AgencyVerifyReport> {
  const u = config.upstream;
  if (!u) throw new UpstreamError('agency_ledger', 'the config has no `upstream`');
  const store = new ObjectStore(u.s3);
  const agency = await AgencyLedger.open(u.postgres);
  const findings: string[] = [];
  const n = opts.concurrency ?? 8;
  try {
    try {
      await store.checkObjectLock();
    } catch (e) {
      findings.push(`bucket ${u.s3.bucket}: ${(e as Error).message}`);
    }
    const recs = (
      await agency.pool.query<{
        dock_id: string;
        local_id: string;
        stored_path: string;
        size: string;
        sha256: string;
        retain_until: Date;
        held: boolean;
        key: string | null;
        version_id: string | null;
      }>(
        `SELECT r.dock_id, r.local_id, r.stored_path, r.size, r.sha256, r.retain_until, r.held, o.key, o.version_id
         FROM recordings r LEFT JOIN objects o ON o.key = r.dock_id || '/' || r.stored_path AND o.deleted_at IS NULL
         WHERE r.purged_at IS NULL ORDER BY r.dock_id, r.local_id`,
      )
    ).rows;
    await eachLimited(recs, n, async (r) => {
      const key = `${r.dock_id}/${r.stored_path}`;
      const what = `recording ${r.dock_id}#${r.local_id} (${key})`;
      if (!r.version_id) {
        findings.push(`${what}: no object version recorded in the agency ledger (not replicated)`);
        return;
      }
      let h: Awaited<ReturnType<ObjectStore['head']>>;
      try {
        h = await store.head(key);
      } catch (e) {
        findings.push(`${what}: HEAD failed: ${describeStoreError(e)}`);
        return;
      }
      if (!h) {
        findings.push(`${what}: object missing from the store`);
        return;
      }
      if (h.versionId !== r.version_id) findings.push(`${what}: current version ${h.versionId} is not the recorded ${r.version_id} (overwritten or tampered)`);
      if (h.size !== Number(r.size)) findings.push(`${what}: size ${h.size}, the ledger holds ${r.size}`);
      if (h.sha256 !== r.sha256) findings.push(`${what}: sha256 metadata ${h.sha256 ?? 'absent'}, the ledger holds ${r.sha256}`);
      const recorded = await store.head(key, r.version_id).catch(() => null);
      if (!recorded) findings.push(`${what}: recorded version ${r.version_id} is gone`);
      else {
        const until = Math.floor(r.retain_until.getTime() / 1000) * 1000;
        if (recorded.lockMode !== 'COMPLIANCE') findings.push(`${what}: recorded version not under COMPLIANCE retention (${recorded.lockMode ?? 'no lock'})`);
        else if (recorded.retainUntilMs === null || recorded.retainUntilMs < until) findings.push(`${what}: locked until ${recorded.retainUntilMs === null ? 'never' : new Date(recorded.retainUntilMs).toISOString()}, before its retainUntil ${r.retain_until.toISOString()}`);
        if (recorded.legalHold !== r.held) findings.push(`${what}: legal hold ${recorded.legalHold ? 'on' : 'off'}, but the recording is ${r.held ? 'held' : 'not held'}`);
      }
    });

    const manifests = (
      await agency.pool.query<{
        dock_id: string;
        session_id: string;
        seqno: number;
        sha256: string;
        state: string;
        problem: string | null;
        json_key: string;
        json_version_id: string;
        sig_key: string;
        sig_version_id: string;
        signer_key_pem: string | null;
      }>(`SELECT dock_id, session_id, seqno, sha256, state, problem, json_key, json_version_id, sig_key, sig_version_id, signer_key_pem FROM manifests ORDER BY dock_id, seqno`)
    ).rows;
    await eachLimited(manifests, n, async (m) => {
      const what = `manifest ${m.dock_id}/${m.session_id} (#${m.seqno})`;
      if (m.state !== 'ok') findings.push(`${what}: ${m.state}${m.problem ? `: ${m.problem}` : ''}`);
      const body = await checkSmall(store, m.json_key, m.json_version_id, findings, what);
      const sig = await checkSmall(store, m.sig_key, m.sig_version_id, findings, `${what} signature`);
      if (body && createHash('sha256').update(body).digest('hex') !== m.sha256) findings.push(`${what}: the stored .json does not hash to its SHA-256 ${m.sha256}`);
      if (body && sig && m.signer_key_pem && !signatureValid(m.signer_key_pem, body, sig)) findings.push(`${what}: the stored signature does not verify`);
    });

    const docks = (await agency.pool.query<{ dock_id: string; public_key_pem: string | null; head_seqno: number | null; head_sha256: string | null }>('SELECT dock_id, public_key_pem, head_seqno, head_sha256 FROM docks ORDER BY dock_id')).rows;
    const bySeq = new Map(manifests.map((m) => [`${m.dock_id}#${m.seqno}`, m]));
    for (const d of docks) {
      if (!d.public_key_pem) findings.push(`dock ${d.dock_id}: not enrolled (its manifests wait in quarantine)`);
      if (d.head_seqno !== null) {
        const m = bySeq.get(`${d.dock_id}#${d.head_seqno}`);
        if (!m || m.sha256 !== d.head_sha256) findings.push(`dock ${d.dock_id}: its newest manifest (#${d.head_seqno}, ${d.head_sha256}) is not in the agency ledger`);
      }
    }
    findings.sort();
    return { findings, recordings: recs.length, manifests: manifests.length, docks: docks.length };
  } finally {
    store.close();
    await agency.close();
  }
}

/** A manifest's object: the recorded version must be the current one; returns the bytes read from the store. */
async function checkSmall(store: ObjectStore, key: string, versionId: string, findings: string[], what: string): Promise<Buffer | null> {
  try {
    const h = await store.head(key);
    if (!h) {
      findings.push(`${what}: ${key} missing from the store`);
      return null;
    }
    if (h.versionId !== versionId) findings.push(`${what}: ${key} current version ${h.versionId} is not the recorded ${versionId}`);
    return await store.getBytes(key, versionId);
  } catch (e) {
    findings.push(`${what}: ${key}: ${describeStoreError(e)}`);
    return null;
  }
}
