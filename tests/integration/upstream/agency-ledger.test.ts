import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgencyLedger, type ManifestArrival } from '../../../daemon/upstream/agency-ledger.js';
import { startPostgres, type PgCluster } from '../../helpers/postgres.js';

/**
 * The agency ledger's check of each dock's manifests on arrival (issue 16), against a real PostgreSQL: signature with
 * the enrolled key (following key rotations), chain link with the dock's previous manifest, out-of-order arrival,
 * a break recorded, an unknown key quarantined; idempotent replays.
 */

let pg: PgCluster;
let agency: AgencyLedger;

beforeAll(async () => {
  pg = startPostgres(54800 + Math.floor(Math.random() * 150));
  agency = await AgencyLedger.open(pg.url);
}, 60_000);
afterAll(async () => {
  await agency?.close();
  pg?.stop();
});

const keyPair = () => generateKeyPairSync('ed25519');
const pemOf = (k: ReturnType<typeof keyPair>) => k.publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** A dock's chain of signed manifests, as the dock writes them. */
function chain(dockId: string, first: ReturnType<typeof keyPair>) {
  let key = first;
  let prev: string | null = null;
  let seqno = 0;
  return {
    next(extra: Record<string, unknown> = {}, o: { signWith?: ReturnType<typeof keyPair>; prevOverride?: string | null } = {}): ManifestArrival {
      seqno++;
      const sessionId = `S${seqno}`;
      const body = Buffer.from(JSON.stringify({ version: 1, kind: 'docking', dockId, sessionId, createdAt: '2026-12-01T10:00:00+08:00', prevManifestSha256: o.prevOverride !== undefined ? o.prevOverride : prev, ...extra }));
      const sha256 = createHash('sha256').update(body).digest('hex');
      const sig = sign(null, body, (o.signWith ?? key).privateKey);
      const m: ManifestArrival = {
        dockId,
        sessionId,
        seqno,
        kind: (extra.kind as string) ?? 'docking',
        sha256,
        prevSha256: prev,
        createdAtMs: Date.parse('2026-12-01T02:00:00Z'),
        body,
        sig,
        jsonKey: `${dockId}/manifests/${sessionId}.json`,
        jsonVersionId: `v${seqno}`,
        sigKey: `${dockId}/manifests/${sessionId}.json.sig`,
        sigVersionId: `s${seqno}`,
      };
      prev = sha256;
      return m;
    },
    rotate(to: ReturnType<typeof keyPair>) {
      const m = this.next({ kind: 'key_rotation', newPublicKeyPem: pemOf(to) });
      key = to;
      return m;
    },
  };
}

const states = async (dockId: string) =>
  (await agency.pool.query<{ session_id: string; state: string; problem: string | null }>('SELECT session_id, state, problem FROM manifests WHERE dock_id = $1 ORDER BY seqno', [dockId])).rows;

describe('agency ledger: manifests checked on arrival', () => {
  it('an enrolled dock: in order ok, out of order waits for its predecessor, a replay changes nothing, a rotation hands over to the new key', async () => {
    const k1 = keyPair();
    const k2 = keyPair();
    await agency.enroll('dock-1', pemOf(k1));
    const c = chain('dock-1', k1);
    const [m1, m2, m3] = [c.next(), c.next(), c.next()];
    expect(await agency.receiveManifest(m1)).toBe('ok');
    expect(await agency.receiveManifest(m3)).toBe('pending');
    expect(await agency.receiveManifest(m2)).toBe('ok');
    expect((await states('dock-1')).map((m) => m.state)).toEqual(['ok', 'ok', 'ok']);
    expect(await agency.receiveManifest(m2)).toBe('ok');
    expect((await states('dock-1')).length).toBe(3);
    const rot = c.rotate(k2);
    expect(await agency.receiveManifest(rot)).toBe('ok');
    expect(await agency.receiveManifest(c.next())).toBe('ok');
  });

  it('a break of the chain is recorded and shown; the walk goes on after it', async () => {
    const k = keyPair();
    await agency.enroll('dock-2', pemOf(k));
    const c = chain('dock-2', k);
    await agency.receiveManifest(c.next());
    const bad = c.next({}, { prevOverride: 'ff'.repeat(32) });
    expect(await agency.receiveManifest(bad)).toBe('broken');
    expect(await agency.receiveManifest(c.next())).toBe('ok');
    const s = await states('dock-2');
    expect(s[1]!.problem).toMatch(/chain break: prevManifestSha256 f+ is not [0-9a-f]{64} \(manifest 1 of the dock\)/);
    expect((await agency.manifestProblems()).filter((p) => p.dockId === 'dock-2').map((p) => p.sessionId)).toEqual(['S2']);
  });

  it('an unknown key is quarantined, and an unenrolled dock waits until enrolment checks it', async () => {
    const k = keyPair();
    const stranger = keyPair();
    await agency.enroll('dock-3', pemOf(k));
    const c = chain('dock-3', k);
    await agency.receiveManifest(c.next());
    expect(await agency.receiveManifest(c.next({}, { signWith: stranger }))).toBe('quarantined');
    expect((await states('dock-3'))[1]!.problem).toMatch(/does not verify with the enrolled key/);

    const k4 = keyPair();
    const d = chain('dock-4', k4);
    expect(await agency.receiveManifest(d.next())).toBe('quarantined');
    expect(await agency.receiveManifest(d.next())).toBe('quarantined');
    expect((await states('dock-4'))[0]!.problem).toMatch(/not enrolled/);
    const r = await agency.enroll('dock-4', pemOf(k4));
    expect(r.states).toEqual({ ok: 2 });
  });
});
