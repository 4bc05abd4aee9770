import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LinkClosedError, TimeoutError } from '../../firmware-protocol/codec/errors.js';
import { Command } from '../../firmware-protocol/codec/constants.js';
import { ApiError, CONSOLE_ERROR_CODES, toApiError } from '../../daemon/console/errors.js';
import { SERVICE_ERROR_CODES, ServiceError } from '../../daemon/console/services/errors.js';
import { CHECKOUT_ERROR_CODES, CheckoutError } from '../../daemon/dock/checkout.js';
import { SESSION_FAILURE_CODES, SessionFailure } from '../../daemon/dock/session.js';
import { ERROR_CATALOGUE, catalogueEntry, errorKeyOf, slotReason } from '../../daemon/error-catalogue.js';
import { DockError } from '../../daemon/errors.js';
import { INGEST_ERROR_CODES, IngestError } from '../../daemon/ingest/errors.js';
import { MEDIA_ERROR_CODES, MediaError } from '../../daemon/ingest/media.js';
import { USER_ERROR_CODES, UserError, validateNewUser } from '../../daemon/ledger/users.js';
import { RETENTION_ERROR_CODES, RetentionError } from '../../daemon/retention/errors.js';
import { UPSTREAM_ERROR_CODES } from '../../daemon/upstream/errors.js';
import { SETUP_ERROR_CODES } from '../../daemon/setup/errors.js';

/**
 * The error catalogue (STYLE §11, as fastify's test/internals/errors.test.js holds lib/errors.js to its docs):
 * every code of every folder's union is in the table, documented, and listed in the README's "Errors" section
 * with the same status; nothing is listed that no code has.
 */

const root = new URL('../../', import.meta.url);
const source = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** The string literals of an exported union type, read from its source (the link's codes have no runtime list). */
function unionOf(path: string, name: string): string[] {
  const m = new RegExp(`export type ${name} =([^;]+);`).exec(source(path));
  if (!m) throw new Error(`no union ${name} in ${path}`);
  return [...m[1]!.matchAll(/'([^']+)'/g)].map((x) => x[1]!);
}

const DOMAINS: Record<string, readonly string[]> = {
  session: SESSION_FAILURE_CODES,
  ingest: INGEST_ERROR_CODES,
  media: MEDIA_ERROR_CODES,
  retention: RETENTION_ERROR_CODES,
  service: SERVICE_ERROR_CODES,
  console: CONSOLE_ERROR_CODES,
  checkout: CHECKOUT_ERROR_CODES,
  user: USER_ERROR_CODES,
  link: unionOf('firmware-protocol/codec/errors.ts', 'LinkErrorCode'),
  upstream: UPSTREAM_ERROR_CODES,
  setup: SETUP_ERROR_CODES,
};

const allKeys = Object.entries(DOMAINS).flatMap(([d, codes]) => codes.map((c) => `${d}.${c}`));

/** The README's "Errors" table: key → status (null for "—"). */
function readmeErrors(): Map<string, number | null> {
  const readme = source('README.md');
  const start = readme.indexOf('\n## Errors\n');
  expect(start, 'README.md has an "## Errors" section').toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const out = new Map<string, number | null>();
  for (const m of section.matchAll(/^\| `([a-z_]+\.[A-Za-z_]+)` \| (\d{3}|—) \|/gm)) {
    expect(out.has(m[1]!), `${m[1]} listed twice`).toBe(false);
    out.set(m[1]!, m[2] === '—' ? null : Number(m[2]));
  }
  return out;
}

describe('the error catalogue', () => {
  it('has every code of every union, and nothing else', () => {
    expect(allKeys.length).toBeGreaterThan(40);
    expect(Object.keys(ERROR_CATALOGUE).sort()).toEqual([...allKeys].sort());
  });

  it.each(Object.entries(ERROR_CATALOGUE))('%s: a status an HTTP client knows or none, plain words or none, a one-line doc', (key, entry) => {
    expect(entry.doc.trim().length, key).toBeGreaterThan(10);
    expect(entry.doc, key).not.toMatch(/\n/);
    if (entry.status !== null) expect(entry.status >= 400 && entry.status <= 599, key).toBe(true);
    if (entry.reason !== null) expect(entry.reason.trim().length, key).toBeGreaterThan(10);
    // A 500 answers the catalogue's words (its message may hold internals): it must have some.
    if (entry.status === 500) expect(entry.reason, key).not.toBeNull();
    // What ends a docking is shown on its slot: the offload's and the link's codes all have words.
    if (key.startsWith('session.') || key.startsWith('ingest.') || key.startsWith('link.')) expect(entry.reason, key).not.toBeNull();
  });

  it("is listed in the README's Errors section with the same status, and the README lists no other", () => {
    const readme = readmeErrors();
    for (const [key, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(readme.has(key), `${key} is documented in README.md "Errors"`).toBe(true);
      expect(readme.get(key), `${key}'s status in README.md`).toBe(entry.status);
    }
    expect([...readme.keys()].filter((k) => !(k in ERROR_CATALOGUE))).toEqual([]);
  });

  it("every domain error is a DockError whose key is its domain's and its code", () => {
    const made: DockError[] = [
      new SessionFailure('volume_missing', 'x'),
      new IngestError('disk_low', 'x'),
      new MediaError('no_picture', 'x'),
      new RetentionError('conflict', 'x'),
      new ServiceError('busy', 'x'),
      new ApiError('purged', 'x'),
      new CheckoutError('not_ready', 'x', ['battery']),
      new UserError('exists', 'username', 'x'),
    ];
    expect(made.map((e) => e.key)).toEqual(['session.volume_missing', 'ingest.disk_low', 'media.no_picture', 'retention.conflict', 'service.busy', 'console.purged', 'checkout.not_ready', 'user.exists']);
    for (const e of made) {
      expect(e).toBeInstanceOf(DockError);
      expect(e.name).toBe(e.constructor.name);
      expect(catalogueEntry(e), e.key).not.toBeNull();
    }
    expect(errorKeyOf(new LinkClosedError())).toBe('link.LINK_CLOSED');
    expect(errorKeyOf(new Error('x'))).toBeNull();
  });
});

describe('the console answers through the table', () => {
  it('a user error is 409 only when the account exists, whatever its message says', () => {
    // The old handler chose 409 by /exists/ on the message: a role named "exists" was answered 409.
    let thrown: unknown;
    try {
      validateNewUser('someone', 'exists', 'a long enough password 1');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: 'unknown_role', field: 'role' });
    expect(toApiError(thrown)).toEqual({ status: 400, error: expect.stringMatching(/^body\.role: unknown role "exists"/), extra: { code: 'user.unknown_role', field: 'role' } });
    expect(toApiError(new UserError('exists', 'username', 'user "ann" exists'))?.status).toBe(409);
    expect(toApiError(new UserError('common_password', 'password', 'is on the list of common passwords'))).toMatchObject({ status: 400, extra: { field: 'password' } });
  });

  it("a checkout refused by readiness carries its reasons; a recorder's failure is 502 with what it said", () => {
    expect(toApiError(new CheckoutError('not_ready', 'not ready: battery', ['battery']))).toEqual({ status: 409, error: 'not ready: battery', extra: { code: 'checkout.not_ready', reasons: ['battery'] } });
    expect(toApiError(new CheckoutError('recorder', 'recorder SN1: SET_INFO got no answer'))).toMatchObject({ status: 502, error: 'recorder SN1: SET_INFO got no answer' });
  });

  it('a 500 answers the plain words of the catalogue, never the message', () => {
    const a = toApiError(new RetentionError('archive_failed', 'xorriso: /var/lib/bwc-dock/footage/SN1/x.mp4 differs'));
    expect(a?.status).toBe(500);
    expect(a?.error).toBe(ERROR_CATALOGUE['retention.archive_failed'].reason);
    expect(a?.error).not.toMatch(/var\/lib/);
  });

  it('codes that never reach HTTP, and errors outside the catalogue, are not answered (a bare 500, logged)', () => {
    expect(toApiError(new IngestError('disk_low', 'full'))).toBeNull();
    expect(toApiError(new TimeoutError(Command.HELLO, 3))).toBeNull();
    expect(toApiError(new Error('boom'))).toBeNull();
    class Stranger extends DockError<'odd'> {
      readonly domain = 'nowhere';
    }
    expect(toApiError(new Stranger('odd', 'x'))).toBeNull();
  });
});

describe('slot reasons', () => {
  it("say in plain words what happened, then the error's own detail", () => {
    expect(slotReason(new IngestError('disk_low', 'dock storage full while writing /x'))).toBe(`${ERROR_CATALOGUE['ingest.disk_low'].reason} (dock storage full while writing /x)`);
    expect(slotReason(new LinkClosedError())).toMatch(/^the recorder was unplugged/);
    expect(slotReason(new Error('something else'))).toBe('something else');
  });
});
