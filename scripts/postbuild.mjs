// After tsc: make the CLI executable (tsc keeps the shebang but not the mode), and put the console UI's static
// files beside its compiled modules in dist/web-ui, where the console serves them.
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
const cli = new URL('../dist/daemon/cli.js', import.meta.url);
if (existsSync(cli)) chmodSync(cli, 0o755);
const ui = new URL('../dist/web-ui/', import.meta.url);
mkdirSync(ui, { recursive: true });
for (const name of ['index.html', 'app.css', 'favicon.svg']) copyFileSync(new URL(`../web-ui/${name}`, import.meta.url), new URL(name, ui));
// The common-password list the console checks new passwords against (daemon/ledger/passwords.ts reads it beside itself).
mkdirSync(new URL('../dist/daemon/ledger/', import.meta.url), { recursive: true });
copyFileSync(new URL('../daemon/ledger/common-passwords.txt', import.meta.url), new URL('../dist/daemon/ledger/common-passwords.txt', import.meta.url));
// Chart.js (the yearly report's charts), from the dock itself: the dock has no internet, and the CSP allows scripts from 'self' only.
mkdirSync(new URL('vendor/', ui), { recursive: true });
copyFileSync(new URL('../node_modules/chart.js/dist/chart.umd.min.js', import.meta.url), new URL('vendor/chart.umd.min.js', ui));
