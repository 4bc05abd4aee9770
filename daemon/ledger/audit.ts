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

  /** Recompute the chain; report the first entry that does not match. */
  verify(): { ok: boolean; entries: number; head: string; brokenAt?: number; problem?: string } {
    let prev = AUDIT_GENESIS;
    let n = 0;
    for (const r of this.db.prepare('SELECT * FROM audit ORDER BY id').iterate() as IterableIterator<Row>) {
      n++;
      if (r.prev_hash !== prev) return { ok: false, entries: n, head: prev, brokenAt: r.id, problem: 'prev_hash does not match the previous entry' };
      const h = entryHash(prev, r.at_ms, r.actor, r.action, r.subject, r.detail);
      if (h !== r.hash) return { ok: false, entries: n, head: prev, brokenAt: r.id, problem: 'entry altered: hash does not match its contents' };
      prev = r.hash;
    }
    return { ok: true, entries: n, head: prev };
  }
}

function toEntry(r: Row): AuditEntry {
  return { id: r.id, atMs: r.at_ms, at: r.at, actor: r.actor, action: r.action, subject: r.subject, detail: JSON.parse(r.detail), prevHash: r.prev_hash, hash: r.hash };
}
