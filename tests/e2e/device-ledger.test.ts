/// <reference lib="dom" />
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsole } from '../../daemon/console/server.js';
import type { Ledger } from '../../daemon/ledger/index.js';
import { createLogger } from '../../daemon/log.js';
import { toIsoInZone } from '../../daemon/policy/time-format.js';
import { consoleLogin, openBrowser } from '../helpers/browser.js';
import { testDock, type TestDock } from '../helpers/dock.js';

/**
 * A recorder's ledger of a busy year in a real browser (Debian's chromium), in Chinese (issue 19): the page shows
 * the newest checkout periods and loads older ones as the user scrolls the ledger with the mouse wheel, until the
 * oldest, each period once and newest first; the button under it does the same from the keyboard. Screenshots
 * go to tests/artifacts/screenshots (40-42).
 */
const SHOTS = join(import.meta.dirname, '..', 'artifacts', 'screenshots');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PASSWORD = 'e2e-password-1';
const SERIAL = 'A000091';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** More than two pages of 50, the last one short. */
const PERIODS = 137;
const OFFICERS = [
  { officerNo: '400001', name: '陈静', unitNo: '410900000011', unitName: '城管执法一中队' },
  { officerNo: '400002', name: '赵磊', unitNo: '410900000011', unitName: '城管执法一中队' },
  { officerNo: '400003', name: '孙丽', unitNo: '410900000012', unitName: '城管执法二中队' },
];

let dock: TestDock;
let consoleUrl = '';
let closeConsole: () => Promise<void> = async () => undefined;
let ctx: BrowserContext;
let page: Page;
let profile = '';
const pageErrors: string[] = [];
/** Checkout ids newest first, as the ledger holds them. */
let newestFirst: number[] = [];
/** The cursors the page asked the ledger for, in order. */
const cursors: string[] = [];

const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 });
const session = consoleLogin(() => consoleUrl, PASSWORD);

/** A day shift a day for PERIODS days, each closed by docking, with a few recordings in most of them. */
function busyYear(ledger: Ledger, now: number): void {
  ledger.tx(() => {
    ledger.devices.docked({ serial: SERIAL, idCode: 'SIM01', firmware: 'bwc-sim 1.0.0', caps: 15 }, now - PERIODS * DAY);
    ledger.devices.undocked(SERIAL, now - HOUR);
    let seq = 0;
    for (let d = PERIODS; d >= 1; d--) {
      const out = now - d * DAY;
      const officer = OFFICERS[d % OFFICERS.length]!;
      const id = ledger.checkouts.checkOut(SERIAL, officer.officerNo, 'manager', out);
      ledger.checkouts.leftDock(id, out + 5 * 60_000);
      const sessionId = `S-${SERIAL}-${d}`;
      ledger.sessions.create(sessionId, '/dev/ttyACM0', out + 10 * HOUR);
      ledger.sessions.identified(sessionId, SERIAL);
      for (let k = 0; k < d % 4; k++) {
        const start = out + (1 + 2 * k) * HOUR;
        const iso = toIsoInZone(start, 'Asia/Shanghai');
        seq++;
        const name = `${SERIAL}_${officer.officerNo}_${seq}.MP4`;
        ledger.recordings.insert({
          serial: SERIAL,
          seq,
          name,
          devicePath: `DCIM/100BWC/${name}`,
          storedPath: `footage/${SERIAL}/${name}`,
          size: 150_000_000 + seq,
          sha256: seq.toString(16).padStart(64, '0'),
          deviceSha256: null,
          fileFlags: 0,
          recordedStart: iso,
          recordedStartMs: start,
          correctedStart: iso,
          correctedStartMs: start,
          driftMs: 0,
          driftUncertaintyMs: 40,
          durationMs: (10 + 5 * k) * 60_000,
          offloadedAt: toIsoInZone(out + 10 * HOUR, 'Asia/Shanghai'),
          offloadedAtMs: out + 10 * HOUR,
          delayMs: null,
          sessionId,
          officerNo: officer.officerNo,
          unitNo: officer.unitNo,
          checkoutId: id,
          retainUntil: toIsoInZone(out + 400 * DAY, 'Asia/Shanghai'),
          retainUntilMs: out + 400 * DAY,
          flags: [],
        });
        ledger.sessions.countStored(sessionId, 150_000_000 + seq);
      }
      ledger.sessions.end(sessionId, 'ok', out + 10 * HOUR + 5 * 60_000);
      ledger.checkouts.checkIn(id, 'dock', out + 10 * HOUR, sessionId);
    }
  });
}

/** Ids of the ledger rows on the page, in order. */
const rowIds = () => page.locator('#checkouts tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-checkout'))));

async function axe(): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (o: unknown) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe.run({ resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

describe("a recorder's ledger in pages, in a real browser", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dock = await testDock();
    const daemon = await dock.start();
    const c = await startConsole({ daemon, config: dock.config, log: createLogger({ level: 'silent' }) });
    consoleUrl = c.url;
    closeConsole = c.close;
    const { ledger } = daemon.ctx;
    const now = Date.now();
    await ledger.users.add('manager', 'equipment_manager', PASSWORD, now);
    for (const o of OFFICERS) ledger.officers.upsert(o, now);
    busyYear(ledger, now);
    newestFirst = ledger.checkouts.ofDevice(SERIAL).map((c) => c.id);
    expect(newestFirst).toHaveLength(PERIODS);

    ({ ctx, page, profile } = await openBrowser({ locale: 'zh-CN', viewport: { width: 1280, height: 800 }, pageErrors }));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname === `/api/devices/${SERIAL}` && u.searchParams.has('cursor')) cursors.push(u.searchParams.get('cursor')!);
    });
    await session.login(page, 'manager');
    // The login page's question whether a session is open answers 401 before the login: not an error of this page.
    pageErrors.length = 0;
  }, 180_000);

  afterAll(async () => {
    await ctx?.close();
    await closeConsole();
    await dock?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('shows the newest 50 periods, then loads older ones as the ledger is scrolled, to the oldest, each once', async () => {
    await page.goto(`${consoleUrl}/#/devices/${SERIAL}`);
    await page.locator('#checkouts tbody tr').first().waitFor();
    expect(await rowIds()).toEqual(newestFirst.slice(0, 50));
    expect(await page.locator('#ledger-count').textContent()).toBe('已显示 50 条，向下滚动加载更早的领用记录');
    expect(await page.locator('#ledger-more').isVisible()).toBe(true);
    expect(await page.locator('#ledger-more').textContent()).toBe('加载更多');
    // The newest row reads as a user reads it: who, handed out by whom, back by docking, what was recorded.
    const first = (await page.locator('#checkouts tbody tr').first().innerText()).replace(/\s+/g, ' ');
    expect(first).toMatch(/赵磊（400002）/);
    expect(first).toContain('经办人：manager');
    expect(first).toContain('插入采集站');
    expect(first).toMatch(/1 条，10 分/);
    // The page scrolled to the ledger's heading, just below the sticky header.
    await page.locator('h2', { hasText: '领用台账' }).evaluate((e) => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 150));
    await page.screenshot({ path: join(SHOTS, '40-device-ledger.png') });

    // Scroll the ledger's own box with the wheel, as a user does, until its end is reached (the pointer put back
    // over the box each time: at the box's end the wheel scrolls the page on).
    const box = page.locator('.table-wrap.scroll-y');
    for (let i = 0; i < 60 && (await page.locator('#ledger-more').isVisible()); i++) {
      await box.hover();
      await page.mouse.wheel(0, 1200);
      await page.waitForTimeout(150);
      if (i === 3) await page.screenshot({ path: join(SHOTS, '41-device-ledger-scrolled.png') });
    }
    await poll(() => page.locator('#ledger-count').textContent()).toBe(`已显示全部 ${PERIODS} 条领用记录`);
    expect(await rowIds()).toEqual(newestFirst);
    expect(await page.locator('#ledger-more').isHidden()).toBe(true);
    // Two cursors for three pages, each asked for once.
    expect(cursors).toHaveLength(2);
    expect(new Set(cursors).size).toBe(2);
    // The dockings below the ledger are a short scroll away, not 137 rows down: the last 20, and a link to them all.
    expect(await page.locator('#sessions tbody tr').count()).toBe(20);
    expect(await page.locator(`a[href="#/sessions?serial=${SERIAL}"]`).textContent()).toBe('此执法记录仪的全部采集记录');
    await page.locator('h2', { hasText: '采集记录' }).evaluate((e) => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 420));
    await page.screenshot({ path: join(SHOTS, '42-device-ledger-end.png') });
    expect(await axe()).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('the button under the ledger loads the next page from the keyboard, without scrolling', async () => {
    cursors.length = 0;
    await page.goto(`${consoleUrl}/#/status`);
    await page.goto(`${consoleUrl}/#/devices/${SERIAL}`);
    await page.locator('#checkouts tbody tr').first().waitFor();
    expect(await page.locator('#checkouts tbody tr').count()).toBe(50);
    await page.locator('#ledger-more').focus();
    await page.keyboard.press('Enter');
    await poll(() => page.locator('#ledger-count').textContent()).toBe('已显示 100 条，向下滚动加载更早的领用记录');
    await page.keyboard.press('Enter');
    await poll(() => page.locator('#ledger-count').textContent()).toBe(`已显示全部 ${PERIODS} 条领用记录`);
    // The button is gone at the end; the keyboard is on the ledger's box, not lost to the page.
    expect(await page.evaluate(() => document.activeElement?.classList.contains('scroll-y'))).toBe(true);
    expect(await rowIds()).toEqual(newestFirst);
    expect(cursors).toHaveLength(2);
    expect(pageErrors).toEqual([]);
  });
});
