import type { Ledger } from '../ledger/index.js';
import type { DockKey } from './keys.js';
import { dirname } from 'node:path';
import { manifestPaths, writeSignedManifest, type Manifest } from './manifest.js';
import type { StorageOps } from './storage.js';

type Unsigned<M> = M extends Manifest ? Omit<M, 'prevManifestSha256' | 'auditHead' | 'keyFingerprint' | 'version'> : never;

/**
 * The dock's one manifest chain. Appends are serialised so every manifest names the one before it,
 * whatever number of slots sign at once. Files are written (and fsynced) before the ledger commit;
 * start-up recovery adopts a manifest written just before a crash.
 */
export class ManifestChain {
  private lock: Promise<unknown> = Promise.resolve();
  private broken: Error | null = null;

  constructor(
    private readonly dataDir: string,
    private readonly ledger: Ledger,
    private readonly ops: StorageOps,
    private key: DockKey,
  ) {}

  get publicKey(): DockKey {
    return this.key;
  }

  /**
   * Sign and write a manifest, then run `commit` (ledger changes) in the same transaction that records
   * the manifest. Returns the manifest's SHA-256.
   */
  append(m: Unsigned<Manifest>, actor: string, commit: (sha256: string) => void): Promise<string> {
    const run = async () => {
      const head = this.ledger.manifests.head();
      const full = {
        version: 1,
        ...m,
        prevManifestSha256: head?.sha256 ?? null,
        auditHead: this.ledger.audit.head(),
        keyFingerprint: this.key.fingerprint,
      } as Manifest;
      if (this.broken) throw this.broken;
      const createdAtMs = Date.parse(full.createdAt);
      let sha256: string;
      try {
        ({ sha256 } = await writeSignedManifest(this.ops, this.dataDir, this.key, full));
        this.ledger.tx(() => {
          this.ledger.manifests.add({ sessionId: full.sessionId, kind: full.kind, seqno: (head?.seqno ?? 0) + 1, createdAtMs, sha256, prevSha256: head?.sha256 ?? null });
          commit(sha256);
          this.ledger.audit.append(createdAtMs, actor, 'manifest.signed', full.sessionId, { kind: full.kind, sha256 });
        });
      } catch (e) {
        // Never let the next manifest name the same predecessor (a fork): take back what was written, or
        // refuse further manifests until start-up recovery has adopted or quarantined it.
        const p = manifestPaths(this.dataDir, full.sessionId);
        try {
          for (const f of [p.json, p.sig]) await this.ops.unlink(f).catch((x: NodeJS.ErrnoException) => (x.code === 'ENOENT' ? undefined : Promise.reject(x)));
          await this.ops.fsyncDir(dirname(p.json));
        } catch (cleanup) {
          this.broken = new Error(`manifest chain halted: ${full.sessionId} half written (${(cleanup as Error).message}); restart the dock to recover`);
        }
        throw e;
      }
      return sha256;
    };
    const p = this.lock.then(run, run);
    this.lock = p.catch(() => undefined);
    return p;
  }
}
