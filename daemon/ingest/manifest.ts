import type { TombstoneRecord } from '../ledger/tombstones.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { DockKey } from './keys.js';
import { mkdirDurably, writeFileDurably, type StorageOps } from './storage.js';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ManifestFileEntry {
  name: string;
  storedPath: string;
  size: number;
  sha256: string;
  deviceSha256: string | null;
  seq: number;
  recordedStart: string | null;
  correctedStart: string | null;
  durationMs: number;
  flags: string[];
  sessionId: string;
  /**
   * The recording's officer, offload time and retention date as the ledger stored them, signed so that `bwc-dock
   * verify` can hold the ledger to them (absent in manifests signed before these were added).
   */
  officerNo?: string | null;
  offloadedAt?: string;
  retainUntil?: string;
}

/** A tombstone as a purge manifest lists it: the ledger's record without its own bookkeeping. */
export type Tombstone = Omit<TombstoneRecord, 'recordingId' | 'manifestSessionId' | 'atMs' | 'fileRemovedAtMs'>;

interface ManifestBase {
  version: 1;
  dockId: string;
  sessionId: string;
  createdAt: string;
  prevManifestSha256: string | null;
  auditHead: string;
  keyFingerprint: string;
}

export interface DockingManifest extends ManifestBase {
  kind: 'docking';
  result: 'ok' | 'interrupted' | 'failed';
  device: { serial: string; idCode: string; officerNo: string | null; officerName: string | null; unitNo: string | null };
  clock: { deviceTime: string | null; dockTime: string | null; driftMs: number | null; dockSynced: boolean; clockSet: boolean };
  files: ManifestFileEntry[];
}

export interface PurgeManifest extends ManifestBase {
  kind: 'purge';
  tombstones: Tombstone[];
}

export interface KeyRotationManifest extends ManifestBase {
  kind: 'key_rotation';
  newPublicKeyPem: string;
  /** The key this rotation retires (the one that signs it), so a verifier knows where the chain's keys start. */
  previousPublicKeyPem?: string;
}

export type Manifest = DockingManifest | PurgeManifest | KeyRotationManifest;

/** The exact bytes that are signed and hashed: pretty JSON with a final newline. */
export const manifestBytes = (m: Manifest) => Buffer.from(JSON.stringify(m, null, 2) + '\n', 'utf8');

export const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export const manifestPaths = (dataDir: string, sessionId: string) => ({
  json: join(dataDir, 'manifests', `${sessionId}.json`),
  sig: join(dataDir, 'manifests', `${sessionId}.json.sig`),
});

/** Write `<id>.json` and its raw 64-byte signature `<id>.json.sig`, each durably. Returns the manifest's SHA-256. */
export async function writeSignedManifest(ops: StorageOps, dataDir: string, key: DockKey, m: Manifest): Promise<{ sha256: string; bytes: Buffer }> {
  const bytes = manifestBytes(m);
  const sig = Buffer.from(key.sign(bytes));
  const p = manifestPaths(dataDir, m.sessionId);
  if (!existsSync(dirname(p.json))) await mkdirDurably(ops, dirname(p.json));
  // The signature lands first: a .json without .sig would look like tampering, a lone .sig is harmless.
  await writeFileDurably(ops, p.sig, sig, 0o444);
  await writeFileDurably(ops, p.json, bytes, 0o444);
  return { sha256: sha256Hex(bytes), bytes };
}
