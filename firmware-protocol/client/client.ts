import type { Duplex } from 'node:stream';
import {
  Command,
  FrameKind,
  GET_EVENTS_MAX,
  LIST_FILES_MAX,
  type LoginRole,
  Status,
  responseTimeoutMs,
} from '../codec/constants.js';
import { Deframer, type DropReason } from '../codec/deframer.js';
import { AbortedError, BadResponseError, LinkClosedError, ProtocolError, TimeoutError } from '../codec/errors.js';
import type { DeviceTime } from '../codec/fields.js';
import { encodeFrame, type Frame } from '../codec/frame.js';
import {
  decodeEventPage,
  decodeFilePage,
  decodeHello,
  decodeInfo,
  decodeMsc,
  decodeStatus,
  decodeTime,
  encodeInfo,
  encodeLogin,
  encodePageRequest,
  encodeTime,
  type ClockReading,
  type EventEntry,
  type FileEntry,
  type Hello,
  type InfoBlock,
  type MscAnswer,
  type RecorderStatus,
} from '../codec/payloads.js';

/** What the client needs of a logger (pino fits). */
export interface LinkLogger {
  trace(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface ClientOptions {
  /** Attempts per command on time-out (LOGIN is never retried). Default 3. */
  attempts?: number;
  /** Override the spec's answer time-outs, e.g. in tests. */
  timeoutMs?: (cmd: Command) => number;
  log?: LinkLogger;
  /** Milliseconds since the epoch; injected so tests can control it. */
  now?: () => number;
  /** Seq of the first request (default random), so tests can compare written bytes with traces. */
  initialSeq?: number;
  /**
   * Aborts every request of this client, in flight or queued, and every later one, with `AbortedError`
   * (an unplug or a stopping daemon). A single request can also take a signal of its own.
   */
  signal?: AbortSignal;
}

/** A clock reading with the host's send/receive instants, for round-trip compensation. */
export interface TimedClockReading extends ClockReading {
  sentAt: number;
  receivedAt: number;
}

interface Pending {
  seq: number;
  /** Seqs of this request's earlier attempts: their answers, come late, answer it as well. */
  earlier: readonly number[];
  command: Command;
  resolve: (f: Frame) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The host side of the recorder link over any byte duplex (a serialport, a socket, a test pipe).
 * One request in flight; responses are matched by seq and command; late and stray frames are ignored.
 */
export class RecorderClient {
  private readonly deframer: Deframer;
  private seq = Math.floor(Math.random() * 0xffff);
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed: LinkClosedError | null = null;
  private readonly attempts: number;
  private readonly timeoutMs: (cmd: Command) => number;
  private readonly now: () => number;
  private readonly onData = (chunk: Buffer) => this.deframer.write(chunk);
  private readonly onClose = () => this.fail(new LinkClosedError());
  private readonly onError = (e: Error) => this.fail(new LinkClosedError(`recorder link failed: ${e.message}`));

  constructor(
    private readonly link: Duplex,
    private readonly opts: ClientOptions = {},
  ) {
    this.attempts = opts.attempts ?? 3;
    this.timeoutMs = opts.timeoutMs ?? responseTimeoutMs;
    this.now = opts.now ?? Date.now;
    if (opts.initialSeq !== undefined) this.seq = (opts.initialSeq - 1) & 0xffff;
    this.deframer = new Deframer((reason: DropReason, bytes: number) => opts.log?.warn({ reason, bytes }, 'recorder link: dropped bytes'));
    this.deframer.on('data', (f: Frame) => this.onFrame(f));
    this.deframer.on('error', () => undefined);
    link.on('data', this.onData);
    link.on('close', this.onClose);
    link.on('end', this.onClose);
    link.on('error', this.onError);
  }

  get isClosed(): boolean {
    return this.closed !== null;
  }

  get stats() {
    return this.deframer.stats;
  }

  private fail(err: LinkClosedError): void {
    if (this.closed) return;
    this.closed = err;
    const p = this.pending;
    if (p) {
      clearTimeout(p.timer);
      this.pending = null;
      p.reject(err);
    }
  }

  private onFrame(f: Frame): void {
    this.opts.log?.trace({ seq: f.seq, cmd: f.command, status: f.status, len: f.payload.length }, 'rx');
    const p = this.pending;
    if (!p || f.kind !== FrameKind.Response || (f.seq !== p.seq && !p.earlier.includes(f.seq)) || f.command !== p.command) {
      this.opts.log?.warn({ seq: f.seq, cmd: f.command, kind: f.kind }, 'recorder link: unexpected frame ignored');
      return;
    }
    clearTimeout(p.timer);
    this.pending = null;
    p.resolve(f);
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) & 0xffff;
    return this.seq;
  }

  /** The signals a request obeys: the client's and its own. */
  private signalsOf(signal?: AbortSignal): AbortSignal[] {
    return [this.opts.signal, signal].filter((s): s is AbortSignal => s !== undefined);
  }

  private abortedBy(signals: AbortSignal[]): AbortedError | null {
    const s = signals.find((x) => x.aborted);
    return s ? new AbortedError(abortReason(s)) : null;
  }

  /**
   * One attempt: a new seq, one answer awaited. `attempts` holds the seqs of this request's earlier attempts (this
   * one's is added): their answers count too, since the recorder carried out the request it answers late (an
   * ENTER_MSC answered after the time-out did enter mass storage, and the retry's own answer is WRONG_MODE).
   */
  private sendOnce(command: Command, payload: Buffer, signals: AbortSignal[] = [], attempts: number[] = []): Promise<Frame> {
    return new Promise<Frame>((resolve, reject) => {
      if (this.closed) return reject(this.closed);
      const aborted = this.abortedBy(signals);
      if (aborted) return reject(aborted);
      const seq = this.nextSeq();
      const earlier = [...attempts];
      attempts.push(seq);
      const onAbort = (ev: Event) => {
        clearTimeout(timer);
        if (this.pending?.seq === seq) this.pending = null;
        reject(new AbortedError(abortReason(ev.target as AbortSignal)));
      };
      const unlisten = () => {
        for (const s of signals) s.removeEventListener('abort', onAbort);
      };
      for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => {
        unlisten();
        if (this.pending?.seq === seq) this.pending = null;
        reject(new TimeoutError(command, 1));
      }, this.timeoutMs(command));
      this.pending = {
        seq,
        earlier,
        command,
        resolve: (f) => {
          unlisten();
          resolve(f);
        },
        reject: (e) => {
          unlisten();
          reject(e);
        },
        timer,
      };
      const bytes = encodeFrame({ kind: FrameKind.Request, seq, command, status: 0, payload });
      this.opts.log?.trace({ seq, cmd: command, hex: bytes.toString('hex') }, 'tx');
      this.link.write(bytes, (err) => {
        // A write that fails (EIO on a yanked pty) means the link is gone, for this request and all after it.
        if (err) this.fail(new LinkClosedError(`write failed: ${err.message}`));
      });
    });
  }

  /**
   * Run `run` when the requests before it are done (one request in flight). An abort rejects at once,
   * whether the request is queued or in flight; the queue moves on.
   */
  private enqueue<T>(run: () => Promise<T>, signals: AbortSignal[]): Promise<T> {
    const guarded = () => {
      const aborted = this.abortedBy(signals);
      return aborted ? Promise.reject(aborted) : run();
    };
    const p = this.queue.then(guarded, guarded);
    this.queue = p.catch(() => undefined);
    if (signals.length === 0) return p;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (ev: Event) => {
        done();
        reject(new AbortedError(abortReason(ev.target as AbortSignal)));
      };
      const done = () => {
        for (const s of signals) s.removeEventListener('abort', onAbort);
      };
      for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => (done(), resolve(v)),
        (e: unknown) => (done(), reject(e)),
      );
    });
  }

  /** Send a request and wait for its answer; retries time-outs with a new seq; throws ProtocolError on a non-OK status. */
  request(command: Command, payload: Buffer = Buffer.alloc(0), signal?: AbortSignal): Promise<Buffer> {
    const signals = this.signalsOf(signal);
    return this.enqueue(async (): Promise<Buffer> => {
      const attempts = command === Command.LOGIN ? 1 : this.attempts;
      const seqs: number[] = [];
      for (let i = 1; ; i++) {
        try {
          const f = await this.sendOnce(command, payload, signals, seqs);
          if (f.status !== Status.OK) throw new ProtocolError(command, f.status);
          return f.payload;
        } catch (e) {
          if (e instanceof TimeoutError && i < attempts) continue;
          if (e instanceof TimeoutError) throw new TimeoutError(command, i);
          throw e;
        }
      }
    }, signals);
  }

  async hello(): Promise<Hello> {
    return decodeHello(await this.request(Command.HELLO));
  }

  async login(role: LoginRole, password: string): Promise<void> {
    const p = await this.request(Command.LOGIN, encodeLogin({ role, password }));
    expectEmpty(Command.LOGIN, p);
  }

  async logout(): Promise<void> {
    expectEmpty(Command.LOGOUT, await this.request(Command.LOGOUT));
  }

  async getInfo(): Promise<InfoBlock> {
    return decodeInfo(await this.request(Command.GET_INFO));
  }

  async setInfo(info: InfoBlock): Promise<void> {
    expectEmpty(Command.SET_INFO, await this.request(Command.SET_INFO, encodeInfo(info)));
  }

  /** GET_TIME with the host instants around it; on a retry only the successful exchange's instants count. */
  async getTime(): Promise<TimedClockReading> {
    const signals = this.signalsOf();
    return this.enqueue(async (): Promise<TimedClockReading> => {
      for (let i = 1; ; i++) {
        const sentAt = this.now();
        try {
          const f = await this.sendOnce(Command.GET_TIME, Buffer.alloc(0), signals);
          const receivedAt = this.now();
          if (f.status !== Status.OK) throw new ProtocolError(Command.GET_TIME, f.status);
          return { ...decodeTime(f.payload), sentAt, receivedAt };
        } catch (e) {
          if (e instanceof TimeoutError && i < this.attempts) continue;
          if (e instanceof TimeoutError) throw new TimeoutError(Command.GET_TIME, i);
          throw e;
        }
      }
    }, signals);
  }

  async setTime(time: DeviceTime, ms: number, tz: number): Promise<void> {
    expectEmpty(Command.SET_TIME, await this.request(Command.SET_TIME, encodeTime({ time, ms, tz })));
  }

  async getStatus(): Promise<RecorderStatus> {
    return decodeStatus(await this.request(Command.GET_STATUS));
  }

  /** The whole catalog, paged 31 at a time, ascending seq. */
  async listFiles(): Promise<FileEntry[]> {
    const out: FileEntry[] = [];
    for (let start = 0; ; ) {
      const page = decodeFilePage(await this.request(Command.LIST_FILES, encodePageRequest({ start, max: LIST_FILES_MAX })));
      out.push(...page.entries);
      start += page.entries.length;
      if (page.entries.length === 0 || start >= page.total) break;
    }
    return out;
  }

  /** Events from index `from` on (the recorder's life-long numbering), paged 64 at a time. */
  async getEvents(from = 0): Promise<{ total: number; events: EventEntry[] }> {
    const events: EventEntry[] = [];
    let total = 0;
    for (let start = from; ; ) {
      const page = decodeEventPage(await this.request(Command.GET_EVENTS, encodePageRequest({ start, max: GET_EVENTS_MAX })));
      total = page.total;
      events.push(...page.entries);
      start += page.entries.length;
      if (page.entries.length === 0 || start >= page.total) break;
    }
    return { total, events };
  }

  async enterMsc(): Promise<MscAnswer> {
    return decodeMsc(await this.request(Command.ENTER_MSC));
  }

  async exitMsc(): Promise<void> {
    expectEmpty(Command.EXIT_MSC, await this.request(Command.EXIT_MSC));
  }

  /** Stop listening; the caller owns and closes the underlying port. */
  detach(): void {
    this.fail(new LinkClosedError('client detached'));
    this.link.off('data', this.onData);
    this.link.off('close', this.onClose);
    this.link.off('end', this.onClose);
    this.link.off('error', this.onError);
  }
}

function abortReason(s: AbortSignal): string {
  const r: unknown = s.reason;
  if (typeof r === 'string') return r;
  if (r instanceof Error && r.name !== 'AbortError') return r.message;
  return 'request aborted';
}

function expectEmpty(cmd: Command, p: Buffer): void {
  if (p.length !== 0) throw new BadResponseError(`${Command[cmd]}: expected an empty payload, got ${p.length} bytes`);
}

