import { EventEmitter } from 'node:events';

export interface SlotProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second over the current offload. */
  rate: number;
}

/** What the console shows of one attached recorder (CONTRACT `GET /api/slots`). */
export interface SlotView {
  port: string;
  sessionId: string;
  serial: string | null;
  idCode: string | null;
  officer: { officerNo: string; name: string; unitNo: string } | null;
  state: string;
  progress: SlotProgress;
  driftMs: number | null;
  battery: number | null;
  error: string | null;
  findings: string[];
  startedAt: string;
}

/** Live status of every slot; emits 'change' with the slot (or 'gone' with its port). */
export class SlotBoard extends EventEmitter {
  private readonly slots = new Map<string, SlotView>();

  list(): SlotView[] {
    return [...this.slots.values()].sort((a, b) => a.port.localeCompare(b.port));
  }

  get(port: string): SlotView | undefined {
    return this.slots.get(port);
  }

  bySerial(serial: string): SlotView | undefined {
    return [...this.slots.values()].find((s) => s.serial === serial);
  }

  put(view: SlotView): void {
    this.slots.set(view.port, view);
    this.emit('change', view);
  }

  update(port: string, patch: Partial<SlotView>): void {
    const cur = this.slots.get(port);
    if (!cur) return;
    const next = { ...cur, ...patch };
    this.slots.set(port, next);
    this.emit('change', next);
  }

  remove(port: string): void {
    if (this.slots.delete(port)) this.emit('gone', port);
  }
}
