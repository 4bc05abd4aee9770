import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { hashFile } from './recovery.js';
import { sha256Hex, type Manifest } from './manifest.js';

export interface VerifyFinding {
  level: 'error' | 'note';
  what: string;
}

export interface VerifyReport {
  ok: boolean;
  manifests: number;
  files: number;
  purged: number;
  findings: VerifyFinding[];
}

/**
 * Offline check of a data folder with nothing but its public key: every manifest's signature, the one
 * chain they form (no fork, no gap, no orphan), every listed file's hash, tombstones for purged files, and
 * no footage file that no manifest lists. Uses Node's own ed25519 (not the signer's library) so the check
 * is independent of the code that signed.
 */
export async function verifyDataDir(dataDir: string, opts: { unsignedOk?: Set<string> } = {}): Promise<VerifyReport> {
  const findings: VerifyFinding[] = [];
  const err = (what: string) => findings.push({ level: 'error', what });
  const note = (what: string) => findings.push({ level: 'note', what });
  const pubPath = join(dataDir, 'keys', 'dock.pub.pem');
  if (!existsSync(pubPath)) {
    err(`no public key at ${pubPath}`);
    return { ok: false, manifests: 0, files: 0, purged: 0, findings };
  }
  let key = createPublicKey(readFileSync(pubPath, 'utf8'));
  const mdir = join(dataDir, 'manifests');
  const ids = existsSync(mdir) ? readdirSync(mdir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)) : [];
  for (const f of existsSync(mdir) ? readdirSync(mdir) : []) {
    if (f.endsWith('.json.sig') && !ids.includes(f.slice(0, -9))) err(`manifests/${f}: signature without its manifest (a manifest was deleted?)`);
  }
  const parsed = new Map<string, { m: Manifest; bytes: Buffer; sha: string; sig: Buffer | null }>();
  for (const id of ids) {
    const bytes = readFileSync(join(mdir, `${id}.json`));
    const sigPath = join(mdir, `${id}.json.sig`);
    let m: Manifest;
    try {
      m = JSON.parse(bytes.toString('utf8')) as Manifest;
    } catch {
      err(`manifests/${id}.json: not valid JSON (altered?)`);
      continue;
    }
    if (m.sessionId !== id) err(`manifests/${id}.json: names session ${m.sessionId} (renamed?)`);
    parsed.set(id, { m, bytes, sha: sha256Hex(bytes), sig: existsSync(sigPath) ? readFileSync(sigPath) : null });
  }

  // The chain: start at the manifest with no predecessor and follow the hashes.
  const byPrev = new Map<string | null, string[]>();
  for (const [id, p] of parsed) {
    const k = p.m.prevManifestSha256 ?? null;
    byPrev.set(k, [...(byPrev.get(k) ?? []), id]);
  }
  const order: string[] = [];
  let prev: string | null = null;
  const seen = new Set<string>();
  for (;;) {
    const next: string[] = byPrev.get(prev) ?? [];
    if (next.length === 0) break;
    if (next.length > 1) err(`manifest chain forks after ${prev ?? 'the start'}: ${next.join(', ')} name the same predecessor`);
    const id: string = next.sort()[0]!;
    if (seen.has(id)) break;
    seen.add(id);
    order.push(id);
    prev = parsed.get(id)!.sha;
  }
  for (const id of parsed.keys()) {
    if (!seen.has(id)) err(`manifests/${id}.json: not in the chain (its predecessor ${parsed.get(id)!.m.prevManifestSha256 ?? 'null'} is missing or was altered)`);
  }

  const listed = new Map<string, { sha256: string; size: number; manifest: string }>();
  const purged = new Map<string, string>();
  for (const id of order) {
    const { m, bytes, sig } = parsed.get(id)!;
    if (!sig) err(`manifests/${id}.json: no signature file`);
    else if (sig.length !== 64 || !cryptoVerify(null, bytes, key, sig)) err(`manifests/${id}.json: signature does not verify (altered?)`);
    if (m.kind === 'docking') for (const f of m.files) listed.set(f.storedPath, { sha256: f.sha256, size: f.size, manifest: id });
    else if (m.kind === 'purge') for (const t of m.tombstones) purged.set(t.storedPath, `${id}: purged ${t.at} by ${t.approvedBy} (${t.reason})`);
    else if (m.kind === 'key_rotation') key = createPublicKey(m.newPublicKeyPem);
  }
  if (order.length > 0) {
    const last = parsed.get(order[order.length - 1]!)!;
    if (last.m.kind === 'key_rotation' && createPublicKey(readFileSync(pubPath, 'utf8')).export({ format: 'pem', type: 'spki' }) !== key.export({ format: 'pem', type: 'spki' })) {
      err('keys/dock.pub.pem is not the key the last key rotation announced');
    }
  }

  let files = 0;
  for (const [path, f] of listed) {
    const full = join(dataDir, path);
    if (purged.has(path)) {
      if (existsSync(full)) err(`${path}: a tombstone says purged, but the file is still there`);
      else note(`${path}: purged with tombstone (${purged.get(path)})`);
      continue;
    }
    if (!existsSync(full)) {
      err(`${path}: MISSING (listed in manifest ${f.manifest}, no tombstone)`);
      continue;
    }
    files++;
    const st = lstatSync(full);
    if (!st.isFile()) err(`${path}: not a regular file`);
    else if (st.size !== f.size) err(`${path}: size ${st.size} differs from the manifest's ${f.size} (altered)`);
    else if ((await hashFile(full)) !== f.sha256) err(`${path}: SHA-256 differs from manifest ${f.manifest} (altered)`);
  }
  const footage = join(dataDir, 'footage');
  for (const full of walk(footage)) {
    const rel = relative(dataDir, full);
    if (listed.has(rel)) continue;
    if (opts.unsignedOk?.has(rel)) note(`${rel}: stored, awaiting its manifest (the recorder's next docking signs it)`);
    else err(`${rel}: in footage/ but in no signed manifest (inserted?)`);
  }
  return { ok: !findings.some((f) => f.level === 'error'), manifests: order.length, files, purged: purged.size, findings };
}

function* walk(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}
