import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipFactory } from '../firmware-protocol/simulator/clips.js';
import { startRecorder, type RecorderHandle } from '../firmware-protocol/simulator/recorder.js';
import { DateTime } from 'luxon';
import { parseConfig } from './config.js';
import { createLogger } from './log.js';
import { startDaemon } from './main.js';

const DEMO_PASSWORD = 'demo-password';

const OFFICERS = [
  { officerNo: '100001', name: '张三', unitNo: '410900000001', unitName: '濮阳市生态环境局监察大队一中队' },
  { officerNo: '100002', name: '李四', unitNo: '410900000001', unitName: '濮阳市生态环境局监察大队一中队' },
  { officerNo: '100003', name: '王五', unitNo: '410900000002', unitName: '濮阳市生态环境局监察大队二中队' },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `bwc-dock demo`: the daemon on a temporary data dir, the console on 127.0.0.1, and three simulated
 * recorders coming back from a shift: one clean, one with a drifting clock, one with a deleted file that
 * is unplugged mid-offload and docked again. Ctrl-C stops everything and removes the temp dir.
 */
export async function runDemo(o: { port: number; dataDir?: string | undefined }): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'bwc-demo-'));
  const devDir = join(root, 'dev');
  const mountRoot = join(root, 'media');
  for (const d of [devDir, mountRoot, join(root, 'sim')]) mkdirSync(d, { recursive: true });
  const config = parseConfig({
    dataDir: o.dataDir ?? join(root, 'data'),
    dockId: 'demo-dock',
    timezone: process.env.TZ || 'Asia/Shanghai',
    console: { host: '127.0.0.1', port: o.port },
    detect: { serialGlobs: [join(devDir, 'bwc-*')], usb: [], mountRoot },
    clock: { assumeSynced: true },
    offload: { minFreeBytes: 64 * 1024 * 1024 },
    log: { level: process.env.BWC_DOCK_LOG_LEVEL ?? 'warn' },
  });
  const log = createLogger({ level: config.log.level });
  const daemon = await startDaemon(config, log);
  const { startConsole } = await import('./console/server.js');
  const consoleHandle = await startConsole({ daemon, config, log: log.child({ component: 'console' }) });
  const { ledger, clock } = daemon.ctx;

  const now = clock.now();
  const users: Array<[string, string]> = [
    ['admin', 'admin'],
    ['manager', 'equipment_manager'],
    ['supervisor', 'supervisor'],
    ['legal', 'legal'],
    ['auditor', 'auditor'],
    ...OFFICERS.map((x): [string, string] => [x.officerNo, 'officer']),
  ];
  for (const [u, role] of users) if (!ledger.users.get(u)) await ledger.users.add(u, role, DEMO_PASSWORD, now);
  // The shift lies within today in the dock's zone, so the same-day rule (004 §13) holds for its footage.
  const midnight = DateTime.fromMillis(now, { zone: config.timezone }).startOf('day').toMillis();
  const shiftStart = Math.max(midnight + 5 * 60_000, now - 9 * 3600_000);
  const step = Math.max(60_000, Math.floor((now - 5 * 60_000 - shiftStart) / 6));
  const serials = ['A000001', 'A000002', 'A000003'];
  ledger.tx(() => {
    for (const x of OFFICERS) ledger.officers.upsert(x, now);
    serials.forEach((serial, i) => {
      ledger.devices.docked({ serial, idCode: 'SIM01', firmware: 'bwc-sim 1.0.0', caps: 15 }, shiftStart - 60_000);
      ledger.devices.undocked(serial, shiftStart);
      if (!ledger.checkouts.open(serial)) {
        const id = ledger.checkouts.checkOut(serial, OFFICERS[i]!.officerNo, 'manager', shiftStart);
        ledger.checkouts.leftDock(id, shiftStart + 60_000);
        ledger.devices.setStatus(serial, 'checked_out');
        ledger.audit.append(shiftStart, 'manager', 'device.checkout', serial, { officerNo: OFFICERS[i]!.officerNo, demo: true });
      }
    });
  });

  process.stdout.write(
    [
      '',
      `bwc-dock demo: console on ${consoleHandle.url}`,
      `  log in as supervisor, manager, legal, auditor, admin, or officer 100001 / 100002 / 100003`,
      `  password for all: ${DEMO_PASSWORD}`,
      `  data dir: ${config.dataDir}`,
      '  three recorders come back from their shift over the next minute; Ctrl-C stops the demo',
      '',
    ].join('\n'),
  );

  const clips = new ClipFactory({ cacheDir: join(tmpdir(), 'bwc-sim-clip-cache') });
  const recorders: RecorderHandle[] = [];
  let stopping = false;
  const story = (async () => {
    for (let i = 0; i < serials.length; i++) {
      const x = OFFICERS[i]!;
      const r = await startRecorder({
        serial: serials[i]!,
        devDir,
        simDir: join(root, 'sim'),
        mountRoot,
        clips,
        plugged: false,
        info: { userNo: x.officerNo, userName: x.name, unitNo: x.unitNo, unitName: x.unitName },
      });
      recorders.push(r);
      // A shift's worth of footage: recordings through the day, some long enough to watch the progress bar.
      const big = 48 * 1024 * 1024;
      for (let k = 0; k < 4; k++) {
        await r.addRecording({ durationMs: 6000, segmentMs: k === 1 ? 3000 : 600_000, startAt: shiftStart + (k + 1) * step, segmentBytes: k >= 2 ? big : undefined });
        if (i === 2 && k === 1) r.skipSeq(1, { logDeleted: true });
      }
      await r.addPhoto({ at: shiftStart + 5 * step });
      if (i === 1) r.driftClock(95_000);
    }
    const [a, b, c] = recorders as [RecorderHandle, RecorderHandle, RecorderHandle];
    await sleep(2000);
    await a.replug();
    await sleep(8000);
    if (stopping) return;
    await b.replug();
    await sleep(8000);
    if (stopping) return;
    await c.replug();
    // The third recorder is pulled out in the middle of its offload, then put back.
    for (let n = 0; n < 200 && !stopping && ledger.recordings.query({ serial: c.serial, limit: 10 }).length < 2; n++) await sleep(50);
    if (stopping) return;
    await c.unplug();
    await sleep(4000);
    if (!stopping) await c.replug();
  })().catch((e) => log.error({ err: e }, 'demo story failed'));

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  stopping = true;
  process.stdout.write('stopping the demo…\n');
  await story;
  await Promise.all(recorders.map((r) => r.stop({ removeStorage: true }).catch(() => undefined)));
  await consoleHandle.close();
  await daemon.stop();
  if (!o.dataDir) rmSync(root, { recursive: true, force: true });
  return 0;
}
