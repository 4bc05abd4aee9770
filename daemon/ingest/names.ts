/** What a catalog name may be before the dock touches the volume with it. */

export type NameCheck =
  | { ok: true; conforming: boolean; basename: string }
  | { ok: false; problem: string };

/** `DCIM/<NNN>BWC/<serial>_<userNo>_<YYYYMMDDhhmmss>_<seq>[_IMP].<MP4|WAV|JPG>` (firmware-protocol.md). */
const SPEC_NAME = /^DCIM\/\d{3}BWC\/([A-Za-z0-9]{1,8})_(\d{6})_(\d{14})_(\d{4,})(_IMP)?\.(MP4|WAV|JPG)$/;
const SAFE_COMPONENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Safe: relative, `/`-separated, no `.`/`..`, no backslash or control characters, each component a plain
 * name. Conforming: also matches the spec's naming scheme (else the recording is flagged `bad_name`).
 */
export function checkCatalogName(name: string): NameCheck {
  if (name.length === 0) return { ok: false, problem: 'empty name' };
  if (name.startsWith('/')) return { ok: false, problem: 'absolute path' };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\\\x00-\x1f\x7f]/.test(name)) return { ok: false, problem: 'backslash or control character in name' };
  const parts = name.split('/');
  for (const p of parts) {
    if (p === '' || p === '.' || p === '..') return { ok: false, problem: `path component "${p}" not allowed` };
    if (!SAFE_COMPONENT.test(p)) return { ok: false, problem: `path component "${p}" has characters outside [A-Za-z0-9._-]` };
  }
  return { ok: true, conforming: SPEC_NAME.test(name), basename: parts[parts.length - 1]! };
}

/** Fields the name itself carries, when it follows the spec. */
export function parseSpecName(name: string): { serial: string; userNo: string; time: string; seq: number; important: boolean } | null {
  const m = SPEC_NAME.exec(name);
  if (!m) return null;
  return { serial: m[1]!, userNo: m[2]!, time: m[3]!, seq: Number(m[4]), important: m[5] !== undefined };
}
