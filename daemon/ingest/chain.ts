import type { Ledger } from '../ledger/index.js';
import type { DockKey } from './keys.js';
import { writeSignedManifest, type Manifest } from './manifest.js';
import type { StorageOps } from './storage.js';

type Unsigned<M> = M extends Manifest ? Omit<M, 'prevManifestSha256' | 'auditHead' | 'keyFingerprint' | 'version'> : never;

/**
 * The dock's one manifest chain. Appends are serialised so every manifest names the one before it,
 * whatever number of slots sign at once. Files are written (and fsynced) before the ledger commit;
 * start-up recovery adopts a manifest written just before a crash.
 */
export class ManifestChain {
  private lock: Promise<unknown> = Promise.resolve();

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
      const createdAtMs = Date.parse(full.createdAt);
      const { sha256 } = await writeSignedManifest(this.ops, this.dataDir, this.key, full);
      this.ledger.tx(() => {
        this.ledger.manifests.add({ sessionId: full.sessionId, kind: full.kind, seqno: (head?.seqno ?? 0) + 1, createdAtMs, sha256, prevSha256: head?.sha256 ?? null });
        commit(sha256);
        this.ledger.audit.append(createdAtMs, actor, 'manifest.signed', full.sessionId, { kind: full.kind, sha256 });
      });
      return sha256;
    };
    const p = this.lock.then(run, run);
    this.lock = p.catch(() => undefined);
    return p;
  }
}
