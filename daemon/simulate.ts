import { devLocationFromGlob, runSimulator } from '../firmware-protocol/simulator/main.js';
import type { Config } from './config.js';

/** `bwc-dock simulate`: recorders plugged in where a daemon with this config looks, until Ctrl-C. */
export async function runSimulateCommand(config: Config, count: number): Promise<number> {
  const glob = config.detect.serialGlobs[0]!;
  const { devDir, devPrefix } = devLocationFromGlob(glob);
  const passwords: Record<string, string> = {};
  for (let i = 1; i <= count; i++) {
    const serial = `A${String(i).padStart(6, '0')}`;
    passwords[serial] = config.recorders.passwords[serial] ?? config.recorders.adminPassword;
  }
  const sim = await runSimulator({ devDir, devPrefix, mountRoot: config.detect.mountRoot, count, adminPassword: passwords });
  for (const r of sim.recorders) process.stdout.write(`recorder ${r.serial}: ${r.devPath} (volume ${r.state.label} under ${config.detect.mountRoot}), ${r.state.files.length} files\n`);
  process.stdout.write('simulated recorders plugged in; Ctrl-C unplugs them\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await sim.stop();
  return 0;
}
