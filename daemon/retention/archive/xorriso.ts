import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One file to put on a disc: `src` on this machine, `path` on the disc (relative, `/`-separated). */
export interface DiscEntry {
  src: string;
  path: string;
}

/** What making and reading ISO 9660 images needs; the only file that runs xorriso. */
export interface IsoTool {
  /** Write an ISO 9660 image (Rock Ridge + Joliet) whose bytes depend only on the entries, `volid` and `date`. */
  build(image: string, entries: DiscEntry[], volid: string, date: Date): Promise<void>;
  /** Paths of the regular files in an image (`xorriso -indev IMG -find / -type f`), relative, sorted. */
  list(image: string): Promise<string[]>;
  /** Extract the whole image into `dir`. */
  extract(image: string, dir: string): Promise<void>;
}

const BASE = ['-no_rc', '-report_about', 'FAILURE', '-abort_on', 'FAILURE'];

/** xorriso's fixed date form, UTC: YYYYMMDDhhmmsscc. */
const xorrisoDate = (d: Date) => d.toISOString().replace(/[-:T]/g, '').replace(/\.(\d\d)\dZ$/, '$1');

/** A path from `-find` output: `'/a/b'`, with `'"'"'` for a quote inside. Null for anything else. */
function parseFindLine(line: string): string | null {
  const m = line.match(/^'(.*)'$/);
  if (!m) return null;
  return m[1]!.replace(/'"'"'/g, "'").replace(/^\//, '');
}

export function xorrisoTool(bin = 'xorriso'): IsoTool {
  return {
    async build(image, entries, volid, date) {
      const stamp = xorrisoDate(date);
      const args = [
        ...BASE,
        '-outdev', `stdio:${image}`,
        '-joliet', 'on',
        '-rockridge', 'on',
        '-volid', volid,
        '-volset_id', volid,
        '-publisher', 'bwc-dock',
        '-application_id', 'bwc-dock archive disc',
        '-system_id', 'LINUX',
        // Fixed dates (volume and every file) make two runs byte-identical.
        '-volume_date', 'uuid', stamp,
        '-volume_date', 'all_file_dates', stamp,
      ];
      for (const e of entries) args.push('-map', e.src, `/${e.path}`);
      // Owner root, files read-only, folders 0755 (an extracted copy can still be removed by its owner).
      args.push('-chown_r', '0', '/', '--', '-chgrp_r', '0', '/', '--');
      args.push('-find', '/', '-type', 'f', '-exec', 'chmod', '0444', '--', '-find', '/', '-type', 'd', '-exec', 'chmod', '0755', '--', '-commit');
      await run(bin, args, { maxBuffer: 16 << 20 });
    },
    async list(image) {
      const { stdout } = await run(bin, [...BASE, '-indev', image, '-find', '/', '-type', 'f'], { maxBuffer: 64 << 20 });
      const out: string[] = [];
      for (const line of stdout.split('\n')) {
        if (!line.trim()) continue;
        const p = parseFindLine(line.trim());
        if (p === null) throw new Error(`xorriso -find printed an unexpected line: ${line}`);
        out.push(p);
      }
      return out.sort();
    },
    async extract(image, dir) {
      await run(bin, [...BASE, '-osirrox', 'on', '-indev', image, '-extract', '/', dir], { maxBuffer: 16 << 20 });
    },
  };
}
