import type { Duplex } from 'node:stream';
import { FrameKind, Status } from '../codec/constants.js';
import { Deframer } from '../codec/deframer.js';
import { encodeFrame, type Frame } from '../codec/frame.js';
import { corruptFrame, planAnswer } from './faults.js';
import { handleRequest, type Answer, type MscControl } from './handlers.js';
import type { RecorderState } from './state.js';

/** What the simulator needs of a logger (pino fits). */
export interface SimLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface SimulatedRecorderDeps {
  /** Host clock, ms since the epoch (lock-out timing and the recorder clock derive from it). Default Date.now. */
  now?: () => number;
  /** Random source for probabilistic faults and noise. Default Math.random. */
  random?: () => number;
  /** The mass-storage side; default: mode changes only, no volume. */
  msc?: MscControl;
  log?: SimLogger;
}

const NO_VOLUME: MscControl = { expose: () => undefined, withdraw: async () => undefined };

/**
 * The recorder end of the link: frames in from `link`, one request handled at a time, one answer out,
 * with the fault rules of `state.faults` applied. It never closes `link`; its owner does.
 */
export class SimulatedRecorder {
  private readonly deframer = new Deframer();
  private queue: Promise<void> = Promise.resolve();
  private detached = false;
  private readonly sleeps = new Map<NodeJS.Timeout, () => void>();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly msc: MscControl;
  private readonly onData = (chunk: Buffer) => this.deframer.write(chunk);
  private readonly onClose = () => this.detach();

  constructor(
    private readonly link: Duplex,
    readonly state: RecorderState,
    private readonly deps: SimulatedRecorderDeps = {},
  ) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.msc = deps.msc ?? NO_VOLUME;
    this.deframer.on('data', (f: Frame) => {
      if (f.kind !== FrameKind.Request) return;
      this.queue = this.queue.then(() => this.serve(f)).catch((e: unknown) => this.deps.log?.warn({ err: String(e) }, 'simulator: request failed'));
    });
    link.on('data', this.onData);
    link.on('close', this.onClose);
    link.on('end', this.onClose);
    link.on('error', this.onClose);
  }

  /** Resolves once every request received so far has been answered (or dropped). */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Stop serving: a disconnect. The login ends; pending delayed answers are abandoned. */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.state.login = 'none';
    for (const [t, wake] of this.sleeps) {
      clearTimeout(t);
      wake();
    }
    this.sleeps.clear();
    this.link.off('data', this.onData);
    this.link.off('close', this.onClose);
    this.link.off('end', this.onClose);
    this.link.off('error', this.onClose);
  }

  private async serve(req: Frame): Promise<void> {
    if (this.detached) return;
    const n = ++this.state.requestCount;
    const plan = planAnswer(this.state.faults, req.command, n, this.random);
    this.deps.log?.debug({ seq: req.seq, cmd: req.command, n, plan: { ...plan, noise: plan.noise.length } }, 'simulator: request');
    if (plan.ignore) return;
    let answer: Answer;
    try {
      answer = await handleRequest({ state: this.state, now: this.now(), msc: this.msc }, req.command, req.payload);
    } catch (e) {
      this.deps.log?.warn({ err: String(e), cmd: req.command }, 'simulator: handler failed');
      answer = { status: Status.STORAGE_ERROR, payload: Buffer.alloc(0) };
    }
    if (plan.drop) return;
    let bytes = encodeFrame({ kind: FrameKind.Response, seq: req.seq, command: req.command, status: answer.status, payload: answer.payload });
    if (plan.corrupt) bytes = corruptFrame(bytes);
    if (plan.delayMs > 0) await this.sleep(plan.delayMs);
    if (this.detached || this.link.destroyed || !this.link.writable) return;
    this.link.write(plan.noise.length > 0 ? Buffer.concat([plan.noise, bytes]) : bytes);
  }

  private sleep(ms: number): Promise<void> {
    // Woken early by detach() so the queue never hangs; serve() then sends nothing.
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.sleeps.delete(t);
        resolve();
      }, ms);
      this.sleeps.set(t, resolve);
    });
  }
}
