// Make the CLI executable after tsc has written it (tsc keeps the shebang but not the mode).
import { chmodSync, existsSync } from 'node:fs';
const cli = new URL('../dist/daemon/cli.js', import.meta.url);
if (existsSync(cli)) chmodSync(cli, 0o755);
