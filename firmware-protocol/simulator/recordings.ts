import fs from 'node:fs';
import { Caps, EventCode, FileFlags } from '../codec/constants.js';
import { deviceEpoch, deviceTimeString } from './clock.js';
import type { ClipFactory, ClipKind } from './clips.js';
import { logEvent, logEventAt } from './events.js';
import type { RecorderState, SimFile } from './state.js';

export interface RecordingOptions {
  /** Default 'video' (MP4); 'audio' makes WAV files flagged AUDIO_ONLY. */
  kind?: 'video' | 'audio';
  /** Whole recording length. Default 3000 ms. */
  durationMs?: number;
  /** Longest segment (the spec's is 10 minutes). Default 600 000 ms. */
  segmentMs?: number;
  /** Pause between one segment's end and the next one's start, 0..999 ms. Default 400. */
  gapMs?: number;
  /** Recorder-clock instant (ms since the epoch) of the start. Default: so that the recording ends now. */
  startAt?: number;
  /** Marked important by the officer: `_IMP` in the names, IMPORTANT flag, a MARK_IMPORTANT event. */
  important?: boolean;
  /** Officer number in the file names. Default: the INFO block's `userNo`. */
  userNo?: string;
  /** Fault: the capture hash of these segments (0-based) disagrees with the file. */
  badHashSegments?: number[];
  /** Benchmarks: every segment padded to this size (see `ClipRequest.sizeBytes`). */
  segmentBytes?: number;
}

export interface PhotoOptions {
  /** Recorder-clock instant; default now. */
  at?: number;
  important?: boolean;
  userNo?: string;
  badHash?: boolean;
}

/** Where the recorder's files are written: the storage folder, or the mounted volume in MSC mode. */
export interface StorageLocator {
  pathOf(name: string): string;
}

export interface RecordingDeps {
  state: RecorderState;
  clips: ClipFactory;
  storage: StorageLocator;
  /** Host clock. */
  now: () => number;
}

const EXT: Record<ClipKind, string> = { video: 'MP4', audio: 'WAV', photo: 'JPG' };

/** `DCIM/<NNN>BWC/<serial>_<userNo>_<YYYYMMDDhhmmss>_<seq>[_IMP].<EXT>` */
function fileName(s: RecorderState, userNo: string, start: string, seq: number, important: boolean, kind: ClipKind): string {
  const seqStr = String(seq).padStart(4, '0');
  return `DCIM/${s.folderNo}BWC/${s.identity.serial}_${userNo}_${start}_${seqStr}${important ? '_IMP' : ''}.${EXT[kind]}`;
}

/**
 * Record: one or more segments of real media with consecutive seq, CONTINUES on all but the last, each next
 * segment starting `gapMs` after the previous end; REC_START/REC_STOP (and MARK_IMPORTANT) logged.
 */
export async function addRecording(d: RecordingDeps, o: RecordingOptions = {}): Promise<SimFile[]> {
  const { state } = d;
  const kind = o.kind ?? 'video';
  const total = o.durationMs ?? 3000;
  const segMax = o.segmentMs ?? 600_000;
  const gap = o.gapMs ?? 400;
  if (total <= 0 || segMax <= 0 || gap < 0 || gap > 999) throw new RangeError('durationMs and segmentMs must be > 0, gapMs 0..999');
  const lengths: number[] = [];
  for (let left = total; left > 0; left -= segMax) lengths.push(Math.min(left, segMax));
  const span = total + gap * (lengths.length - 1);
  let at = o.startAt ?? deviceEpoch(state, d.now()) - span;
  const seqs = lengths.map(() => state.nextSeq++);
  logEventAt(state, at, EventCode.REC_START, seqs[0]);
  const files: SimFile[] = [];
  for (let i = 0; i < lengths.length; i++) {
    const last = i === lengths.length - 1;
    const flags = (kind === 'audio' ? FileFlags.AUDIO_ONLY : 0) | (o.important ? FileFlags.IMPORTANT : 0) | (last ? 0 : FileFlags.CONTINUES);
    files.push(
      await writeFile(d, { kind, at, durationMs: lengths[i]!, seq: seqs[i]!, flags, important: !!o.important, userNo: o.userNo, badHash: o.badHashSegments?.includes(i) ?? false, sizeBytes: o.segmentBytes }),
    );
    at += lengths[i]! + gap;
  }
  logEventAt(state, at - gap, EventCode.REC_STOP, seqs[seqs.length - 1]);
  if (o.important) logEvent(state, d.now(), EventCode.MARK_IMPORTANT, seqs[0]);
  return files;
}

export async function addPhoto(d: RecordingDeps, o: PhotoOptions = {}): Promise<SimFile> {
  const at = o.at ?? deviceEpoch(d.state, d.now());
  const seq = d.state.nextSeq++;
  const flags = FileFlags.PHOTO | (o.important ? FileFlags.IMPORTANT : 0);
  const f = await writeFile(d, { kind: 'photo', at, durationMs: 0, seq, flags, important: !!o.important, userNo: o.userNo, badHash: !!o.badHash, sizeBytes: undefined });
  if (o.important) logEvent(d.state, d.now(), EventCode.MARK_IMPORTANT, seq);
  return f;
}

interface WriteSpec {
  kind: ClipKind;
  at: number;
  durationMs: number;
  seq: number;
  flags: number;
  important: boolean;
  userNo: string | undefined;
  badHash: boolean;
  sizeBytes: number | undefined;
}

async function writeFile(d: RecordingDeps, w: WriteSpec): Promise<SimFile> {
  const { state } = d;
  const start = deviceTimeString(state, w.at);
  const name = fileName(state, w.userNo ?? state.info.userNo, start, w.seq, w.important, w.kind);
  const made = await d.clips.make({
    kind: w.kind,
    durationMs: w.durationMs,
    dest: d.storage.pathOf(name),
    createdAt: w.at,
    unique: `${state.identity.serial}/${w.seq}/${w.at}`,
    sizeBytes: w.sizeBytes,
  });
  const hashed = (state.identity.caps & Caps.CAPTURE_HASH) !== 0;
  const sha256 = !hashed ? null : w.badHash ? flipHex(made.sha256) : made.sha256;
  const file: SimFile = { name, size: made.size, start, durationMs: w.durationMs, seq: w.seq, flags: w.flags, sha256 };
  insertBySeq(state, file);
  return file;
}

function flipHex(h: string): string {
  return (h[0] === '0' ? '1' : '0') + h.slice(1);
}

function insertBySeq(s: RecorderState, f: SimFile): void {
  const i = s.files.findIndex((x) => x.seq > f.seq);
  if (i < 0) s.files.push(f);
  else s.files.splice(i, 0, f);
}

/** Fault: seq numbers the host will never see (as after deletions on the recorder); optionally logged. */
export function skipSeq(d: Pick<RecordingDeps, 'state' | 'now'>, count: number, logDeleted: boolean): number[] {
  const skipped: number[] = [];
  for (let i = 0; i < count; i++) skipped.push(d.state.nextSeq++);
  if (logDeleted) for (const seq of skipped) logEvent(d.state, d.now(), EventCode.FILE_DELETED, seq);
  return skipped;
}

/** The officer deletes a file on the recorder itself: gone from storage and catalog, FILE_DELETED logged. */
export function deleteOnRecorder(d: RecordingDeps, seq: number): void {
  const f = d.state.files.find((x) => x.seq === seq);
  if (!f) throw new RangeError(`no file with seq ${seq}`);
  fs.rmSync(d.storage.pathOf(f.name), { force: true });
  d.state.files = d.state.files.filter((x) => x !== f);
  logEvent(d.state, d.now(), EventCode.FILE_DELETED, seq);
}

/** The officer marks a file important afterwards: renamed with `_IMP`, flagged, MARK_IMPORTANT logged. */
export function markImportant(d: RecordingDeps, seq: number): SimFile {
  const f = d.state.files.find((x) => x.seq === seq);
  if (!f) throw new RangeError(`no file with seq ${seq}`);
  if (f.flags & FileFlags.IMPORTANT) return f;
  const renamed = f.name.replace(/(\.[A-Z0-9]+)$/, '_IMP$1');
  fs.renameSync(d.storage.pathOf(f.name), d.storage.pathOf(renamed));
  f.name = renamed;
  f.flags |= FileFlags.IMPORTANT;
  logEvent(d.state, d.now(), EventCode.MARK_IMPORTANT, seq);
  return f;
}
