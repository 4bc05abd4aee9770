import type { SlotBoard, SlotView } from '../../dock/slots.js';

/** A docking that ended badly: the slot's last view, kept until someone has seen it (issue 18). */
export interface SlotEnding {
  sessionId: string;
  port: string;
  serial: string | null;
  /** The state the slot was in when its recorder left (offloading, failed, …). */
  lastState: string;
  progress: SlotView['progress'];
  findings: string[];
  endedAt: string;
}

/**
 * The dock's memory of dockings that ended badly. `/api/slots` drops a slot when its recorder leaves (the
 * contract), so a recorder pulled out mid-offload vanished from the screen without a word; this keeps the slot's
 * last view, marked as ended, until someone logged in says they have seen it (docking the recorder again does not
 * answer it: what the first docking left undone is still to be looked at). A docking that ended ready leaves
 * nothing behind. In memory: the ledger keeps the sessions.
 */
export class SlotEndings {
  private readonly last = new Map<string, SlotView>();
  private readonly ended = new Map<string, SlotEnding>();
  private readonly listeners = new Set<() => void>();
  private readonly onChange = (s: SlotView) => {
    this.last.set(s.port, s);
  };
  private readonly onGone = (port: string) => {
    const s = this.last.get(port);
    this.last.delete(port);
    if (!s || s.state === 'ready') return;
    this.ended.set(s.sessionId, { sessionId: s.sessionId, port: s.port, serial: s.serial, lastState: s.state, progress: s.progress, findings: s.findings, endedAt: this.iso(this.now()) });
    this.emit();
  };

  constructor(
    private readonly board: SlotBoard,
    private readonly now: () => number,
    private readonly iso: (ms: number) => string,
  ) {
    for (const s of board.list()) this.last.set(s.port, s);
    board.on('change', this.onChange);
    board.on('gone', this.onGone);
  }

  list(): SlotEnding[] {
    return [...this.ended.values()].sort((a, b) => a.endedAt.localeCompare(b.endedAt));
  }

  get(sessionId: string): SlotEnding | undefined {
    return this.ended.get(sessionId);
  }

  /** Someone has seen it: it leaves the screen. */
  seen(sessionId: string): boolean {
    const had = this.ended.delete(sessionId);
    if (had) this.emit();
    return had;
  }

  onUpdate(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    this.board.off('change', this.onChange);
    this.board.off('gone', this.onGone);
    this.listeners.clear();
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
