import { constants } from 'node:fs';
import { chmod, link, mkdir, open, rename, statfs, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The durable file operations the dock relies on, injectable so tests can assert their order
 * (fsync file → link into place → fsync folder) and simulate failures.
 */
export interface StorageOps {
  fsyncFile(path: string): Promise<void>;
  fsyncDir(path: string): Promise<void>;
  /** Hard-link `from` to `to`; fails with EEXIST rather than replacing (rename would overwrite). */
  link(from: string, to: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  mkdirp(path: string): Promise<void>;
  freeBytes(path: string): Promise<number>;
  /** Erase an original from a recorder's volume (only ever after its stored copy is signed). */
  unlinkOnVolume(path: string): Promise<void>;
  /** Make a volume folder's erasures durable before the ledger says they happened. */
  fsyncVolumeDir(path: string): Promise<void>;
}

async function fsyncFolder(path: string): Promise<void> {
  const fh = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export const realStorage: StorageOps = {
  async fsyncFile(path) {
    const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  fsyncDir: (p) => fsyncFolder(p),
  link: (a, b) => link(a, b),
  rename: (a, b) => rename(a, b),
  unlink: (p) => unlink(p),
  chmod: (p, m) => chmod(p, m),
  mkdirp: async (p) => void (await mkdir(p, { recursive: true })),
  async freeBytes(path) {
    const s = await statfs(path);
    return Number(s.bavail) * Number(s.bsize);
  },
  unlinkOnVolume: (p) => unlink(p),
  fsyncVolumeDir: (p) => fsyncFolder(p),
};

/** Write a small file durably: temp, fsync, rename over, fsync folder. */
export async function writeFileDurably(ops: StorageOps, path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode });
  await ops.fsyncFile(tmp);
  await ops.rename(tmp, path);
  await ops.fsyncDir(dirname(path));
}

/** Make a folder (and parents) and fsync the parent, so the new entry survives power loss. */
export async function mkdirDurably(ops: StorageOps, path: string): Promise<void> {
  await ops.mkdirp(path);
  await ops.fsyncDir(dirname(path));
}
