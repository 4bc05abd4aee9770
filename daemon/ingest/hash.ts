import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** SHA-256 of a file, lowercase hex, read in 1 MiB chunks; `signal` stops the read (it rejects with an AbortError). */
export async function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) })) h.update(chunk as Buffer);
  return h.digest('hex');
}
