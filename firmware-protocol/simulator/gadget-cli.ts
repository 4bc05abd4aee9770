import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { startGadgetRecorder } from './gadget.js';

/**
 * `node dist/firmware-protocol/simulator/gadget-cli.js --tty /dev/ttyGS0 --image REC.img --storage DIR --lun LUN
 * --udc DIR --state FILE --serial A000001 --control FIFO --ack FILE`: a simulated recorder behind a configfs
 * USB gadget (see gadget.ts) until SIGTERM. Lines written to the control FIFO: `record COUNT SEGMENTS BYTES`
 * (recordings of SEGMENTS segments of BYTES each; only outside mass-storage mode), `save`; each is answered by
 * `ok LINE` or `error LINE: message` appended to the ack file, where `ready` is written first, once the recorder
 * serves its tty. `--trace` logs every request.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tty: { type: 'string' },
      image: { type: 'string' },
      storage: { type: 'string' },
      lun: { type: 'string' },
      udc: { type: 'string' },
      state: { type: 'string' },
      serial: { type: 'string', default: 'A000001' },
      'admin-password': { type: 'string' },
      'clips-cache': { type: 'string', default: '/var/tmp/bwc-sim-clip-cache' },
      control: { type: 'string' },
      ack: { type: 'string' },
      trace: { type: 'boolean', default: false },
    },
  });
  const need = ['tty', 'image', 'storage', 'lun', 'udc', 'state', 'control', 'ack'] as const;
  const missing = need.filter((k) => !values[k]);
  if (missing.length > 0) {
    process.stderr.write(`gadget-cli: missing ${missing.map((m) => `--${m}`).join(' ')}\n`);
    process.exitCode = 2;
    return;
  }
  const log = {
    debug: (obj: object, msg?: string) => process.stdout.write(`${msg ?? ''} ${JSON.stringify(obj)}\n`),
    warn: (obj: object, msg?: string) => process.stderr.write(`WARN ${msg ?? ''} ${JSON.stringify(obj)}\n`),
  };
  const rec = await startGadgetRecorder({
    tty: values.tty!,
    image: values.image!,
    storageDir: values.storage!,
    lun: values.lun!,
    udc: values.udc!,
    stateFile: values.state!,
    serial: values.serial!,
    ...(values['admin-password'] !== undefined ? { adminPassword: values['admin-password'] } : {}),
    clipsCacheDir: values['clips-cache']!,
    log,
    traceRequests: values.trace!,
  });
  process.stdout.write(`recorder ${rec.state.identity.serial} (volume ${rec.state.label}) on ${values.tty}: ${rec.state.files.length} files\n`);
  const ack = (line: string) => fs.appendFileSync(values.ack!, `${line}\n`);
  // Serving its tty from now on: a tester plugs the gadget only after this line (a recorder's firmware is up
  // before its USB port is).
  ack('ready');
  const run = async (line: string) => {
    const [cmd, ...args] = line.trim().split(/\s+/);
    try {
      if (cmd === 'record') {
        const [count, segments, bytes] = args.map(Number);
        await rec.record(count ?? 1, { segments: segments ?? 1, ...(bytes ? { segmentBytes: bytes } : {}) });
      } else if (cmd === 'save') {
        rec.save();
      } else {
        throw new Error('unknown command');
      }
      ack(`ok ${line}`);
    } catch (e) {
      ack(`error ${line}: ${(e as Error).message}`);
    }
  };
  // Reopened after each writer closes it: every `echo … > FIFO` is one batch of lines.
  let stopping = false;
  const serve = async () => {
    while (!stopping) {
      const text = await fs.promises.readFile(values.control!, 'utf8');
      for (const line of text.split('\n')) if (line.trim()) await run(line);
    }
  };
  const stop = () => {
    stopping = true;
    void rec.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await serve();
}

void main().catch((e: unknown) => {
  process.stderr.write(`gadget-cli: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
