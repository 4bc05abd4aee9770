/**
 * Footage for the bench: recorders' files made once by the simulator (real MP4 headers, a `free` box of
 * seeded random bytes to the wanted size, unique per file), kept in a pristine folder, and staged into a
 * fresh simulated recorder for each run as hard links, so every run reads the very same blocks and the
 * dock's erase only removes the staged names.
 */
import { linkSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ClipFactory } from '../../firmware-protocol/simulator/clips.js';
import { startRecorder, type RecorderHandle } from '../../firmware-protocol/simulator/recorder.js';
import type { SimEvent, SimFile } from '../../firmware-protocol/simulator/state.js';

export interface Footage {
  serial: string;
  userNo: string;
  /** Pristine storage folder: `<dir>/<catalog name>` for every file. */
  dir: string;
  files: SimFile[];
  events: SimEvent[];
  nextEventIndex: number;
  nextSeq: number;
  bytes: number;
}

export interface FootageSpec {
  serial: string;
  userNo: string;
  totalBytes: number;
  segmentBytes: number;
  /** Media length of each segment (the clip inside the padded file). */
  segmentMs: number;
  /** Segments per recording (the last recording may have fewer). */
  segmentsPerRecording: number;
}

/** Make one recorder's footage under `root` (never plugged: nothing but files and a catalog). */
export async function makeFootage(root: string, clips: ClipFactory, spec: FootageSpec): Promise<Footage> {
  const dir = join(root, 'pristine', spec.serial);
  const rec = await startRecorder({
    serial: spec.serial,
    devDir: join(root, 'gen', 'dev'),
    simDir: join(root, 'gen', 'sim'),
    mountRoot: join(root, 'gen', 'media'),
    storageDir: dir,
    clips,
    plugged: false,
    info: { userNo: spec.userNo },
  });
  const segments = Math.ceil(spec.totalBytes / spec.segmentBytes);
  const recordings = Math.ceil(segments / spec.segmentsPerRecording);
  const spanMs = spec.segmentsPerRecording * spec.segmentMs + 60_000;
  // Recordings one after another during the last hours, ending a minute ago (same local day rarely matters here).
  const base = Date.now() - recordings * spanMs - 60_000;
  let left = segments;
  for (let i = 0; i < recordings; i++) {
    const n = Math.min(spec.segmentsPerRecording, left);
    left -= n;
    await rec.addRecording({ durationMs: n * spec.segmentMs, segmentMs: spec.segmentMs, gapMs: 300, startAt: base + i * spanMs, segmentBytes: spec.segmentBytes });
  }
  const s = rec.state;
  await rec.stop();
  return {
    serial: spec.serial,
    userNo: spec.userNo,
    dir,
    files: structuredClone(s.files),
    events: structuredClone(s.events),
    nextEventIndex: s.nextEventIndex,
    nextSeq: s.nextSeq,
    bytes: s.files.reduce((a, f) => a + Number(f.size), 0),
  };
}

/** Absolute paths of the pristine files, in catalog order. */
export const pristinePaths = (f: Footage) => f.files.map((x) => join(f.dir, ...x.name.split('/')));

export interface Bay {
  devDir: string;
  simDir: string;
  mountRoot: string;
}

/** A fresh, unplugged simulated recorder holding hard links of `f`'s files; `replug()` docks it. */
export async function stageRecorder(f: Footage, bay: Bay, clips: ClipFactory): Promise<RecorderHandle> {
  const storageDir = join(bay.simDir, `storage-${f.serial}`);
  for (const file of f.files) {
    const to = join(storageDir, ...file.name.split('/'));
    mkdirSync(dirname(to), { recursive: true });
    linkSync(join(f.dir, ...file.name.split('/')), to);
  }
  const rec = await startRecorder({ serial: f.serial, devDir: bay.devDir, simDir: bay.simDir, mountRoot: bay.mountRoot, storageDir, clips, plugged: false, info: { userNo: f.userNo } });
  rec.state.files = structuredClone(f.files);
  rec.state.events = structuredClone(f.events);
  rec.state.nextEventIndex = f.nextEventIndex;
  rec.state.nextSeq = f.nextSeq;
  return rec;
}
