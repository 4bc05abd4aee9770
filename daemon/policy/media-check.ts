/**
 * What a stored file's container says against what the recorder's catalog said (issue 14): pure, over plain
 * data. Two flags come of it; neither ever decides an erase (the probe runs after the file is committed, in the
 * background), and neither raises a finding: they mark the recording for whoever reviews it.
 * - `container_unreadable`: ffprobe does not parse the container, or it holds no stream of the file's kind
 *   (a video without a video stream, a sound recording without sound).
 * - `duration_mismatch`: the container's duration and the catalog's differ by more than
 *   {@link durationToleranceMs}.
 * @module
 */

const MEDIA_FLAGS = ['container_unreadable', 'duration_mismatch'] as const;
export type MediaFlag = (typeof MEDIA_FLAGS)[number];

/**
 * How far the container's duration may be from the catalog's before it contradicts it: 2 s, or 1 % of the
 * catalog's duration when that is more. Why so much: the two are counted differently. The container's duration
 * is its longest stream's, so AAC priming and padding (≈ 20–50 ms) and the last video frame (100 ms at 10 fps)
 * add to it; a recorder that splits a long recording into segments cuts at a key frame, which can be up to a GOP
 * (1–2 s on recorders) from the instant its catalog counts; and a recorder counts time with its own oscillator.
 * Why not more: what the rule is for, a catalog entry that names another file, or a file cut short or
 * concatenated, differs by whole segments (seconds to minutes). 1 % of a 10-minute segment is 6 s.
 */
export function durationToleranceMs(catalogDurationMs: number): number {
  return Math.max(2000, Math.round(catalogDurationMs * 0.01));
}

/** The kind of recording by its name (`daemon/ingest/media.ts` `mediaTypeOf`). */
export type RecordingKind = 'video' | 'audio' | 'image' | 'other';

export interface ContainerCheckInput {
  kind: RecordingKind;
  /** The recorder catalog's duration, ms (0 for photos). */
  catalogDurationMs: number;
  /** The container parsed (else `error` says why). */
  parsed: boolean;
  error?: string;
  durationMs: number | null;
  videoStreams: number;
  audioStreams: number;
}

export interface ContainerCheck {
  flags: MediaFlag[];
  /** What was found, in words for the audit trail; null when nothing was. */
  detail: string | null;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The flags a probe's facts raise against the catalog. Files of no known media kind are not judged. */
export function checkContainer(c: ContainerCheckInput): ContainerCheck {
  if (c.kind === 'other') return { flags: [], detail: null };
  if (!c.parsed) return { flags: ['container_unreadable'], detail: `the container does not parse: ${c.error ?? 'ffprobe refused it'}` };
  const needs = c.kind === 'audio' ? 'audio' : 'video';
  if ((needs === 'audio' ? c.audioStreams : c.videoStreams) === 0) return { flags: ['container_unreadable'], detail: `the container holds no ${needs} stream` };
  if (c.kind === 'image' || c.catalogDurationMs <= 0 || c.durationMs === null) return { flags: [], detail: null };
  const diff = c.durationMs - c.catalogDurationMs;
  if (Math.abs(diff) <= durationToleranceMs(c.catalogDurationMs)) return { flags: [], detail: null };
  return {
    flags: ['duration_mismatch'],
    detail: `the container lasts ${secs(c.durationMs)}, the recorder's catalog says ${secs(c.catalogDurationMs)} (${diff > 0 ? '+' : '−'}${secs(Math.abs(diff))}, more than the ${secs(durationToleranceMs(c.catalogDurationMs))} allowed)`,
  };
}
