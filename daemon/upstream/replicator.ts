import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { manifestPaths } from '../ingest/manifest.js';
import type { Ledger } from '../ledger/index.js';
import type { OutboxItem } from '../ledger/upstream.js';
import type { Logger } from '../log.js';
import { AgencyLedger } from './agency-ledger.js';
import { UpstreamError } from './errors.js';
import { describeStoreError, type ObjectStore } from './store.js';

export interface ReplicatorOptions {
  dockId: string;
  dataDir: string;
  ledger: Ledger;
  store: ObjectStore;
  /** `upstream.postgres`: connected (and reconnected) by the replicator itself. */
  postgres: string;
  log: Logger;
  now(): number;
  clockSynced(): boolean;
  /** Transfers at once. */
  concurrency: number;
  /** Backoff of a failed item: base doubled per attempt up to max, with jitter. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How often the dock reports its backlog to the agency ledger (its "last contact"). */
  heartbeatMs: number;
  /** A footage object is locked at least this long from its upload (a recording stored past its date still gets a lock). */
  minLockMs: number;
  /** How long manifests (and their signatures) are locked in the store. */
  manifestLockMs: number;
  /** How often the outbox is looked at when nothing nudges (a change commits without telling anyone). */
  pollMs?: number;
}

/** A delete the store refused while the version's retention lasts: tried again when it has passed (not an outage). */
class DeleteDeferred extends Error {
  constructor(
    message: string,
    readonly retryAtMs: number,
  ) {
    super(message);
  }
}

/** Round a retention date up to a whole second (the store keeps seconds). */
const ceilSecond = (ms: number) => Math.ceil(ms / 1000) * 1000;

/**
 * Drains the outbox to the agency store and ledger in the background: at most `concurrency` transfers at once,
 * each failed item retried after an exponential backoff, resuming where it was after a restart (the outbox is in
 * the ledger) or an outage. Ingest never waits for it.
 */
export class Replicator {
  private agency: AgencyLedger | null = null;
  private connecting: Promise<void> | null = null;
  private lockChecked = false;
  private readonly inFlight = new Map<number, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private stopped = true;
  private connectAttempts = 0;
  private connectAfterMs = 0;
  private lockAttempts = 0;
  private lockCheckAfterMs = 0;

  constructor(private readonly o: ReplicatorOptions) {}

  /**
   * Check the bucket (a reachable bucket without Object Lock is refused: `no_object_lock`, thrown), then drain. An
   * unreachable store or ledger is not an error here: the dock works offline and the drain retries.
   */
  async start(): Promise<void> {
    try {
      await this.o.store.checkObjectLock();
      this.lockChecked = true;
    } catch (e) {
      if (e instanceof UpstreamError && e.code === 'no_object_lock') throw e;
      this.o.log.warn({ err: describeStoreError(e) }, 'agency store not reachable at start: replicating once it is');
    }
    const queued = this.o.ledger.upstream.enable(this.o.now());
    if (queued) this.o.log.info({ queued }, 'replication switched on: what the ledger held is queued');
    this.stopped = false;
    this.schedule(0);
    this.heartbeat = setInterval(() => void this.report(), this.o.heartbeatMs);
    this.heartbeat.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    await Promise.allSettled([...this.inFlight.values()]);
    await this.connecting?.catch(() => undefined);
    await this.agency?.close().catch(() => undefined);
    this.agency = null;
    this.o.store.close();
  }

  /** Look at the outbox now (a change was committed). */
  nudge(): void {
    if (!this.stopped) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), ms);
    this.timer.unref?.();
  }

  /**
   * A failed transfer (or bucket check, or connection): noted as the last error, prefixed by what failed (`store:`
   * for footage, manifests and the bucket, `ledger:` for rows and the connection), and the item retried after its backoff.
   */
  private fail(item: OutboxItem | null, e: unknown, channel: 'store' | 'ledger' = item?.kind === 'object' ? 'store' : 'ledger'): void {
    const what = item ? `${item.entity} ${item.ref}: ` : '';
    const msg = `${channel}: ${what}${describeStoreError(e)}`;
    const now = this.o.now();
    this.o.ledger.upstream.noteError(now, msg);
    if (item) {
      const delay = Math.min(this.o.backoffMaxMs, this.o.backoffBaseMs * 2 ** Math.min(item.attempts, 20));
      this.o.ledger.upstream.fail(item, msg, now + Math.round(delay * (0.5 + Math.random() * 0.5)));
    }
    this.o.log.warn({ err: msg, attempts: item ? item.attempts + 1 : undefined }, 'replication: transfer failed; retrying later');
  }

  private async connect(): Promise<void> {
    if (this.agency || Date.now() < this.connectAfterMs) return;
    try {
      this.agency = await AgencyLedger.open(this.o.postgres, { max: this.o.concurrency + 1 });
      this.connectAttempts = 0;
      void this.report();
    } catch (e) {
      this.connectAttempts++;
      this.connectAfterMs = Date.now() + Math.min(this.o.backoffMaxMs, this.o.backoffBaseMs * 2 ** Math.min(this.connectAttempts, 20));
      this.fail(null, e, 'ledger');
    }
  }

  /** Check the bucket's Object Lock (once; again after a failure, with backoff). A bucket without it stops replication. */
  private async checkLock(): Promise<void> {
    if (this.lockChecked || Date.now() < this.lockCheckAfterMs) return;
    try {
      await this.o.store.checkObjectLock();
      this.lockChecked = true;
      this.lockAttempts = 0;
    } catch (e) {
      if (e instanceof UpstreamError && e.code === 'no_object_lock') {
        this.o.log.error({ err: e.message }, 'replication stopped: the bucket has no Object Lock');
        this.o.ledger.upstream.noteError(this.o.now(), e.message);
        this.stopped = true;
        return;
      }
      this.lockAttempts++;
      this.lockCheckAfterMs = Date.now() + Math.min(this.o.backoffMaxMs, this.o.backoffBaseMs * 2 ** Math.min(this.lockAttempts, 20));
      this.fail(null, e, 'store');
    }
  }

  /**
   * Rows go to the agency ledger as soon as it answers, whatever the store does (so the agency sees the dock and its
   * backlog); footage and manifests only once the bucket's Object Lock has been seen.
   */
  private tick(): void {
    this.timer = null;
    if (this.stopped) return;
    const poll = this.o.pollMs ?? 500;
    if ((!this.agency || !this.lockChecked) && !this.connecting) {
      this.connecting = (async () => {
        await this.checkLock();
        if (!this.stopped) await this.connect();
      })().finally(() => {
        this.connecting = null;
        this.schedule(this.agency && this.lockChecked ? 0 : poll);
      });
    }
    if (this.agency) {
      const free = this.o.concurrency - this.inFlight.size;
      if (free > 0) {
        for (const item of this.o.ledger.upstream.due(this.o.now(), free, [...this.inFlight.keys()], !this.lockChecked)) {
          const p = this.run(item).finally(() => {
            this.inFlight.delete(item.id);
            this.schedule(0);
          });
          this.inFlight.set(item.id, p);
        }
      }
    }
    this.schedule(poll);
  }

  private async run(item: OutboxItem): Promise<void> {
    try {
      await this.transfer(item);
      this.o.ledger.upstream.complete(item);
      this.o.ledger.upstream.noteSuccess(this.o.now(), item.kind);
    } catch (e) {
      if (e instanceof DeleteDeferred) {
        this.o.ledger.upstream.fail(item, e.message, e.retryAtMs);
        this.o.log.warn({ err: e.message, retryAt: new Date(e.retryAtMs).toISOString() }, 'replication: the store refused a delete (a finding); tried again once the retention has passed');
        return;
      }
      if (isConnectionLoss(e)) {
        // PostgreSQL went away: reconnect before the next transfer (the pool reconnects too; this bounds the noise).
        this.o.log.warn({ err: describeStoreError(e) }, 'agency ledger connection lost');
      }
      this.fail(item, e);
    }
  }

  /** Send one outbox item. Throws on anything that must be tried again. */
  private async transfer(item: OutboxItem): Promise<void> {
    const agency = this.agency!;
    if (item.kind === 'object') {
      if (item.entity === 'footage') return this.footage(agency, Number(item.ref));
      if (item.entity === 'manifest') return this.manifest(agency, item.ref);
      throw new UpstreamError('store', `unknown object kind ${item.entity}`);
    }
    if (item.entity === 'footage' || item.entity === 'manifest') throw new UpstreamError('agency_ledger', `unknown row kind ${item.entity}`);
    const row = this.o.ledger.upstream.row(item.entity, item.ref);
    if (!row) return; // gone from the dock's ledger (a confidential mark removed is carried by the recording row)
    if (item.entity === 'recording') await agency.upsertRecording(this.o.dockId, row);
    else await agency.upsertRow(this.o.dockId, item.entity, item.ref, row);
  }

  /**
   * Bring a recording's footage object to what the dock's ledger says: uploaded (or adopted when a version with the
   * same SHA-256 and size is already current: an upload whose confirmation a crash cut off), COMPLIANCE retention at
   * least until `retainUntil`, legal hold on exactly while a hold keeps it; confirmed by a HEAD of that version, and
   * its version id recorded in both ledgers. Once the dock purged the file under a signed tombstone, the version is
   * deleted (the store refuses while its retention lasts: a finding, tried again later).
   */
  private async footage(agency: AgencyLedger, recordingId: number): Promise<void> {
    const { ledger, store, dockId } = this.o;
    const src = ledger.upstream.footageSource(recordingId);
    if (!src) return;
    const key = `${dockId}/${src.storedPath}`;
    const known = ledger.upstream.object(key);
    if (src.fileRemovedAtMs !== null) {
      if (!known || known.deletedAtMs !== null) return;
      try {
        await store.deleteVersion(key, known.versionId);
      } catch (e) {
        if (e instanceof UpstreamError && e.code === 'delete_refused') {
          ledger.findings.raise({ kind: 'delete_refused', recordingId, detail: e.message, dedupeKey: `delete_refused:${key}:${known.versionId}` }, this.o.now());
          await agency.objectDeleteRefused(key, e.message);
          const h = await store.head(key, known.versionId).catch(() => null);
          throw new DeleteDeferred(e.message, Math.max(this.o.now() + this.o.backoffMaxMs, (h?.retainUntilMs ?? 0) + 1000));
        }
        throw e;
      }
      ledger.upstream.markObjectDeleted(key, this.o.now());
      await agency.objectDeleted(key);
      return;
    }
    const lockUntil = ceilSecond(Math.max(src.retainUntilMs, this.o.now() + this.o.minLockMs));
    let versionId = known && known.deletedAtMs === null ? known.versionId : null;
    if (versionId === null) {
      const current = await store.head(key);
      if (current && current.sha256 === src.sha256 && current.size === src.size) versionId = current.versionId;
      else {
        try {
          versionId = await store.putFile({ key, path: join(this.o.dataDir, src.storedPath), size: src.size, sha256: src.sha256, retainUntilMs: lockUntil, legalHold: src.held, contentType: contentTypeOf(src.storedPath) });
        } catch (e) {
          if (e instanceof UpstreamError && e.code === 'local_file') {
            ledger.findings.raise({ kind: 'upstream_file_bad', recordingId, detail: `not replicated: ${e.message}`, dedupeKey: `upstream_file_bad:${recordingId}` }, this.o.now());
          }
          throw e;
        }
      }
    }
    let h = await store.head(key, versionId);
    if (!h) throw new UpstreamError('not_confirmed', `${key} version ${versionId} is not in the store after its upload`);
    const wantUntil = ceilSecond(src.retainUntilMs);
    let changed = false;
    if (h.lockMode !== 'COMPLIANCE' || h.retainUntilMs === null || h.retainUntilMs < wantUntil) {
      await store.setRetention(key, versionId, Math.max(lockUntil, h.retainUntilMs ?? 0));
      changed = true;
    }
    if (h.legalHold !== src.held) {
      await store.setLegalHold(key, versionId, src.held);
      changed = true;
    }
    if (changed) h = await store.head(key, versionId);
    const wrong: string[] = [];
    if (!h) wrong.push('gone');
    else {
      if (h.size !== src.size) wrong.push(`size ${h.size} ≠ ${src.size}`);
      if (h.sha256 !== src.sha256) wrong.push(`sha256 metadata ${h.sha256} ≠ ${src.sha256}`);
      if (h.lockMode !== 'COMPLIANCE' || h.retainUntilMs === null || h.retainUntilMs < wantUntil) wrong.push(`lock ${h.lockMode} until ${h.retainUntilMs} < ${wantUntil}`);
      if (h.legalHold !== src.held) wrong.push(`legal hold ${h.legalHold ? 'on' : 'off'}`);
    }
    if (wrong.length || !h) throw new UpstreamError('not_confirmed', `${key} version ${versionId}: ${wrong.join(', ')}`);
    const confirmed = { key, entity: 'footage' as const, ref: String(recordingId), versionId, size: h.size, sha256: src.sha256, retainUntilMs: h.retainUntilMs, legalHold: h.legalHold };
    ledger.upstream.confirmObject({ ...confirmed, confirmedAtMs: this.o.now() });
    await agency.upsertObject({ ...confirmed, dockId });
  }

  /** A signed manifest and its signature as two locked objects, then its row in the agency ledger (which checks it). */
  private async manifest(agency: AgencyLedger, sessionId: string): Promise<void> {
    const { ledger, store, dockId } = this.o;
    const rec = ledger.upstream.manifestRecord(sessionId);
    if (!rec) return;
    const p = manifestPaths(this.o.dataDir, sessionId);
    const [body, sig] = await Promise.all([readFile(p.json), readFile(p.sig)]).catch((e: NodeJS.ErrnoException) => {
      throw new UpstreamError('local_file', `manifest ${sessionId}: ${e.code ?? e.message}`);
    });
    const sha = createHash('sha256').update(body).digest('hex');
    if (sha !== rec.sha256) throw new UpstreamError('local_file', `manifest ${sessionId}: its bytes hash to ${sha}, the ledger holds ${rec.sha256}`);
    const jsonKey = `${dockId}/manifests/${sessionId}.json`;
    const sigKey = `${jsonKey}.sig`;
    const put = async (key: string, bytes: Buffer, type: string, entity: 'manifest' | 'manifest_sig'): Promise<string> => {
      const bytesSha = createHash('sha256').update(bytes).digest('hex');
      const known = ledger.upstream.object(key);
      let versionId = known && known.deletedAtMs === null && known.sha256 === bytesSha ? known.versionId : null;
      if (versionId === null) {
        const current = await store.head(key);
        versionId = current && current.sha256 === bytesSha && current.size === bytes.length ? current.versionId : await store.putBytes(key, bytes, bytesSha, ceilSecond(this.o.now() + this.o.manifestLockMs), type);
      }
      const h = await store.head(key, versionId);
      if (!h || h.size !== bytes.length || h.sha256 !== bytesSha || h.lockMode !== 'COMPLIANCE') throw new UpstreamError('not_confirmed', `${key} version ${versionId} does not show what was written`);
      const o = { key, entity, ref: sessionId, versionId, size: h.size, sha256: bytesSha, retainUntilMs: h.retainUntilMs, legalHold: h.legalHold };
      ledger.upstream.confirmObject({ ...o, confirmedAtMs: this.o.now() });
      await agency.upsertObject({ ...o, dockId });
      return versionId;
    };
    const jsonVersionId = await put(jsonKey, body, 'application/json', 'manifest');
    const sigVersionId = await put(sigKey, sig, 'application/octet-stream', 'manifest_sig');
    const state = await agency.receiveManifest({ dockId, sessionId, seqno: rec.seqno, kind: rec.kind, sha256: rec.sha256, prevSha256: rec.prevSha256, createdAtMs: rec.createdAtMs, body, sig, jsonKey, jsonVersionId, sigKey, sigVersionId });
    if (state !== 'ok') this.o.log.warn({ manifest: sessionId, state }, 'the agency has not accepted this manifest yet (see its fleet page)');
  }

  /** Heartbeat: the dock's backlog, lag, clock and newest manifest, as its last contact. */
  private async report(): Promise<void> {
    if (!this.agency) return;
    const b = this.o.ledger.upstream.backlog();
    const head = this.o.ledger.manifests.head();
    try {
      await this.agency.report({
        dockId: this.o.dockId,
        objectsPending: b.objects,
        rowsPending: b.rows,
        oldestPendingAtMs: b.oldestQueuedAtMs,
        clockSynced: this.o.clockSynced(),
        headSeqno: head?.seqno ?? null,
        headSha256: head?.sha256 ?? null,
      });
    } catch (e) {
      this.o.log.warn({ err: describeStoreError(e) }, 'replication: heartbeat to the agency ledger failed');
    }
  }

  /** For tests and the console: report now. */
  reportNow(): Promise<void> {
    return this.report();
  }
}

function isConnectionLoss(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === '57P01' || code === '57P03';
}

function contentTypeOf(path: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return ({ mp4: 'video/mp4', mov: 'video/quicktime', wav: 'audio/wav', mp3: 'audio/mpeg', jpg: 'image/jpeg', jpeg: 'image/jpeg', aac: 'audio/aac' } as Record<string, string>)[ext] ?? 'application/octet-stream';
}
