import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium as TESTING.md says: headless, and none of its background calls out of a closed network. */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A fresh Chromium profile and its first page, collecting the page's uncaught errors. */
export async function openBrowser(o: { locale: 'zh-CN' | 'en-GB'; viewport?: { width: number; height: number }; args?: string[]; pageErrors: string[] }): Promise<{
  ctx: BrowserContext;
  page: Page;
  profile: string;
}> {
  const profile = mkdtempSync(join(tmpdir(), 'bwc-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [...ARGS, ...(o.args ?? [])],
    viewport: o.viewport ?? { width: 1280, height: 800 },
    locale: o.locale,
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on('pageerror', (e) => o.pageErrors.push(String(e)));
  return { ctx, page, profile };
}

/** Log in through the console's own form (logging out first when a step before left a login behind), and out. */
export function consoleLogin(url: () => string, password: string) {
  const logout = async (p: Page): Promise<void> => {
    await p.locator('#logout').click();
    await p.locator('#username').waitFor();
  };
  const login = async (p: Page, username: string): Promise<void> => {
    await p.goto(`${url()}/#/login`);
    if (await p.locator('#logout').isVisible()) await logout(p);
    await p.locator('#username').fill(username);
    await p.locator('#password').fill(password);
    await p.locator('form.login button[type=submit]').click();
    await p.locator('#who-name', { hasText: username }).waitFor();
  };
  return { login, logout };
}
