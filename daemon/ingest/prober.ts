import { join } from 'node:path';
import type { Ledger } from '../ledger/index.js';
import type { MediaProbeRecord, ProbeTarget } from '../ledger/media-probes.js';
import type { Logger } from '../log.js';
import { checkContainer } from '../policy/media-check.js';
import { MediaError, mediaTypeOf, type MediaProbe } from './media.js';

export interface MediaProberDeps {
  ledger: Pick<Ledger, 'mediaProbes' | 'recordings' | 'audit' | 'tx'>;
  media: MediaProbe;
  dataDir: string;
  log: Logger;
  now: () => number;
}

/**
 * Probes stored files' containers in the background, one ffprobe at a time (issue 14): never on the path of a
 * docking, which neither waits for it nor reads what it finds (the erase is decided before and without it).
 * It works through the recordings the ledger holds without a probe, oldest first, so what a stop cut off (and
 * what was stored before this version) is probed after the next start; `nudge()` says new files were committed.
 * Each outcome is kept with its flags (`container_unreadable`, `duration_mismatch`) and, when it raises any, an
 * audit entry, in one transaction. Without ffprobe it stops, leaving every file to probe at a later start.
 */
export class MediaProber {
  private stopped = false;
  private dirty = true;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private idleWaiters: Array<() => void> = [];
  /** Recordings up to this id were looked at in this run (a failed probe is retried at the next start). */
  private cursor = 0;

  constructor(private readonly d: MediaProberDeps) {}

  start(): void {
    if (this.loop || this.stopped) return;
    this.loop = this.run().catch((e: unknown) => this.d.log.error({ err: e }, 'media prober stopped on an error'));
  }

  /** New files may have been committed: look again. */
  nudge(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** Resolves once nothing is left to probe (or the prober stopped). */
  whenIdle(): Promise<void> {
    if (!this.loop || this.stopped || (this.wake && !this.dirty)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stop at once: a probe under way is left to its ffprobe and what it finds is not kept (the ledger may be
   * closing); that file is probed again after the next start.
   */
  stop(): void {
    this.stopped = true;
    this.wake?.();
    this.settleIdle();
  }

  private settleIdle(): void {
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.dirty = false;
      const batch = this.d.ledger.mediaProbes.pending(this.cursor, 32);
      for (const t of batch) {
        if (this.stopped) return;
        if (!(await this.probeOne(t))) {
          this.stopped = true;
          break;
        }
        this.cursor = t.id;
      }
      if (this.stopped) break;
      if (batch.length === 0 && !this.dirty) {
        this.settleIdle();
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
      }
    }
    this.settleIdle();
  }

  /** Probe one file and keep what it says; false when probing cannot go on (no ffprobe). */
  private async probeOne(t: ProbeTarget): Promise<boolean> {
    const { ledger, log } = this.d;
    let outcome;
    try {
      outcome = await this.d.media.probe(join(this.d.dataDir, t.storedPath));
    } catch (e) {
      if (e instanceof MediaError && e.code === 'ffmpeg_missing') {
        log.warn({ err: e.message }, 'ffprobe is not installed: stored files are not probed (install ffmpeg; they are probed after the next start)');
        return false;
      }
      log.warn({ recordingId: t.id, err: e instanceof Error ? e.message : String(e) }, 'could not probe a stored file: tried again after the next start');
      return true;
    }
    if (this.stopped) return false;
    const at = this.d.now();
    const base: MediaProbeRecord = { recordingId: t.id, probedAtMs: at, outcome: outcome.kind, format: null, durationMs: null, creationTime: null, creationTimeMs: null, error: null };
    if (outcome.kind === 'missing') {
      log.warn({ recordingId: t.id, storedPath: t.storedPath }, 'stored file missing when probed (bwc-dock verify reports it)');
      ledger.tx(() => ledger.mediaProbes.record(base));
      return true;
    }
    const facts = outcome.kind === 'parsed' ? outcome.facts : null;
    const check = checkContainer({
      kind: mediaTypeOf(t.name).kind,
      catalogDurationMs: t.durationMs,
      parsed: facts !== null,
      ...(outcome.kind === 'unparsed' ? { error: outcome.error } : {}),
      durationMs: facts?.durationMs ?? null,
      videoStreams: facts?.videoStreams ?? 0,
      audioStreams: facts?.audioStreams ?? 0,
    });
    const record: MediaProbeRecord = facts
      ? { ...base, format: facts.format, durationMs: facts.durationMs, creationTime: facts.creationTime, creationTimeMs: facts.creationTimeMs }
      : { ...base, error: outcome.kind === 'unparsed' ? outcome.error : null };
    ledger.tx(() => {
      ledger.mediaProbes.record(record);
      for (const flag of check.flags) ledger.recordings.addFlag(t.id, flag);
      if (check.flags.length > 0) ledger.audit.append(at, 'dock', 'recording.flagged', `${t.serial}/${t.seq}`, { recordingId: t.id, flags: check.flags, detail: check.detail, by: 'media probe' });
    });
    if (check.flags.length > 0) log.warn({ recordingId: t.id, flags: check.flags, detail: check.detail }, 'stored file flagged by its container');
    return true;
  }
}
