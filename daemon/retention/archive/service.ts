import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ArchiveRecord } from '../../ledger/archives.js';
import type { RetentionDeps } from '../deps.js';
import { RetentionError } from '../errors.js';
import { archiveDir, buildArchive, type ArchiveRequest } from './build.js';
import { xorrisoTool, type IsoTool } from './xorriso.js';

/** Archive discs of holds and cases (004 §16): make, list, and hand out the images (each download audited). */
export class ArchiveService {
  private building: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: RetentionDeps,
    private readonly iso: IsoTool = xorrisoTool(),
    /** Bytes the archive must leave free (ingest's `offload.minFreeBytes`). */
    private readonly keepFreeBytes = 0,
  ) {}

  /** One archive at a time: images are large, and the disk is shared with ingest. */
  create(req: ArchiveRequest, by: string): Promise<ArchiveRecord> {
    const run = () => buildArchive(this.deps, this.iso, req, by, this.keepFreeBytes);
    const p = this.building.then(run, run);
    this.building = p.catch(() => undefined);
    return p;
  }

  get(id: string): ArchiveRecord {
    const a = this.deps.ledger.archives.get(id);
    if (!a) throw new RetentionError('not_found', `no archive ${id}`);
    return a;
  }

  list(q: { limit: number; holdId?: number; before?: { createdAtMs: number; id: string } }): ArchiveRecord[] {
    return this.deps.ledger.archives.list(q);
  }

  /**
   * The path of image `n` of an archive, after registering who takes it: a disc image is a copy of every
   * recording it holds, so each gets an `archive` entry in the access register on the ground of the archive's
   * hold (or case), with the audit entry in the same transaction.
   */
  openImage(id: string, n: number, by: { username: string; role: string }): { path: string; name: string; size: number; sha256: string } {
    const a = this.get(id);
    const im = a.images.find((i) => i.n === n);
    if (!im) throw new RetentionError('not_found', `archive ${id} has no image ${n}`);
    const path = join(archiveDir(this.deps.dataDir, id), im.name);
    if (!existsSync(path)) throw new RetentionError('not_found', `image ${im.name} is no longer on the dock`);
    const now = this.deps.now();
    const { ledger } = this.deps;
    const ground = a.holdId !== null ? `hold/${a.holdId}` : `case/${a.caseRef}`;
    ledger.tx(() => {
      const accessIds = ledger.archives
        .recordingIds(id)
        .map((recordingId) => ledger.access.recordCopy({ kind: 'archive', recordingId, username: by.username, role: by.role, ground, atMs: now, at: this.deps.iso(now) }).id);
      ledger.audit.append(now, by.username, 'archive.downloaded', `archive/${id}`, { image: im.name, sha256: im.sha256, ground, accessIds });
    });
    return { path, name: im.name, size: im.size, sha256: im.sha256 };
  }
}
