/// <reference lib="dom" />
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { consoleLogin, openBrowser } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsole } from '../../daemon/console/server.js';
import { createLogger } from '../../daemon/log.js';
import { testDock, type TestDock } from '../helpers/dock.js';

/**
 * The oversight pages in a real browser (Debian's chromium), in Chinese as the console opens by default, against a
 * real dock whose footage two simulated recorders brought in: a supervisor draws a spot-check on its page, the
 * drawn reviewer plays and scores each recording, the home page flags what is due, and the yearly report draws
 * its charts with the dock's own Chart.js under the console's CSP. Screenshots go to tests/artifacts/screenshots.
 */
const SHOTS = join(import.meta.dirname, '..', 'artifacts', 'screenshots');
const PASSWORD = 'e2e-password-1';
const HOUR = 3_600_000;
const OFFICERS = [
  { officerNo: '300001', name: '张伟', unitNo: '410900000001', unitName: '监察大队一中队', serial: 'A000071' },
  { officerNo: '300002', name: '王芳', unitNo: '410900000002', unitName: '监察大队二中队', serial: 'A000072' },
  { officerNo: '300003', name: '刘洋', unitNo: '410900000003', unitName: '监察大队三中队', serial: null },
];

let dock: TestDock;
let consoleUrl = '';
let closeConsole: () => Promise<void> = async () => undefined;
let ctx: BrowserContext;
let page: Page;
let profile = '';
const pageErrors: string[] = [];

const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 });

/**
 * The viewport as the user sees it; with `element`, a window tall enough for that element (a review card, a table)
 * scrolled to just below the sticky header, which an element screenshot would paint across it.
 */
async function shot(name: string, element?: string): Promise<void> {
  const path = join(SHOTS, `${name}.png`);
  if (!element) return void (await page.screenshot({ path, fullPage: false }));
  const el = page.locator(element).first();
  const box = (await el.boundingBox())!;
  await page.setViewportSize({ width: 1280, height: Math.min(2400, Math.ceil(box.height) + 100) });
  await el.evaluate((e) => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 72));
  await page.screenshot({ path, fullPage: false });
  await page.setViewportSize({ width: 1280, height: 800 });
}

const session = consoleLogin(() => consoleUrl, PASSWORD);
const login = (username: string): Promise<void> => session.login(page, username);
const logout = (): Promise<void> => session.logout(page);

describe('oversight pages in a real browser', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dock = await testDock();
    const daemon = await dock.start();
    const c = await startConsole({ daemon, config: dock.config, log: createLogger({ level: 'silent' }) });
    consoleUrl = c.url;
    closeConsole = c.close;
    const { ledger } = daemon.ctx;
    const now = Date.now();
    for (const [u, role] of [
      ['sup', 'supervisor'],
      ['sup2', 'supervisor'],
      ['manager', 'equipment_manager'],
    ] as const)
      await ledger.users.add(u, role, PASSWORD, now);
    for (const o of OFFICERS) {
      const { serial, ...officer } = o;
      ledger.officers.upsert(officer, now);
      if (!serial) continue;
      const r = await dock.recorder(serial, { plugged: false, info: { userNo: o.officerNo, userName: o.name, unitNo: o.unitNo, unitName: o.unitName } });
      const out = now - 4 * HOUR;
      ledger.tx(() => {
        ledger.devices.docked({ serial, idCode: 'SIM01', firmware: 'bwc-sim 1.0.0', caps: r.state.identity.caps }, out - 60_000);
        ledger.devices.undocked(serial, out);
        const id = ledger.checkouts.checkOut(serial, o.officerNo, 'manager', out);
        ledger.checkouts.leftDock(id, out + 60_000);
        ledger.devices.setStatus(serial, 'checked_out');
      });
      await r.addRecording({ durationMs: 3000, startAt: now - 3 * HOUR });
      await r.addRecording({ durationMs: 3000, startAt: now - 2 * HOUR });
      await r.replug();
    }
    for (const o of OFFICERS) if (o.serial) await dock.slot(o.serial, (s) => s.state === 'ready' && s.progress.filesTotal === 2);

    ({ ctx, page, profile } = await openBrowser({ locale: 'zh-CN', viewport: { width: 1280, height: 800 }, pageErrors }));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|409) /.test(m.text())) pageErrors.push(m.text());
    });
  }, 180_000);

  afterAll(async () => {
    await ctx?.close();
    await closeConsole();
    await dock?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  let id = 0;
  let reviewer = '';

  it('shows a supervisor the units never reviewed and last year’s report to export on the home page', async () => {
    await login('sup');
    await page.locator('#units-unreviewed').waitFor();
    const text = await page.locator('#units-unreviewed').textContent();
    for (const o of OFFICERS) expect(text).toContain(o.unitName);
    await page.locator('#report-reminder').waitFor();
    await shot('30-home-oversight-notices');
  });

  it('draws a spot-check on its page: a random sample and a random reviewer, re-run to the same result', async () => {
    await page.goto(`${consoleUrl}/#/spot-checks`);
    await page.locator('#unit-reviews tr[data-unit]').first().waitFor();
    await poll(() => page.locator('#unit-reviews .chip.warn').count()).toBe(3);
    await page.locator('#spot-size').fill('3');
    await page.locator('#spot-draw').click();
    await page.waitForURL(/#\/spot-checks\/\d+$/);
    id = Number(page.url().split('/').pop());
    await page.locator('article.review').first().waitFor();
    expect(await page.locator('article.review').count()).toBe(3);
    const s = await page.evaluate(async (n) => (await fetch(`/api/spot-checks/${n}`)).json(), id);
    reviewer = s.reviewer;
    expect(['sup', 'sup2']).toContain(reviewer);
    await page.locator('#redraw').click();
    await page.locator('#redraw-result .note.ok').waitFor();
    await shot('31-spot-check-drawn');
  });

  it('the drawn reviewer plays each recording and scores the checklist; a failed item needs a note', async () => {
    if (reviewer !== 'sup') {
      await logout();
      await login(reviewer);
    }
    await page.goto(`${consoleUrl}/#/spot-checks/${id}`);
    const cards = page.locator('article.review');
    await cards.first().locator('form.score').waitFor();
    for (let k = 0; k < 3; k++) {
      const card = cards.nth(k);
      const video = card.locator('video.player');
      await video.evaluate(async (el) => {
        const v = el as HTMLVideoElement;
        v.muted = true;
        await v.play();
        await new Promise<void>((resolve) => {
          const tick = () => (v.currentTime > 0.2 ? resolve() : setTimeout(tick, 50));
          tick();
        });
        v.pause();
      });
      const rows = card.locator('table.checklist tr[data-item]');
      const n = await rows.count();
      expect(n).toBe(7);
      for (let i = 0; i < n; i++) {
        const fail = k === 0 && i === 1;
        await rows.nth(i).locator(`input[value=${fail ? 'fail' : 'pass'}]`).check();
      }
      if (k === 0) {
        await card.locator('form.score button[type=submit]').click();
        await card.locator('form.score .note.warn').waitFor();
        await shot('32-spot-check-scoring', 'article.review');
        await rows.nth(1).locator('input[type=text]').fill('到场后未按用语指引语音说明执法目的和任务');
        await card.locator('textarea').fill('告知环节不完整，其余符合要求');
      }
      await card.locator('form.score button[type=submit]').click();
      await card.locator('.scored').waitFor();
    }
    await page.reload();
    await page.locator('article.review .scored').nth(2).waitFor();
    await shot('33-spot-check-scored', 'article.review');
    const register = await page.evaluate(async (n) => (await fetch(`/api/spot-checks/${n}`)).json(), id);
    expect(register.completedAt).not.toBeNull();
  });

  it('draws the yearly report with charts from the dock’s own Chart.js, under the CSP, with both exports', async () => {
    await page.goto(`${consoleUrl}/#/reports`);
    await page.locator('#report-units tr[data-unit]').first().waitFor();
    // Chart.js drew on each canvas: it sizes the canvas and paints pixels.
    await page.waitForFunction(() => (window as unknown as { Chart?: { instances: Record<string, unknown> } }).Chart !== undefined);
    await poll(() => page.evaluate(() => Object.keys((window as unknown as { Chart: { instances: Record<string, unknown> } }).Chart.instances).length)).toBe(3);
    const painted = await page.evaluate(() => {
      const c = document.querySelector('#chart-units') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) ink++;
      return ink;
    });
    expect(painted).toBeGreaterThan(500);
    const vendor = await page.request.get(`${consoleUrl}/vendor/chart.umd.min.js`);
    expect(vendor.status()).toBe(200);
    expect(vendor.headers()['content-type']).toBe('text/javascript; charset=utf-8');
    expect(await page.locator('#report-officers tr.attention').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#export-csv').getAttribute('href')).toContain('format=csv');
    await shot('34-yearly-report');
    await shot('35-yearly-report-officers', '#report-officers');
    expect(pageErrors).toEqual([]);
  });
});
