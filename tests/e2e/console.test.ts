/// <reference lib="dom" />
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { consoleLogin, openBrowser } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecorderHandle } from '../../firmware-protocol/simulator/recorder.js';
import { startConsole } from '../../daemon/console/server.js';
import { createLogger } from '../../daemon/log.js';
import { testDock, type TestDock } from '../helpers/dock.js';

/**
 * The console in a real browser (Debian's chromium through playwright-core) against a real dock: simulated
 * recorders over real ptys, real offload, real SQLite. Screenshots of every step go to tests/artifacts/screenshots.
 */
const SHOTS = join(import.meta.dirname, '..', 'artifacts', 'screenshots');
const PASSWORD = 'e2e-password-1';
const SERIAL = 'A000001';
const OFFICER = { officerNo: '100001', name: '张三', unitNo: '410900000001', unitName: '濮阳市生态环境局监察大队一中队' };
const MB40 = 40 * 1024 * 1024;
const DAY = 86_400_000;

let dock: TestDock;
let consoleUrl = '';
let closeConsole: () => Promise<void> = async () => undefined;
let ctx: BrowserContext;
let page: Page;
let profile = '';
let recorder: RecorderHandle;
const pageErrors: string[] = [];

/** Waits for a value the page settles on (the default of one second is short on a loaded machine). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 });

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

const session = consoleLogin(() => consoleUrl, PASSWORD);
const login = (username: string): Promise<void> => session.login(page, username);
const logout = (): Promise<void> => session.logout(page);

describe('console in a real browser', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dock = await testDock();
    const daemon = await dock.start();
    const log = createLogger({ level: process.env.BWC_TEST_LOG ?? 'silent' });
    const c = await startConsole({ daemon, config: dock.config, log });
    consoleUrl = c.url;
    closeConsole = c.close;
    const { ledger } = daemon.ctx;
    const now = Date.now();
    for (const [u, role] of [
      ['sup', 'supervisor'],
      ['manager', 'equipment_manager'],
      [OFFICER.officerNo, 'officer'],
    ] as const)
      await ledger.users.add(u, role, PASSWORD, now);

    // The recorder went out three days ago, checked out to officer 100001, and comes back now.
    recorder = await dock.recorder(SERIAL, { plugged: false, info: { userNo: OFFICER.officerNo, userName: OFFICER.name, unitNo: OFFICER.unitNo, unitName: OFFICER.unitName } });
    const out = now - 3 * DAY;
    ledger.tx(() => {
      ledger.officers.upsert(OFFICER, now);
      ledger.devices.docked({ serial: SERIAL, idCode: 'SIM01', firmware: 'bwc-sim 1.0.0', caps: recorder.state.identity.caps }, out - 60_000);
      ledger.devices.undocked(SERIAL, out);
      const id = ledger.checkouts.checkOut(SERIAL, OFFICER.officerNo, 'manager', out);
      ledger.checkouts.leftDock(id, out + 60_000);
      ledger.devices.setStatus(SERIAL, 'checked_out');
    });
    // One recording from two days ago (past the same-day rule: late_offload, the officer's to justify), and
    // three large ones from today so that the offload takes long enough to watch.
    await recorder.addRecording({ durationMs: 3000, startAt: now - 2 * DAY });
    for (let k = 3; k >= 1; k--) await recorder.addRecording({ durationMs: 4000, segmentBytes: MB40, startAt: now - k * 20 * 60_000 });

    ({ ctx, page, profile } = await openBrowser({ locale: 'en-GB', viewport: { width: 1280, height: 800 }, pageErrors }));
    // This walk reads the English words; the Chinese ones (the default) are walked in console-zh.test.ts.
    await ctx.addInitScript(() => localStorage.setItem('bwc-dock.lang', 'en'));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|409) /.test(m.text())) pageErrors.push(m.text());
    });
  });

  afterAll(async () => {
    await ctx?.close();
    await closeConsole();
    await dock?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('serves the UI under its CSP, and the login refuses a wrong password in plain words', async () => {
    const res = await page.goto(`${consoleUrl}/`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-type']).toBe('text/html; charset=utf-8');
    expect(res?.headers()['content-security-policy']).toContain("default-src 'self'");
    const js = await page.request.get(`${consoleUrl}/main.js`);
    expect(js.headers()['content-type']).toBe('text/javascript; charset=utf-8');
    const css = await page.request.get(`${consoleUrl}/app.css`);
    expect(css.headers()['cache-control']).toBe('no-cache');
    const again = await page.request.get(`${consoleUrl}/app.css`, { headers: { 'if-none-match': css.headers().etag! } });
    expect(again.status()).toBe(304);
    expect((await page.request.get(`${consoleUrl}/../package.json`)).status()).toBe(404);
    expect((await page.request.get(`${consoleUrl}/%2e%2e/package.json`)).status()).toBe(404);

    await page.locator('#username').fill('sup');
    await page.locator('#password').fill('not-the-password');
    await page.locator('form.login button[type=submit]').click();
    await poll(() => page.locator('.note.error').textContent()).toBe('Wrong username or password.');
    await shot('01-login-refused');
  });

  it('shows a supervisor the offload progress live until the recorder is ready', async () => {
    await login('sup');
    await page.locator('#live', { hasText: 'Live' }).waitFor();
    await page.locator('.empty', { hasText: 'No recorder is in the dock' }).waitFor();
    await shot('02-status-empty');
    // Record every progress the page draws, as the user would see it.
    await page.evaluate(() => {
      const seen: Array<{ value: number; max: number; text: string; state: string }> = [];
      (window as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver(() => {
        const card = document.querySelector('.slot');
        const bar = card?.querySelector('progress');
        const text = card?.querySelector('.progress-text')?.textContent ?? '';
        if (card && bar) seen.push({ value: bar.value, max: bar.max, text, state: card.getAttribute('data-state') ?? '' });
      }).observe(document.getElementById('slots')!, { childList: true, subtree: true });
    });
    await recorder.replug();
    const card = page.locator(`.slot[data-serial="${SERIAL}"]`);
    // Wait until the page has drawn a progress strictly between empty and full (whatever the machine's speed).
    await page.waitForFunction(
      () => (window as unknown as { seen: Array<{ value: number; max: number; state: string }> }).seen.some((s) => s.state === 'offloading' && s.value > 0 && s.value < s.max),
      undefined,
      { timeout: 60_000, polling: 20 },
    );
    await shot('03-status-offloading');
    await page.locator(`.slot[data-serial="${SERIAL}"][data-state="ready"]`).waitFor({ timeout: 60_000 });
    await shot('04-status-ready');

    const seen = await page.evaluate(() => (window as unknown as { seen: Array<{ value: number; max: number; text: string; state: string }> }).seen);
    const midway = seen.filter((s) => s.state === 'offloading' && s.value > 0 && s.value < s.max);
    expect(midway.length, JSON.stringify(seen.map((s) => s.text))).toBeGreaterThan(0);
    expect(midway[0]!.text).toMatch(/^\d{1,2} % · [\d.]+ (B|KB|MB) of 1\d\d MB · file [1-4] of 4 · [\d.]+ (B|KB|MB|GB)\/s$/);
    await poll(() => card.locator('.state').textContent()).toBe('Done: you may take your recorder');
    expect(await card.locator('.progress-text').textContent()).toMatch(/^100 % · 1\d\d MB of 1\d\d MB · file 4 of 4$/);
    expect(await card.locator('.officer').textContent()).toBe(`${OFFICER.name} · No. ${OFFICER.officerNo}`);
    expect(await card.locator('.chip').allTextContents()).toContain('Offloaded late (after the same-day rule)');

    await page.setViewportSize({ width: 800, height: 480 });
    await shot('05-status-ready-800x480');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('finds the recordings, shows thumbnails, and plays and seeks one', async () => {
    await page.locator('#nav a', { hasText: 'Recordings' }).click();
    await page.locator('#f-serial').selectOption(SERIAL);
    await page.locator('#f-officer').selectOption(OFFICER.officerNo);
    await page.locator('#search button[type=submit]').click();
    await page.waitForURL(/#\/recordings\?.*serial=A000001/);
    const cards = page.locator('#results .rec');
    await poll(() => cards.count()).toBe(4);
    await poll(() => page.locator('#results img.thumb').evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0))).toBe(true);
    expect(await cards.first().textContent()).toContain(`${OFFICER.name} (${OFFICER.officerNo})`);
    expect(await page.locator('#results .rec .chip', { hasText: 'Offloaded late' }).count()).toBe(1);
    await shot('06-recordings');

    // Flag filter: only the late one.
    await page.locator('#f-flag').selectOption('late_offload');
    await page.locator('#search button[type=submit]').click();
    await poll(() => cards.count()).toBe(1);
    await page.locator('#f-flag').selectOption('');
    await page.locator('#search button[type=submit]').click();
    await poll(() => cards.count()).toBe(4);

    // Open a large one (40 MB) and play it.
    await cards.first().click();
    const video = page.locator('video#player');
    await video.waitFor();
    await page.waitForFunction(() => {
      const v = document.querySelector('video');
      return v !== null && v.readyState >= 1 && Number.isFinite(v.duration) && v.duration > 0;
    });
    const played = await video.evaluate(async (el) => {
      const v = el as HTMLVideoElement;
      v.muted = true;
      await v.play();
      await new Promise<void>((resolve) => {
        const tick = () => (v.currentTime > 0.3 ? resolve() : setTimeout(tick, 50));
        tick();
      });
      v.pause();
      return { t: v.currentTime, duration: v.duration };
    });
    expect(played.t).toBeGreaterThan(0.3);
    expect(played.duration).toBeGreaterThan(3);
    const seek = await video.evaluate(async (el) => {
      const v = el as HTMLVideoElement;
      const target = v.duration / 2;
      const seeked = new Promise<void>((resolve) => v.addEventListener('seeked', () => resolve(), { once: true }));
      v.currentTime = target;
      await seeked;
      await new Promise<void>((resolve) => (v.readyState >= 2 ? resolve() : v.addEventListener('loadeddata', () => resolve(), { once: true })));
      return { target, t: v.currentTime, readyState: v.readyState, seeking: v.seeking };
    });
    expect(seek.seeking).toBe(false);
    expect(Math.abs(seek.t - seek.target)).toBeLessThan(0.5);
    expect(seek.readyState).toBeGreaterThanOrEqual(2);
    // The player's Range requests were one view in the access register, by the supervisor.
    expect(dock.daemon!.ctx.ledger.audit.list({ action: 'recording.viewed', actor: 'sup', limit: 10 })).toHaveLength(1);
    expect(await page.locator('.facts').textContent()).toContain('SHA-256');
    await shot('07-player-seeked');
  });

  it('refuses a checkout in plain words when the recorder is not ready, then hands it out', async () => {
    await logout();
    await login('manager');
    await page.locator('#nav a', { hasText: 'Recorders' }).click();
    await page.locator(`#devices tr[data-serial="${SERIAL}"] a`).click();
    // Docking checked it in: the ledger shows the handover out (by manager) and back in (at the dock).
    const period = page.locator('#checkouts tbody tr').first();
    await period.waitFor();
    expect(await period.textContent()).toContain(`${OFFICER.name} (${OFFICER.officerNo})`);
    expect(await period.textContent()).toContain('by manager');
    expect(await period.textContent()).toContain('docked');
    expect(await page.locator('#sessions tbody tr').count()).toBe(1);

    recorder.setBattery(12);
    await page.locator('#checkout-officer').selectOption(OFFICER.officerNo);
    await page.locator('#checkout').click();
    await page.locator('.reasons li', { hasText: 'The battery is too low to hand it out' }).waitFor();
    await shot('08-checkout-refused');
    recorder.setBattery(95);
    await page.locator('#checkout').click();
    await page.locator('#checkin').waitFor();
    expect(await page.locator('.actions').textContent()).toContain(`Checked out to ${OFFICER.name} (${OFFICER.officerNo})`);
    expect(dock.daemon!.ctx.ledger.checkouts.open(SERIAL)?.officerNo).toBe(OFFICER.officerNo);
    await shot('09-checked-out');
  });

  it('lets the officer justify the late offload and a supervisor approve it', async () => {
    await logout();
    await login(OFFICER.officerNo);
    // An officer has no registry, ledger or audit pages.
    expect(await page.locator('#nav a').allTextContents()).toEqual(['Dock status', 'My recordings', 'My findings', 'Cases', 'Access requests', 'Activities', 'Change password']);
    await page.locator('#nav a', { hasText: 'My findings' }).click();
    const finding = page.locator('.finding[data-kind="late_offload"]');
    await finding.waitFor();
    expect(await finding.locator('select[name=reason]').inputValue()).toBe('remote_duty');
    expect(await finding.locator('select[name=reason] option:checked').textContent()).toBe('Remote, off-site or continuous duty');
    await finding.locator('textarea[name=text]').fill('在偏远乡镇连续执勤，当天无法返回单位。');
    // 004 §13: remote duty states the return to the unit; the footage was stored within 24 h of it (an hour ago,
    // in the browser's own time, as the officer types it).
    const returned = await page.evaluate(() => {
      const d = new Date(Date.now() - 3_600_000);
      const p = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
    });
    await finding.locator('input[name=returnedAt]').fill(returned);
    await page.setViewportSize({ width: 800, height: 480 });
    await finding.locator('button[type=submit]').scrollIntoViewIfNeeded();
    await shot('10-officer-justify-800x480');
    await page.setViewportSize({ width: 1280, height: 800 });
    await finding.locator('button[type=submit]').click();
    await page.locator('.empty', { hasText: 'Nothing waits for you' }).waitFor();
    await page.locator('.tabs a', { hasText: 'Awaiting approval' }).click();
    await page.locator('.finding[data-kind="late_offload"][data-state="justified"]').waitFor();
    await shot('11-officer-justified');

    await logout();
    await login('sup');
    await page.locator('#nav a', { hasText: 'Findings' }).click();
    const pending = page.locator('.finding[data-kind="late_offload"][data-state="justified"]');
    await pending.waitFor();
    expect(await pending.textContent()).toContain('在偏远乡镇连续执勤，当天无法返回单位。');
    expect(await pending.textContent()).toContain('Remote, off-site or continuous duty');
    await shot('12-supervisor-decides');
    await pending.locator('textarea[name=decision]').fill('Duty roster confirms it.');
    await pending.locator('button.approve').click();
    await page.locator('.empty', { hasText: 'Nothing waits for you' }).waitFor();
    await page.locator('.tabs a', { hasText: 'Approved' }).click();
    const approved = page.locator('.finding[data-kind="late_offload"][data-state="approved"]');
    await approved.waitFor();
    expect(await approved.textContent()).toContain('sup,');
    const row = dock.daemon!.ctx.ledger.findings.query({ kind: 'late_offload', limit: 10 })[0]!;
    expect(row).toMatchObject({ state: 'approved', reason: 'remote_duty', justifiedBy: OFFICER.officerNo, decidedBy: 'sup', decisionText: 'Duty roster confirms it.' });
    expect(Math.abs(row.returnedAtMs! - (Date.now() - 3_600_000))).toBeLessThan(5 * 60_000);
    await shot('13-approved');
  });

  it('shows the audit trail with an intact integrity check', async () => {
    await page.locator('#nav a', { hasText: 'Audit trail' }).click();
    await page.locator('#verify-result .note.ok').waitFor();
    expect(await page.locator('#verify-result').textContent()).toMatch(/^Intact: all \d+ entries chain correctly/);
    expect(await page.locator('#audit tbody tr', { hasText: 'Justification approved' }).count()).toBe(1);
    await shot('14-audit');
    expect(pageErrors).toEqual([]);
  });
});
