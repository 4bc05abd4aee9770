import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** `dist/web-ui` of this package, found from this file whether it runs from source (tests) or from `dist/`. */
function defaultUiRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'bwc-dock') return join(dir, 'dist', 'web-ui');
      } catch {
        /* not ours; look further up */
      }
    }
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web-ui');
}

/** Every servable file under `root` (known types only; no dotfiles, no source maps), keyed by URL path. */
function collectAssets(root: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  if (!existsSync(root)) return out;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else if (st.isFile() && TYPES[extname(name)]) {
        const body = readFileSync(path);
        const url = '/' + relative(root, path).split(sep).join('/');
        out.set(url, { body, type: TYPES[extname(name)]!, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
      }
    }
  };
  walk(root);
  return out;
}

/**
 * The console's browser UI (built into `dist/web-ui` by `npm run build`): one GET route per file found at start,
 * `/` answering index.html, so no request path ever reaches the file system. Files are revalidated by ETag
 * (`no-cache`), as their names carry no version.
 */
export const uiPlugin: FastifyPluginAsync<{ root?: string }> = async (app, opts) => {
  const assets = collectAssets(opts.root ?? defaultUiRoot());
  const index = assets.get('/index.html');
  const serve = (asset: Asset) => async (req: { headers: Record<string, unknown> }, reply: import('fastify').FastifyReply) => {
    reply.header('content-type', asset.type).header('cache-control', 'no-cache').header('etag', asset.etag);
    if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.send(asset.body);
  };
  if (!index) {
    app.get('/', async (_req, reply) => reply.code(503).header('content-type', 'text/plain; charset=utf-8').send('The console UI is not built: run npm run build.\n'));
    return;
  }
  app.get('/', serve(index));
  for (const [url, asset] of assets) app.get(url, serve(asset));
};
