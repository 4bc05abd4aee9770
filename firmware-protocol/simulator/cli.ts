import { parseArgs } from 'node:util';
import { runSimulator } from './main.js';

/** `node dist/firmware-protocol/simulator/cli.js --dev-dir D --mount-root M [--count N]`: run until Ctrl-C. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'dev-dir': { type: 'string' },
      'dev-prefix': { type: 'string' },
      'mount-root': { type: 'string' },
      count: { type: 'string', default: '1' },
      'admin-password': { type: 'string' },
    },
  });
  const count = Number(values.count);
  if (!values['dev-dir'] || !values['mount-root'] || !Number.isInteger(count) || count < 1) {
    process.stderr.write('usage: cli.js --dev-dir DIR --mount-root DIR [--count N] [--dev-prefix bwc-] [--admin-password 000000]\n');
    process.exitCode = 2;
    return;
  }
  const sim = await runSimulator({
    devDir: values['dev-dir'],
    devPrefix: values['dev-prefix'],
    mountRoot: values['mount-root'],
    count,
    adminPassword: values['admin-password'],
  });
  for (const r of sim.recorders) process.stdout.write(`${r.serial}: ${r.devPath} (volume ${r.mountRoot}/${r.state.label})\n`);
  const stop = () => void sim.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
