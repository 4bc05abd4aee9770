import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { publicKeyFromPem, verifySignature } from '../ingest/keys.js';
import type { ManifestFileEntry } from '../ingest/manifest.js';
import { manifestSigners } from '../ingest/verify.js';
import type { ConsoleDeps } from './deps.js';
import { ApiError, ErrorBody } from './errors.js';
import { scopeOfRequest, userOf } from './guard.js';
import { IdParam } from './schemas.js';
import { admitFootage } from './services/admit.js';
import { ServiceError } from './services/errors.js';
import { verifyText } from './services/verify-text.js';

/**
 * `GET /api/recordings/:id/export`: a copy a recipient checks alone (CONTRACT), as a ZIP of the untouched file
 * (stored, not compressed, never re-encoded or watermarked), the manifest that lists it with its raw signature,
 * the dock's public key, `VERIFY.txt` with the openssl commands and `EXPORT.json` saying who took the copy on
 * which request. Needs an approved `copy` (or `agency`) request naming the recording; written to the register
 * (kind `export`) and the audit trail before the first byte leaves.
 */
export const exportPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const footage = resolve(deps.config.dataDir, 'footage');
  const manifests = join(deps.config.dataDir, 'manifests');

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/recordings/:id/export',
    { config: { action: 'footage.export', footage: true }, schema: { params: IdParam, response: { '4xx': ErrorBody } } },
    async (req, reply) => {
      const user = userOf(req);
      const rec = deps.ledger.recordings.get(req.params.id);
      if (!rec) throw new ServiceError('not_found', `no recording ${req.params.id}`);
      const { ground, requestId } = admitFootage(deps, user, scopeOfRequest(req), rec, 'export');
      if (rec.purgedAtMs !== null) throw new ApiError('purged', `recording ${rec.id} was purged`);
      const sessionId = rec.manifestSessionId;
      if (!sessionId) throw new ServiceError('conflict', `recording ${rec.id} is not yet listed in a signed manifest: export it once its docking is signed`);
      const path = resolve(deps.config.dataDir, rec.storedPath);
      if (!path.startsWith(footage + sep)) throw new Error(`stored path of recording ${rec.id} leaves footage/`);
      let size: number;
      let manifest: Buffer;
      let sig: Buffer;
      let pem: Buffer;
      try {
        size = (await stat(path)).size;
        manifest = await readFile(join(manifests, `${sessionId}.json`));
        sig = await readFile(join(manifests, `${sessionId}.json.sig`));
        pem = await readFile(join(deps.config.dataDir, 'keys', 'dock.pub.pem'));
      } catch (e) {
        req.log.error({ err: e, recordingId: rec.id, sessionId }, 'export: a part is missing');
        throw new ServiceError('conflict', `recording ${rec.id}: its file, manifest, signature or the dock key is missing on the dock`);
      }
      // Never hand out a copy the recipient could not verify: the signature must hold under the key we ship, and
      // the manifest must list this very file with the hash the ledger has.
      let key: Uint8Array;
      try {
        key = publicKeyFromPem(pem.toString('utf8'));
      } catch {
        throw new ServiceError('conflict', "the dock's public key (keys/dock.pub.pem) is not an ed25519 key: no verifiable copy can be made");
      }
      if (!verifySignature(manifest, sig, key)) {
        // Signed before a key rotation: ship the key that signed it, as the chain of key_rotation manifests names it.
        const signer = manifestSigners(deps.config.dataDir).get(sessionId);
        if (!signer) throw new ServiceError('conflict', `manifest ${sessionId} does not verify under any key of the dock's chain: no verifiable copy can be made`);
        pem = Buffer.from(signer, 'utf8');
        key = publicKeyFromPem(signer);
      }
      const entry = (JSON.parse(manifest.toString('utf8')) as { files?: ManifestFileEntry[] }).files?.find((f) => f.storedPath === rec.storedPath);
      if (!entry || entry.sha256 !== rec.sha256 || entry.size !== size) {
        throw new ServiceError('conflict', `manifest ${sessionId} does not list recording ${rec.id} as stored (${rec.sha256}, ${size} bytes)`);
      }
      // yazl loads with the first export, not with every daemon (issue 19); before the register, which says it happened.
      const { default: yazl } = await import('yazl');
      const now = deps.clock.now();
      const evidenceNo = rec.evidenceNo ?? `recording-${rec.id}`;
      const accessId = deps.ledger.tx(() => {
        const e = deps.ledger.access.recordCopy({ kind: 'export', recordingId: rec.id, username: user.username, role: user.role, ground, requestId, atMs: now, at: deps.iso(now) });
        deps.ledger.audit.append(now, user.username, 'recording.exported', String(rec.id), { accessId: e.id, ground, requestId, evidenceNo, sessionId, sha256: rec.sha256, size });
        return e.id;
      });
      const about = {
        evidenceNo,
        recordingId: rec.id,
        dockId: deps.config.dockId,
        file: rec.name,
        size,
        sha256: rec.sha256,
        manifest: `${sessionId}.json`,
        exportedBy: user.username,
        exportedByRole: user.role,
        exportedAt: deps.iso(now),
        ground,
        accessRequestId: requestId,
        accessRegisterEntry: accessId,
        signingKeySha256: createHash('sha256').update(key).digest('hex'),
      };
      const zip = new yazl.ZipFile();
      const mtime = new Date(now);
      zip.addBuffer(Buffer.from(verifyText({ name: rec.name, sessionId, sha256: rec.sha256, evidenceNo }), 'utf8'), 'VERIFY.txt', { mtime });
      zip.addBuffer(Buffer.from(`${JSON.stringify(about, null, 2)}\n`, 'utf8'), 'EXPORT.json', { mtime });
      zip.addBuffer(pem, 'dock.pub.pem', { mtime });
      zip.addBuffer(manifest, `${sessionId}.json`, { mtime, compress: false });
      zip.addBuffer(sig, `${sessionId}.json.sig`, { mtime, compress: false });
      zip.addReadStream(createReadStream(path), rec.name, { mtime, compress: false, size });
      zip.end();
      return reply
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="${evidenceNo.replace(/[^A-Za-z0-9._-]/g, '_')}.zip"`)
        .header('cache-control', 'no-store')
        .send(zip.outputStream);
    },
  );
};
