import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  S3Client,
  UploadPartCommand,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { UpstreamError } from './errors.js';

/** `upstream.s3` of the config. */
export interface S3Settings {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** What a HEAD of one object version says. */
export interface ObjectHead {
  versionId: string;
  size: number;
  sha256: string | null;
  lockMode: string | null;
  retainUntilMs: number | null;
  legalHold: boolean;
}

export interface PutFile {
  key: string;
  /** Absolute path of the file on the dock. */
  path: string;
  size: number;
  /** The SHA-256 the dock's ledger holds (lowercase hex): the file is checked against it while it is read. */
  sha256: string;
  /** COMPLIANCE retention until this time; null: no retention (not used for footage). */
  retainUntilMs: number | null;
  legalHold: boolean;
  contentType?: string;
}

/** Parts of a multipart upload (the store's minimum is 5 MiB); a file up to one part goes in one PUT. */
export const PART_BYTES = 8 * 1024 * 1024;

const errName = (e: unknown) => (e as { name?: string; Code?: string }).Code ?? (e as Error).name ?? 'Error';
const statusOf = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** A short, internals-free description of a store error (the SDK's errors from RGW carry no message). */
export function describeStoreError(e: unknown): string {
  if (e instanceof UpstreamError) return e.message;
  const status = statusOf(e);
  const code = (e as NodeJS.ErrnoException).code;
  if (status === undefined && e instanceof Error && e.message) return `${e.name}: ${e.message}${code ? ` (${code})` : ''}`;
  return `${errName(e)}${status ? ` (HTTP ${status})` : ''}${code && code !== errName(e) ? ` ${code}` : ''}`;
}

/**
 * The agency's S3 object store, as the dock writes it: every footage object with its SHA-256 as metadata, a
 * transfer checksum the store verifies (Content-MD5 of each PUT or part: RGW checks it and answers BadDigest, while
 * it accepts a wrong x-amz-checksum-sha256 unchecked), COMPLIANCE retention and legal hold; each write confirmed by
 * a HEAD of the version written.
 */
export class ObjectStore {
  readonly client: S3Client;
  readonly bucket: string;

  constructor(s: S3Settings, opts: { maxAttempts?: number; timeoutMs?: number } = {}) {
    this.bucket = s.bucket;
    this.client = new S3Client({
      endpoint: s.endpoint,
      region: s.region,
      credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
      forcePathStyle: true,
      // Streamed and buffered PUTs carry their own Content-MD5; the SDK's default CRC trailer breaks RGW (411).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: opts.maxAttempts ?? 2,
      requestHandler: { connectionTimeout: 5000, requestTimeout: opts.timeoutMs ?? 60_000 },
    });
  }

  /** Refuse a bucket without Object Lock: footage must not go to a store that can delete it early. */
  async checkObjectLock(): Promise<void> {
    let enabled: string | undefined;
    try {
      const r = await this.client.send(new GetObjectLockConfigurationCommand({ Bucket: this.bucket }));
      enabled = r.ObjectLockConfiguration?.ObjectLockEnabled;
    } catch (e) {
      if (errName(e) === 'ObjectLockConfigurationNotFoundError' || errName(e) === 'ObjectLockConfigurationNotFound') enabled = undefined;
      else throw new UpstreamError('store', `bucket "${this.bucket}": ${describeStoreError(e)}`);
    }
    if (enabled !== 'Enabled') {
      throw new UpstreamError('no_object_lock', `bucket "${this.bucket}" has no S3 Object Lock: footage must not go to a store that can delete it; create the bucket with Object Lock enabled`);
    }
  }

  /** HEAD of the key's current version (or of `versionId`); null when there is none (or a delete marker). */
  async head(key: string, versionId?: string): Promise<ObjectHead | null> {
    let h: HeadObjectCommandOutput;
    try {
      h = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
    } catch (e) {
      const s = statusOf(e);
      if (s === 404 || errName(e) === 'NotFound' || errName(e) === 'NoSuchKey' || (s === 405 && !versionId)) return null;
      throw e;
    }
    return {
      versionId: h.VersionId ?? 'null',
      size: h.ContentLength ?? -1,
      sha256: h.Metadata?.sha256 ?? null,
      lockMode: h.ObjectLockMode ?? null,
      retainUntilMs: h.ObjectLockRetainUntilDate ? h.ObjectLockRetainUntilDate.getTime() : null,
      legalHold: h.ObjectLockLegalHoldStatus === 'ON',
    };
  }

  /**
   * Write a file as a new version of `key`: one PUT up to {@link PART_BYTES}, else a multipart upload (aborted on
   * any failure). Each chunk goes with its Content-MD5; the whole file's SHA-256 is computed as it is read and must be
   * the ledger's, or nothing is completed. Returns the version id. Retention and legal hold are then set on that
   * version (a multipart upload on RGW does not keep the lock headers of its creation) and confirmed by the caller.
   */
  async putFile(p: PutFile): Promise<string> {
    const fh = await open(p.path, 'r').catch((e: NodeJS.ErrnoException) => {
      throw new UpstreamError('local_file', `${p.path}: ${e.code ?? e.message}`);
    });
    const whole = createHash('sha256');
    const lock = p.retainUntilMs !== null ? { ObjectLockMode: 'COMPLIANCE' as const, ObjectLockRetainUntilDate: new Date(p.retainUntilMs) } : {};
    const common = { Bucket: this.bucket, Key: p.key, Metadata: { sha256: p.sha256 }, ContentType: p.contentType ?? 'application/octet-stream', ...lock, ObjectLockLegalHoldStatus: p.legalHold ? ('ON' as const) : ('OFF' as const) };
    const readChunk = async (pos: number, len: number): Promise<Buffer> => {
      const buf = Buffer.allocUnsafe(len);
      let got = 0;
      while (got < len) {
        const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
        if (bytesRead === 0) throw new UpstreamError('local_file', `${p.path}: shorter than the ${p.size} bytes the ledger holds`);
        got += bytesRead;
      }
      whole.update(buf);
      return buf;
    };
    const checkWhole = () => {
      const got = whole.digest('hex');
      if (got !== p.sha256) throw new UpstreamError('local_file', `${p.path}: SHA-256 ${got} is not the ${p.sha256} the ledger holds`);
    };
    const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');
    try {
      const st = await fh.stat();
      if (st.size !== p.size) throw new UpstreamError('local_file', `${p.path}: ${st.size} bytes, the ledger holds ${p.size}`);
      if (p.size <= PART_BYTES) {
        const body = await readChunk(0, p.size);
        checkWhole();
        const r = await this.client.send(new PutObjectCommand({ ...common, Body: body, ContentLength: body.length, ContentMD5: md5(body) }));
        return r.VersionId ?? 'null';
      }
      const { UploadId } = await this.client.send(new CreateMultipartUploadCommand(common));
      try {
        const parts: { PartNumber: number; ETag: string }[] = [];
        for (let pos = 0, n = 1; pos < p.size; pos += PART_BYTES, n++) {
          const body = await readChunk(pos, Math.min(PART_BYTES, p.size - pos));
          const r = await this.client.send(new UploadPartCommand({ Bucket: this.bucket, Key: p.key, UploadId, PartNumber: n, Body: body, ContentLength: body.length, ContentMD5: md5(body) }));
          parts.push({ PartNumber: n, ETag: r.ETag ?? '' });
        }
        checkWhole();
        const done = await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: p.key, UploadId, MultipartUpload: { Parts: parts } }));
        return done.VersionId ?? 'null';
      } catch (e) {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: p.key, UploadId })).catch(() => undefined);
        throw e;
      }
    } finally {
      await fh.close();
    }
  }

  /** Put a small object from memory (a manifest or its signature), with Content-MD5. */
  async putBytes(key: string, body: Buffer, sha256: string, retainUntilMs: number | null, contentType: string): Promise<string> {
    const lock = retainUntilMs !== null ? { ObjectLockMode: 'COMPLIANCE' as const, ObjectLockRetainUntilDate: new Date(retainUntilMs) } : {};
    const r = await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length, ContentMD5: createHash('md5').update(body).digest('base64'), ContentType: contentType, Metadata: { sha256 }, ...lock }),
    );
    return r.VersionId ?? 'null';
  }

  /** Extend (never shorten: COMPLIANCE refuses it) a version's retention. */
  async setRetention(key: string, versionId: string, untilMs: number): Promise<void> {
    await this.client.send(new PutObjectRetentionCommand({ Bucket: this.bucket, Key: key, VersionId: versionId, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(untilMs) } }));
  }

  async setLegalHold(key: string, versionId: string, on: boolean): Promise<void> {
    await this.client.send(new PutObjectLegalHoldCommand({ Bucket: this.bucket, Key: key, VersionId: versionId, LegalHold: { Status: on ? 'ON' : 'OFF' } }));
  }

  /** Delete one version. The store refuses while its retention or legal hold lasts: that is `delete_refused`. */
  async deleteVersion(key: string, versionId: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
    } catch (e) {
      if (errName(e) === 'AccessDenied') throw new UpstreamError('delete_refused', `the store refused to delete ${key} version ${versionId}: ${describeStoreError(e)} (its retention or legal hold lasts)`);
      throw e;
    }
  }

  /** A version's bytes, or a range of them (the agency console plays footage with this). */
  async get(key: string, versionId: string | undefined, range?: string) {
    return this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}), ...(range ? { Range: range } : {}) }));
  }

  async getBytes(key: string, versionId?: string): Promise<Buffer | null> {
    try {
      const r = await this.get(key, versionId);
      return Buffer.from(await r.Body!.transformToByteArray());
    } catch (e) {
      if (statusOf(e) === 404 || errName(e) === 'NoSuchKey') return null;
      throw e;
    }
  }

  close(): void {
    this.client.destroy();
  }
}
