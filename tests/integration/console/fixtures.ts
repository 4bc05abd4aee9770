import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addOfficers, addRecording, dockRecorder, type Harness } from '../../helpers/console.js';

export interface Fixture {
  ownRec: number;
  otherRec: number;
  finding: number;
  sessionId: string;
}

/** Officers, a docked recorder still offloading, two recordings (one per officer), a finding, a signed manifest and the key. */
export function seed(h: Harness, mp4: string): Fixture {
  addOfficers(h);
  dockRecorder(h, 'SN000001', 'offloading');
  const ownRec = addRecording(h, { seq: 1, officerNo: '100001', file: mp4 });
  const otherRec = addRecording(h, { seq: 2, officerNo: '100002', file: mp4 });
  const finding = h.ledger.findings.raise({ kind: 'drift', detail: 'recorder clock off by 9 s', serial: 'SN000001', officerNo: '100001' }, h.clock.t).id;
  const sessionId = h.ledger.recordings.get(ownRec)!.sessionId;
  writeFileSync(join(h.dataDir, 'manifests', `${sessionId}.json`), '{"kind":"docking"}\n');
  writeFileSync(join(h.dataDir, 'manifests', `${sessionId}.json.sig`), Buffer.alloc(64, 7));
  mkdirSync(join(h.dataDir, 'keys'), { recursive: true });
  writeFileSync(join(h.dataDir, 'keys', 'dock.pub.pem'), '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n');
  return { ownRec, otherRec, finding, sessionId };
}
