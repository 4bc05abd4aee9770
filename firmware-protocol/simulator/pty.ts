import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { SerialPort } from 'serialport';

class PtyError extends Error {
  constructor(
    readonly code: 'SOCAT_FAILED' | 'LINK_TIMEOUT' | 'OPEN_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'PtyError';
  }
}

export interface PtyPairOptions {
  /** The dock's end (what `detect.serialGlobs` matches), e.g. `<devDir>/bwc-A000001`. */
  devPath: string;
  /** The simulator's end, e.g. `<simDir>/A000001`. */
  simPath: string;
  socatPath?: string;
  /** How long to wait for both links. Default 5000 ms. */
  timeoutMs?: number;
}

/** A linked pty pair made by one socat process; killing it is a yanked cable (both ends close). */
export class PtyPair {
  private constructor(
    readonly devPath: string,
    readonly simPath: string,
    private readonly proc: ChildProcess,
    /** Resolves when socat has exited (killed by us or anyone else). */
    readonly exited: Promise<void>,
  ) {}

  get pid(): number {
    return this.proc.pid!;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** `socat pty,raw,echo=0,link=DEV pty,raw,echo=0,link=SIM`, then wait until both links exist. */
  static async create(o: PtyPairOptions): Promise<PtyPair> {
    for (const p of [o.devPath, o.simPath]) fs.rmSync(p, { force: true });
    const proc = spawn(o.socatPath ?? 'socat', [`pty,raw,echo=0,link=${o.devPath}`, `pty,raw,echo=0,link=${o.simPath}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const spawnFailed = new Promise<Error>((resolve) => proc.once('error', resolve));
    const pair = new PtyPair(o.devPath, o.simPath, proc, exited);
    const deadline = Date.now() + (o.timeoutMs ?? 5000);
    for (;;) {
      if (fs.existsSync(o.devPath) && fs.existsSync(o.simPath)) return pair;
      const failure = await Promise.race([spawnFailed, exited.then(() => 'exited' as const), sleep(10).then(() => null)]);
      if (failure !== null) {
        await pair.kill();
        throw new PtyError('SOCAT_FAILED', `socat could not link ${o.devPath}: ${failure instanceof Error ? failure.message : stderr.trim()}`);
      }
      if (Date.now() > deadline) {
        await pair.kill();
        throw new PtyError('LINK_TIMEOUT', `socat made no links at ${o.devPath} / ${o.simPath} within ${o.timeoutMs ?? 5000} ms`);
      }
    }
  }

  /** Kill socat (TERM, KILL after 2 s) and make sure both links are gone. */
  async kill(): Promise<void> {
    if (this.alive) {
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 2000);
      await this.exited;
      clearTimeout(t);
    }
    for (const p of [this.devPath, this.simPath]) fs.rmSync(p, { force: true });
  }
}

/** Open the simulator's end at 115200 8N1. */
export function openSimPort(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    port.open((err) => (err ? reject(new PtyError('OPEN_FAILED', `cannot open ${path}: ${err.message}`)) : resolve(port)));
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
