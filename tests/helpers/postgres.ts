import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway PostgreSQL 15 cluster as ../shared/TESTING.md describes: initdb and pg_ctl as the postgres user
 * (postgres refuses root), trust auth, socket and data under one temp folder. `restart()` stops and starts it.
 */
export interface PgCluster {
  url: string;
  stop(): void;
  restart(): void;
  /** Stop without starting again (an outage); `start()` brings it back. */
  halt(): void;
  start(): void;
}

const PGBIN = '/usr/lib/postgresql/15/bin';
export const postgresAvailable = () => existsSync(join(PGBIN, 'initdb'));

function asPostgres(args: string[]): void {
  const r = spawnSync('runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

export function startPostgres(port: number): PgCluster {
  const dir = mkdtempSync(join(tmpdir(), 'bwc-pg-'));
  chownSync(dir, Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()), Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()));
  const data = join(dir, 'data');
  asPostgres([join(PGBIN, 'initdb'), '-D', data, '-A', 'trust', '-U', 'bwc']);
  const start = () => asPostgres([join(PGBIN, 'pg_ctl'), '-D', data, '-l', join(dir, 'log'), '-w', 'start', '-o', `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1`]);
  const halt = () => asPostgres([join(PGBIN, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop']);
  start();
  return {
    url: `postgres://bwc@127.0.0.1:${port}/postgres`,
    start,
    halt,
    restart() {
      halt();
      start();
    },
    stop() {
      try {
        halt();
      } catch {
        /* already stopped */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
