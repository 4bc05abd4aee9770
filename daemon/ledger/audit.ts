import { createHash } from 'node:crypto';
import type { Db } from './db.js';

export const AUDIT_GENESIS = '0'.repeat(64);

export interface AuditEntry {
  id: number;
  atMs: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  detail: unknown;
  prevHash: string;
  hash: string;
}

interface Row {
  id: number;
  at_ms: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
}

function entryHash(prev: string, atMs: number, actor: string, action: string, subject: string | null, detail: string): string {
  return createHash('sha256').update(prev).update('\n').update(JSON.stringify([atMs, actor, action, subject, detail])).digest('hex');
}

/** Append-only, hash-chained audit trail: each entry's hash covers the previous hash and its own fields. */
export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly formatTime: (ms: number) => string,
  ) {}

  head(): string {
    const r = this.db.prepare('SELECT hash FROM audit ORDER BY id DESC LIMIT 1').get() as { hash: string } | undefined;
    return r?.hash ?? AUDIT_GENESIS;
  }

  /** Append an entry. Call inside the transaction of the change it records, so both land or neither. */
  append(atMs: number, actor: string, action: string, subject: string | null, detail: unknown = {}): AuditEntry {
    const prev = this.head();
    const d = JSON.stringify(detail ?? {});
    const hash = entryHash(prev, atMs, actor, action, subject, d);
    const at = this.formatTime(atMs);
    const info = this.db
      .prepare('INSERT INTO audit (at_ms, at, actor, action, subject, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)')
      .run(atMs, at, actor, action, subject, d, prev, hash);
    return { id: Number(info.lastInsertRowid), atMs, at, actor, action, subject, detail, prevHash: prev, hash };
  }

  list(opts: { limit: number; beforeId?: number; action?: string; actor?: string }): AuditEntry[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.beforeId !== undefined) (where.push('id < ?'), args.push(opts.beforeId));
    if (opts.action) (where.push('action = ?'), args.push(opts.action));
    if (opts.actor) (where.push('actor = ?'), args.push(opts.actor));
    const rows = this.db
      .prepare(`SELECT * FROM audit ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`)
      .all(...args, opts.limit) as Row[];
    return rows.map(toEntry);
  }

  /**
   * Recompute the chain; report the first entry that does not match. With `anchors` (the `auditHead` of every
   * signed manifest, in the manifests' chain order) also check the trail against them: each anchor must be the
   * hash of an entry of the recomputed chain (or the genesis hash, for a manifest signed before any entry), at or
   * after the previous anchor's entry. A trail rewritten consistently (every hash recomputed) passes the first
   * check but not this one: the anchors were signed, the database rows were not. Entries after the last anchor
   * are not yet anchored (the next signed manifest anchors them).
   */
  verify(anchors?: readonly AuditAnchor[]): AuditVerifyResult {
    let prev = AUDIT_GENESIS;
    let storedPrev = AUDIT_GENESIS;
    let n = 0;
    let broken: { brokenAt: number; problem: string } | null = null;
    // Position of each recomputed hash in the chain (genesis = 0, entry k = k).
    const position = new Map<string, number>([[AUDIT_GENESIS, 0]]);
    const ids: number[] = [0];
    for (const r of this.db.prepare('SELECT * FROM audit ORDER BY id').iterate() as IterableIterator<Row>) {
      n++;
      if (!broken && r.prev_hash !== storedPrev) broken = { brokenAt: r.id, problem: 'prev_hash does not match the previous entry' };
      const h = entryHash(prev, r.at_ms, r.actor, r.action, r.subject, r.detail);
      if (!broken && h !== r.hash) broken = { brokenAt: r.id, problem: 'entry altered: hash does not match its contents' };
      if (!position.has(h)) position.set(h, n);
      ids.push(r.id);
      prev = h;
      storedPrev = r.hash;
    }
    const result: AuditVerifyResult = broken ? { ok: false, entries: n, head: prev, ...broken } : { ok: true, entries: n, head: prev };
    if (!anchors) return result;
    const problems: string[] = [];
    let at = 0;
    let anchored = 0;
    for (const a of anchors) {
      const pos = position.get(a.auditHead);
      if (pos === undefined) {
        problems.push(`manifest ${a.sessionId}: its auditHead ${a.auditHead.slice(0, 16)}… is no entry of the audit trail (the trail was rewritten or truncated before ${a.sessionId} was signed)`);
      } else if (pos < at) {
        problems.push(`manifest ${a.sessionId}: its auditHead is entry ${ids[pos]}, before the previous manifest's anchor (entry ${ids[at]}): the trail was reordered`);
      } else {
        at = pos;
        anchored = pos;
      }
    }
    result.anchors = anchors.length;
    result.anchoredEntries = anchored;
    result.anchorProblems = problems;
    if (problems.length) {
      result.ok = false;
      result.problem ??= problems[0];
    }
    return result;
  }
}

/** A signed manifest's `auditHead`: the audit trail's head hash when it was signed. */
export interface AuditAnchor {
  sessionId: string;
  auditHead: string;
}

export interface AuditVerifyResult {
  ok: boolean;
  entries: number;
  /** The recomputed head hash. */
  head: string;
  brokenAt?: number;
  problem?: string;
  /** With anchors: how many signed manifests were checked, and how many entries (from the first) they anchor. */
  anchors?: number;
  anchoredEntries?: number;
  /** With anchors: each manifest whose anchor is missing from the trail or out of order, by name. */
  anchorProblems?: string[];
}

function toEntry(r: Row): AuditEntry {
  return { id: r.id, atMs: r.at_ms, at: r.at, actor: r.actor, action: r.action, subject: r.subject, detail: JSON.parse(r.detail), prevHash: r.prev_hash, hash: r.hash };
}
