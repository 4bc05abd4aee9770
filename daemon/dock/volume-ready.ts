import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { VolumeWaitAborted, type VolumeProbe } from '../transport/volumes.js';

/** A file the volume must hold: a catalog entry the session will copy or may erase. */
export interface ExpectedFile {
  name: string;
  size: bigint;
}

/** What the volume folder held at one look. */
export interface VolumeLook extends VolumeProbe {
  /** The folder has no entries at all (a mount point before its mount, or a folder not yet filled). */
  empty: boolean;
  /** Expected files present with their catalogued size. */
  found: number;
  expected: number;
  /** Names of the expected files not (yet) there, or of another size. */
  missing: string[];
}

/** The volume can be read: `partial` when some catalogued files are not on it (they are flagged, not copied). */
export interface WholeVolume {
  verdict: 'whole';
  mounted: boolean;
  missing: string[];
}

export type VolumeVerdict =
  | WholeVolume
  | { verdict: 'wait' }
  | { verdict: 'absent'; reason: string }
  | { verdict: 'foreign'; reason: string };

/** A look at a volume whose storage has not answered (see `VolumeProbe.answering`): nothing on it is known. */
export function notAnswering(expected: ReadonlyArray<ExpectedFile>): VolumeLook {
  return { present: true, mounted: true, answering: false, empty: false, found: 0, expected: expected.length, missing: expected.map((e) => e.name) };
}

/**
 * When is a volume whole (pure: the tests feed it looks)?
 * - A mount point is whole at once: a mounted file system is complete when it is mounted. None of the
 *   catalogued files on it: not this recorder's volume. Some missing: offload what is there, the missing ones
 *   are flagged `unreadable` ("not on the volume") and stay on the recorder.
 * - A plain folder (the simulator and tests rename one into place) is whole once it holds every catalogued
 *   file with its size; until then it is watched. Still partial at the time-out: offload what is there, the
 *   missing ones flagged, as for a mount; still holding none of them: not this recorder's volume.
 * - No folder, or an empty one that never became a mount, by the time-out: the storage did not appear.
 * - A mount that does not answer: watched until the time-out (storage in error recovery may come back), then
 *   no volume either, in words that say so.
 */
export function judgeVolume(look: VolumeLook, timedOut: boolean): VolumeVerdict {
  const absent = { verdict: 'absent', reason: "the recorder's storage did not appear: check the udev rule that mounts it" } as const;
  const foreign = { verdict: 'foreign', reason: `this volume is not the recorder's: it holds none of the ${look.expected} files the recorder listed` } as const;
  if (!look.answering) return timedOut ? { verdict: 'absent', reason: "the recorder's storage is mounted but does not answer: dock it again" } : { verdict: 'wait' };
  if (!look.present || (!look.mounted && look.empty)) return timedOut ? absent : { verdict: 'wait' };
  if (look.expected === 0) return { verdict: 'whole', mounted: look.mounted, missing: [] };
  if (look.mounted) return look.found === 0 ? foreign : { verdict: 'whole', mounted: true, missing: look.missing };
  if (look.found === look.expected) return { verdict: 'whole', mounted: false, missing: [] };
  if (!timedOut) return { verdict: 'wait' };
  return look.found === 0 ? foreign : { verdict: 'whole', mounted: false, missing: look.missing };
}

/** Look at the volume folder: is it there, a mount point, empty, and which expected files it holds. */
export async function lookAtVolume(path: string, probe: VolumeProbe, expected: ReadonlyArray<ExpectedFile>): Promise<VolumeLook> {
  if (!probe.answering) return notAnswering(expected);
  if (!probe.present) return { ...probe, empty: true, found: 0, expected: expected.length, missing: expected.map((e) => e.name) };
  let empty: boolean;
  try {
    empty = (await readdir(path)).length === 0;
  } catch {
    // Gone or unreadable between the probe and now: as good as absent.
    return { present: false, mounted: false, answering: true, empty: true, found: 0, expected: expected.length, missing: expected.map((e) => e.name) };
  }
  const missing: string[] = [];
  for (const f of expected) {
    try {
      const st = await lstat(join(path, ...f.name.split('/')));
      if (!(st.isFile() && BigInt(st.size) === f.size)) missing.push(f.name);
    } catch {
      missing.push(f.name);
    }
  }
  return { ...probe, empty, found: expected.length - missing.length, expected: expected.length, missing };
}

/** How long a look that starts at (or after) the time-out may take before the volume counts as not answering. */
const LAST_LOOK_MS = 2_000;

/** What waiting for a volume needs of the volume watcher. */
export interface VolumeSource {
  probe(label: string): Promise<VolumeProbe>;
  pathOf(label: string): string;
  nextChange(label: string, pollMs: number, signal?: AbortSignal): Promise<void>;
}

export class VolumeNotReady extends Error {
  constructor(
    readonly verdict: 'absent' | 'foreign',
    message: string,
  ) {
    super(message);
    this.name = 'VolumeNotReady';
  }
}

/**
 * Wait until `<mountRoot>/<label>` is whole (see `judgeVolume`), looking again at every watcher event and
 * every `pollMs`, for at most `timeoutMs`. Throws VolumeNotReady with words for the slot, or the watcher's
 * VolumeWaitAborted when `signal` fires (at once, whatever is left of the time-out). A look still in the file
 * system (a volume that stopped answering after its probe) is waited for no longer than the time-out either.
 */
export async function awaitWholeVolume(
  volumes: VolumeSource,
  label: string,
  expected: ReadonlyArray<ExpectedFile>,
  o: { timeoutMs: number; pollMs?: number; signal?: AbortSignal; now?: () => number },
): Promise<WholeVolume & { path: string; waitedMs: number }> {
  const now = o.now ?? Date.now;
  const started = now();
  const path = volumes.pathOf(label);
  for (;;) {
    // The probe gives up on a volume that does not answer by itself; the files' look is given the time left, and
    // a last look at the time-out a moment of its own.
    const look = await within(
      volumes.probe(label).then((p) => lookAtVolume(path, p, expected)),
      Math.max(LAST_LOOK_MS, o.timeoutMs - (now() - started)),
      o.signal,
    );
    const timedOut = look === null || now() - started >= o.timeoutMs;
    const v = judgeVolume(look ?? notAnswering(expected), timedOut);
    if (v.verdict === 'whole') return { ...v, path, waitedMs: now() - started };
    if (v.verdict === 'absent' || v.verdict === 'foreign') throw new VolumeNotReady(v.verdict, v.reason);
    const left = o.timeoutMs - (now() - started);
    await volumes.nextChange(label, Math.max(1, Math.min(o.pollMs ?? 200, left)), o.signal);
  }
}

/** What `p` resolves to, or null once `ms` pass first; VolumeWaitAborted when `signal` fires first. */
function within<T>(p: Promise<T>, ms: number, signal?: AbortSignal): Promise<T | null> {
  return new Promise<T | null>((resolve, reject) => {
    if (signal?.aborted) return reject(new VolumeWaitAborted(String(signal.reason)));
    const onAbort = () => finish(() => reject(new VolumeWaitAborted(String(signal!.reason))));
    const timer = setTimeout(() => finish(() => resolve(null)), Math.max(0, ms));
    const finish = (then: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      then();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => finish(() => resolve(v)),
      (e: unknown) => finish(() => reject(e)),
    );
  });
}
