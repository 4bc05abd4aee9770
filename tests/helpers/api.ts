import { startConsole } from '../../daemon/console/server.js';
import { createLogger } from '../../daemon/log.js';
import type { TestDock } from './dock.js';

const API_PASSWORD = 'test-password-1';

export interface ApiSession {
  get<T = any>(path: string): Promise<{ status: number; body: T }>;
  post<T = any>(path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

/** The real console of a test dock, listening on a loopback port, with a user per role. */
export async function consoleFor(t: TestDock, users: Record<string, string> = {}): Promise<{ url: string; close(): Promise<void>; as(username: string): Promise<ApiSession> }> {
  const daemon = t.daemon!;
  const all: Record<string, string> = { manager: 'equipment_manager', supervisor: 'supervisor', legal: 'legal', auditor: 'auditor', admin: 'admin', ...users };
  for (const [u, role] of Object.entries(all)) if (!daemon.ctx.ledger.users.get(u)) await daemon.ctx.ledger.users.add(u, role, API_PASSWORD, Date.now());
  const handle = await startConsole({ daemon, config: { ...t.config, console: { ...t.config.console, port: 0 } }, log: createLogger({ level: 'silent' }) });
  return {
    url: handle.url,
    close: handle.close,
    async as(username) {
      const res = await fetch(`${handle.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: API_PASSWORD }) });
      if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
      const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
      const { csrfToken } = (await res.json()) as { csrfToken: string };
      const call = async (method: string, path: string, body?: unknown) => {
        const r = await fetch(`${handle.url}${path}`, {
          method,
          headers: { cookie, 'x-csrf-token': csrfToken, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const text = await r.text();
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        return { status: r.status, body: parsed as any };
      };
      return { get: (p) => call('GET', p), post: (p, b) => call('POST', p, b ?? {}) };
    },
  };
}
