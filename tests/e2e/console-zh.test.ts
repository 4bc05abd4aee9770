/// <reference lib="dom" />
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { consoleLogin, openBrowser } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecorderHandle } from '../../firmware-protocol/simulator/recorder.js';
import { startConsole } from '../../daemon/console/server.js';
import { createLogger } from '../../daemon/log.js';
import { testDock, waitFor, type TestDock } from '../helpers/dock.js';

/**
 * Issue 18 in a real browser (Debian's chromium) against a real dock: every page in Chinese and in English as the
 * role that uses it, with screenshots at 1280x800 and 800x480 and an axe-core check; the dock's own screen
 * without a login; and an equipment manager's whole day (check a recorder out, dock it, see the ledger, purge
 * due footage) with the supervisor's hold and its disc image.
 */
const SHOTS = join(import.meta.dirname, '..', 'artifacts', 'screenshots', 'zh');
const PASSWORD = 'e2e-password-1';
const SERIAL = 'A000001';
const OFFICER = { officerNo: '100001', name: '张三', unitNo: '410900000001', unitName: '濮阳市生态环境局监察大队一中队' };
const MB40 = 40 * 1024 * 1024;
const DAY = 86_400_000;
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const USERS = { manager: 'equipment_manager', sup: 'supervisor', legal1: 'legal', aud: 'auditor', admin: 'admin', [OFFICER.officerNo]: 'officer' } as const;

let dock: TestDock;
let consoleUrl = '';
let closeConsole: () => Promise<void> = async () => undefined;
let ctx: BrowserContext;
let page: Page;
let profile = '';
let recorder: RecorderHandle;
const pageErrors: string[] = [];
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 20_000 });

async function shot(name: string, p: Page = page): Promise<void> {
  await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

/** Both sizes of the current page: the desktop and the dock's own 800x480 panel. */
async function shots(name: string, p: Page = page): Promise<void> {
  await shot(`${name}-1280x800`, p);
  await p.setViewportSize({ width: 800, height: 480 });
  await shot(`${name}-800x480`, p);
  await p.setViewportSize({ width: 1280, height: 800 });
}

/** axe-core on the page: no serious or critical violation. */
async function axe(p: Page = page): Promise<string[]> {
  if (!(await p.evaluate(() => 'axe' in window))) await p.evaluate(AXE);
  const result = await p.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (o: unknown) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe.run({
      resultTypes: ['violations'],
    });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
  return result;
}

const session = consoleLogin(() => consoleUrl, PASSWORD);
const login = (username: string, p: Page = page): Promise<void> => session.login(p, username);
const logout = (p: Page = page): Promise<void> => session.logout(p);

/** The page's own words (not data): headings, labels, buttons, table heads, notes, navigation. */
const chrome = (p: Page) =>
  p.evaluate(() =>
    Array.from(document.querySelectorAll('h1, h2, label, button, th, .note, #nav a, legend, .tabs a, .empty p'))
      .filter((e) => (e as HTMLElement).offsetParent !== null)
      .map((e) => (e.textContent ?? '').trim())
      .filter(Boolean),
  );

describe('the console in Chinese and English, every page, the dock screen and a working day', () => {
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
    ledger.tx(() => {
      ledger.officers.upsert(OFFICER, now);
      // A registry of hundreds: the picker must find one by typing.
      for (let i = 2; i <= 300; i++) ledger.officers.upsert({ officerNo: String(100000 + i), name: `执法员${i}`, unitNo: '410900000002', unitName: '濮阳市生态环境局监察大队二中队' }, now);
    });
    for (const [u, role] of Object.entries(USERS)) await ledger.users.add(u, role, PASSWORD, now);
    await ledger.users.add('former', 'auditor', PASSWORD, now);
    ledger.users.setDisabled('former', true);
    recorder = await dock.recorder(SERIAL, { plugged: true, info: { userNo: '', userName: '', unitNo: '', unitName: '' } });
    await waitFor('the empty recorder docked', () => daemon.ctx.slots.bySerial(SERIAL)?.state === 'ready', 30_000);

    ({ ctx, page, profile } = await openBrowser({ locale: 'zh-CN', viewport: { width: 1280, height: 800 }, args: ['--lang=zh-CN'], pageErrors }));
    page.on('dialog', (d) => void d.accept());
  });

  afterAll(async () => {
    await ctx?.close();
    await closeConsole();
    await dock?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it("the dock's own screen shows slot state without a login, and nothing else", async () => {
    await page.goto(`${consoleUrl}/#/kiosk`);
    const card = page.locator(`.kslot[data-serial="${SERIAL}"]`);
    await card.waitFor();
    await poll(() => card.locator('.kstate').textContent()).toBe('可以取走执法记录仪');
    expect(await page.locator('#top').isHidden()).toBe(true);
    expect(await page.locator('body').textContent()).not.toMatch(/张三|100001/);
    await page.setViewportSize({ width: 800, height: 480 });
    await shot('kiosk-ready-800x480');
    expect(await axe()).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('the login speaks Chinese by default, and tells a disabled account so', async () => {
    await page.goto(`${consoleUrl}/#/login`);
    await page.locator('#username').waitFor();
    expect(await page.locator('form.login h1').textContent()).toBe('执法记录仪采集站');
    await page.locator('#username').fill('sup');
    await page.locator('#password').fill('not-the-password');
    await page.locator('form.login button[type=submit]').click();
    await poll(() => page.locator('.note.error').textContent()).toBe('用户名或密码错误。');
    await page.locator('#username').fill('former');
    await page.locator('#password').fill(PASSWORD);
    await page.locator('form.login button[type=submit]').click();
    await poll(() => page.locator('.note.error').textContent()).toBe('此账号已停用，请联系系统管理员。');
    await shots('login');
    expect(await axe()).toEqual([]);
  });

  it("a manager's day: check the recorder out by searching the officer, it docks back, the card survives an unplug, the ledger and its CSV", async () => {
    await login('manager');
    await page.locator('#nav a', { hasText: '执法记录仪' }).click();
    await page.locator(`#devices tr[data-serial="${SERIAL}"] a`).click();
    await page.locator('#checkout-officer-search').fill('张三');
    expect(await page.locator('#checkout-officer').inputValue()).toBe(OFFICER.officerNo);
    await shots('device-checkout');
    await page.locator('#checkout').click();
    await poll(() => page.locator('#device-msg .note.ok').textContent()).toBe(`已领用给 ${OFFICER.name}（${OFFICER.officerNo}）。请在执法结束后及时归还并采集。`);
    await recorder.unplug();
    await page.reload();
    await poll(() => page.locator('#device-where').textContent()).toMatch(/^已领用 · 不在采集站上/);

    // Out on duty: one recording eleven months old (due for review), three large ones today.
    const now = Date.now();
    await recorder.addRecording({ durationMs: 3000, startAt: now - 330 * DAY });
    for (let k = 3; k >= 1; k--) await recorder.addRecording({ durationMs: 4000, segmentBytes: MB40, startAt: now - k * 20 * 60_000 });

    await page.locator('#nav a', { hasText: '采集站状态' }).click();
    await page.locator('#live', { hasText: '实时' }).waitFor();
    await recorder.replug();
    const card = page.locator(`.slot[data-serial="${SERIAL}"]`);
    await page.locator(`.slot[data-serial="${SERIAL}"][data-state="offloading"]`).waitFor({ timeout: 60_000 });
    // Taken out mid-offload: the card stays, saying so, until someone has seen it.
    await recorder.unplug();
    const ended = page.locator(`.slot.ended[data-serial="${SERIAL}"]`);
    await ended.waitFor({ timeout: 30_000 });
    expect(await ended.locator('.state').textContent()).toBe('采集中断：执法记录仪被拔出');
    await shots('status-ended');
    await recorder.replug();
    await page.locator(`.slot[data-serial="${SERIAL}"][data-state="ready"]`).waitFor({ timeout: 90_000 });
    await ended.locator('button.seen').click();
    await poll(() => ended.count()).toBe(0);
    expect(await card.locator('.state').textContent()).toBe('采集完成，可以取走执法记录仪');
    expect(await card.locator('.officer').textContent()).toBe(`${OFFICER.name} · 警号 ${OFFICER.officerNo}`);
    await shots('status-ready');
    await page.screenshot({ path: join(import.meta.dirname, '..', '..', 'docs', 'console.png') });
    expect(await axe()).toEqual([]);

    // The ledger: the period out and back, and its CSV with a BOM and Chinese columns.
    await page.locator('#nav a', { hasText: '执法记录仪' }).click();
    await page.locator(`#devices tr[data-serial="${SERIAL}"] a`).click();
    await poll(() => page.locator('#checkouts tbody tr').first().textContent()).toContain(`${OFFICER.name}（${OFFICER.officerNo}）`);
    await page.locator('#nav a', { hasText: '台账导出' }).click();
    const href = await page.locator('#ledger-csv').getAttribute('href');
    const csv = await page.request.get(`${consoleUrl}${href}`);
    const bytes = await csv.body();
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toContain('领用编号,执法记录仪编号');
    expect(bytes.toString('utf8')).toContain(OFFICER.name);
  });

  it('a manager purges due footage item by item, and sees its tombstone', async () => {
    const { ledger } = dock.daemon!.ctx;
    await waitFor('the due recording in the queue', () => ledger.retention.queue({ nowMs: Date.now(), limit: 10 }).find((i) => i.enteredAt !== null), 30_000);
    await page.locator('#nav a', { hasText: '到期处理' }).click();
    const row = page.locator('#retention tbody tr').first();
    await row.waitFor();
    await shots('retention');
    expect(await axe()).toEqual([]);
    await row.locator('input.pick').check();
    await page.locator('#retention-reason').fill('保存期限届满，经核对无需延长');
    await page.locator('#purge').click();
    await poll(() => page.locator('#retention-msg .note.ok').textContent()).toBe('已删除 1 条。');
    await page.locator('#nav a', { hasText: '删除记录' }).click();
    await page.locator('#tombstones tbody tr').first().waitFor();
    expect(await page.locator('#tombstones').textContent()).toContain('保存期限届满');
    await shots('tombstones');
    await logout();
  });

  it('a supervisor places a hold, makes its disc image and downloads it; a second person confirms the release', async () => {
    const { ledger } = dock.daemon!.ctx;
    const rec = ledger.recordings.all().find((r) => r.purgedAtMs === null)!;
    await login('sup');
    await page.locator('#nav a', { hasText: '封存' }).click();
    await page.locator('#hold-recordings').fill(String(rec.id));
    await page.locator('#hold-reason').selectOption('case');
    await page.locator('#hold-case').fill('舞环罚〔2026〕7号');
    await page.locator('#hold-form button[type=submit]').click();
    await poll(() => page.locator('#holds-msg .note.ok').textContent()).toMatch(/^已封存/);
    await page.locator('#holds tbody tr').first().locator('button.make-archive').click();
    await page.locator('#archives .archive').first().waitFor({ timeout: 120_000 });
    const link = page.locator('#archives .archive a').first();
    const image = await page.request.get(`${consoleUrl}${await link.getAttribute('href')}`);
    expect(image.status()).toBe(200);
    expect((await image.body()).length).toBeGreaterThan(32 * 1024);
    await shots('holds');
    expect(await axe()).toEqual([]);
    await page.locator('#holds tbody tr').first().locator('input[id^=release-]').fill('案件已结案');
    await page.locator('#holds tbody tr').first().locator('button', { hasText: '申请解除' }).click();
    // A recording not due for purge is released at once; one whose release lets a purge follow waits for a second person.
    const hold = ledger.holds.list({ limit: 10 })[0]!;
    if (hold.releaseRequest) {
      await poll(() => page.locator('#holds-msg .note.ok').textContent()).toBe('已申请解除，等待另一位负责人确认。');
      await logout();
      await login('legal1');
      await page.locator('#nav a', { hasText: '封存' }).click();
      await page.locator('#holds tbody tr').first().locator('button', { hasText: '确认解除' }).click();
    }
    await poll(() => page.locator('#holds-msg .note.ok').textContent()).toBe('已解除封存。');
    await logout();
  });

  it('a login in another tab is told in words in the first tab, not as a bare CSRF error', async () => {
    await login('manager');
    await page.locator('#nav a', { hasText: '执法记录仪' }).click();
    await page.locator(`#devices tr[data-serial="${SERIAL}"] a`).click();
    // The docking checked the recorder in: hand it out again, after a login in another tab.
    await page.locator('#checkout-officer-search').fill(OFFICER.officerNo);
    const other = await ctx.newPage();
    await login('manager', other);
    await other.close();
    await page.locator('#checkout').click();
    await poll(() => page.locator('#device-msg .note.error').textContent()).toBe('您在另一个标签页或窗口重新登录过，此页面的登录已失效。请刷新页面后再操作。');
    await page.reload();
    await page.locator('#checkout-officer-search').fill(OFFICER.officerNo);
    await page.locator('#checkout').click();
    await poll(() => page.locator('#device-msg .note.ok').textContent()).toMatch(/^已领用给 /);
    await page.locator('#checkin').click();
    await poll(() => page.locator('#device-msg .note.ok').textContent()).toBe('已归还。');
    await logout();
  });

  it('an officer is told a finding waits, and is offered only the reasons that fit it', async () => {
    await login(OFFICER.officerNo);
    await poll(() => page.locator('#waiting .note').textContent()).toMatch(/^有 \d+ 项异常事项等待您说明。/);
    await shots('officer-status');
    await page.locator('#waiting a').click();
    const late = page.locator('.finding').first();
    await late.waitFor();
    const reasons = await late.locator('select[name=reason] option').allTextContents();
    expect(reasons).not.toContain('天气原因');
    await shots('officer-findings');
    await logout();
  });

  for (const [user, role] of Object.entries(USERS)) {
    it(`every page of the ${role} in Chinese, then in English`, async () => {
      await login(user);
      const links = await page.locator('#nav a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).getAttribute('href')!));
      expect(links.length).toBeGreaterThan(1);
      const problems: string[] = [];
      for (const href of links) {
        await page.goto(`${consoleUrl}/${href}`);
        await page.locator('#page h1').first().waitFor();
        await page.waitForLoadState('networkidle');
        await page.waitForTimeout(150);
        const name = `${role}-${href.replace(/^#\//, '').replace(/\W+/g, '_')}`;
        await shots(name);
        for (const v of await axe()) problems.push(`${href}: ${v}`);
        // Every word of the page's own is Chinese: only the product's acronyms stay in Latin letters.
        for (const text of await chrome(page)) if (/[A-Za-z]{3,}/.test(text.replace(/SHA-256|CSV|PDF|GBK|UTF-8|English|UTC|MB|GB|KB|[A-Z]\d{6}|\b[0-9a-f]{8,}\b|\b[a-z]+\d+\b/g, ''))) problems.push(`${href}: Latin words "${text}"`);
      }
      // English, remembered for this user.
      await page.locator('#lang-slot button[data-lang=en]').click();
      await poll(() => page.locator('#logout').textContent()).toBe('Log out');
      for (const href of links) {
        await page.goto(`${consoleUrl}/${href}`);
        await page.locator('#page h1').first().waitFor();
        await page.waitForLoadState('networkidle');
        // A label left untranslated is Chinese words alone; a sentence naming Chinese data (a unit, a name) is not.
        for (const text of await chrome(page)) if (text !== '中文' && /^[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\s\d.:·]+$/.test(text) && /[\u4e00-\u9fff]/.test(text)) problems.push(`${href} (en): Chinese words "${text}"`);
      }
      await page.locator('#lang-slot button[data-lang=zh]').click();
      await poll(() => page.locator('#logout').textContent()).toBe('退出登录');
      expect(problems).toEqual([]);
      await logout();
    });
  }

  it('no script error on any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
