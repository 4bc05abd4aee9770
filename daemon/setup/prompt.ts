import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import { SetupError } from './errors.js';

/** Where the dialogue reads its answers and writes its questions. */
export interface Prompter {
  /** A person at a terminal: a refused answer is asked again. Otherwise answers come one per line and a refused one ends the setup. */
  readonly interactive: boolean;
  /** One answer, without its line end. `secret`: not echoed. Rejects with SetupError `input_ended` or `interrupted`. */
  ask(question: string, opts?: { secret?: boolean }): Promise<string>;
  say(text: string): void;
  close(): void;
}

interface Streams {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: { write(s: string): unknown; isTTY?: boolean; columns?: number };
}

const ended = () => new SetupError('input_ended', '输入在设置完成前结束，未写入任何内容 / input ended before the setup was done: nothing was written');
const interrupted = () => new SetupError('interrupted', '已中断，未写入任何内容 / interrupted: nothing was written');

/** A terminal (stdin a TTY): readline with line editing, no history (a password must never come back with ↑), secrets not echoed. */
class TerminalPrompter implements Prompter {
  readonly interactive = true;
  private readonly rl: Interface;
  private muted = false;
  private pending: { reject(e: Error): void } | null = null;
  private closed = false;

  constructor(private readonly s: Streams) {
    const out = s.output;
    const self = this;
    // What readline echoes goes through here: while a secret is typed, nothing reaches the terminal.
    const echo = new Writable({
      write(chunk, _enc, cb) {
        if (!self.muted) out.write(chunk);
        cb();
      },
    });
    Object.defineProperty(echo, 'columns', { get: () => out.columns ?? 80 });
    this.rl = createInterface({ input: s.input, output: echo, terminal: true, historySize: 0 });
    this.rl.on('SIGINT', () => this.fail(interrupted()));
    this.rl.on('close', () => {
      this.closed = true;
      this.fail(ended());
    });
  }

  private fail(e: SetupError): void {
    const p = this.pending;
    this.pending = null;
    if (this.muted) this.s.output.write('\n');
    this.muted = false;
    p?.reject(e);
  }

  ask(question: string, opts: { secret?: boolean } = {}): Promise<string> {
    if (this.closed) return Promise.reject(ended());
    return new Promise<string>((resolve, reject) => {
      this.pending = { reject };
      // readline writes the question itself (it redraws it on a correction); a secret is muted only after it.
      this.muted = false;
      this.rl.question(question, (answer) => {
        if (this.muted) this.s.output.write('\n');
        this.muted = false;
        this.pending = null;
        resolve(answer);
      });
      this.muted = opts.secret === true;
    });
  }

  say(text: string): void {
    this.s.output.write(`${text}\n`);
  }

  close(): void {
    this.closed = true;
    this.pending = null;
    this.rl.close();
  }
}

/** Answers one per line from a pipe or a file (a script, a test): the questions are written, and the answers that are not secret. */
class LinePrompter implements Prompter {
  readonly interactive = false;
  private readonly rl: Interface;
  private readonly lines: AsyncIterator<string>;

  constructor(private readonly s: Streams) {
    this.rl = createInterface({ input: s.input, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
    this.lines = this.rl[Symbol.asyncIterator]();
  }

  async ask(question: string, opts: { secret?: boolean } = {}): Promise<string> {
    this.s.output.write(question);
    const next = await this.lines.next();
    if (next.done) {
      this.s.output.write('\n');
      throw ended();
    }
    const answer = next.value.replace(/\r$/, '');
    // The transcript shows what was answered, as a terminal would, but never a secret.
    this.s.output.write(`${opts.secret ? '' : answer}\n`);
    return answer;
  }

  say(text: string): void {
    this.s.output.write(`${text}\n`);
  }

  close(): void {
    this.rl.close();
  }
}

/** A prompter for these streams: a terminal's when the input is a TTY, else one answer per line. */
export function prompterFor(s: Streams): Prompter {
  return s.input.isTTY ? new TerminalPrompter(s) : new LinePrompter(s);
}
