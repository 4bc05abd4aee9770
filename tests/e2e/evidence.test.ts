/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { consoleLogin, openBrowser } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOfficers, addRecording, makeMp4, PASSWORD } from '../helpers/console.js';
import { buildRetention, type RetentionHarness } from '../integration/retention/harness.js';

/**
 * Evidence access in a real browser (Debian's chromium through playwright-core): an equipment manager asks to
 * view another officer's footage, a supervisor approves it in their own session, the manager then plays it, a
 * case page shows the records of one target together, and the custody report opens as a page and as a Chinese
 * PDF. Screenshots go to tests/artifacts/screenshots (20-…), the PDF's first page too.
 */
const SHOTS = join(import.meta.dirname, '..', 'artifacts', 'screenshots');

let h: RetentionHarness;
let url = '';
let profile = '';
let ctx: BrowserContext;
let page: Page;
let rec = 0;
const pageErrors: string[] = [];
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 });
const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

const session = consoleLogin(() => url, PASSWORD);
const login = (username: string): Promise<void> => session.login(page, username);
const logout = (): Promise<void> => session.logout(page);

describe('evidence access in a real browser', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    h = await buildRetention();
    addOfficers(h.base);
    const mp4 = makeMp4();
    rec = addRecording(h.base, { seq: 7, officerNo: '100002', file: mp4, fileFlags: 1 });
    await h.sign([rec]);
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = h.app.server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    ({ ctx, page, profile } = await openBrowser({ locale: 'zh-CN', viewport: { width: 1280, height: 860 }, pageErrors }));
  }, 120_000);

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await h?.close();
  });

  it('an equipment manager asks to view, a supervisor approves in another session, and the manager watches on the request', async () => {
    await login('em1');
    await page.goto(`${url}/#/recordings/${rec}`);
    await page.locator('.note', { hasText: '需要经批准的调阅申请' }).waitFor();
    await page.locator('#ask-access').click();
    await page.locator('#request-form').waitFor();
    expect(await page.locator('#rq-recordings').inputValue()).toBe(String(rec));
    await page.locator('#rq-purpose').fill('核对记录仪时钟故障时段的画面');
    await page.locator('#rq-send').click();
    await page.locator('#rq-msg .note.ok').waitFor();
    await page.locator('#requests tr[data-id]').first().waitFor();
    await shot('20-request-filed');
    // The one who filed it has no approve button.
    expect(await page.locator('#requests button.approve').count()).toBe(0);
    await logout();

    await login('sup1');
    await page.goto(`${url}/#/requests`);
    const row = page.locator('#requests tr.rq-pending').first();
    await row.waitFor();
    await shot('21-supervisor-decides');
    await row.locator('button.approve').click();
    await page.locator('#requests tr.rq-approved').first().waitFor();
    await shot('22-approved');
    await logout();

    await login('em1');
    await page.goto(`${url}/#/recordings/${rec}`);
    const video = page.locator('video#player');
    await video.waitFor();
    await poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState >= 1));
    await shot('23-manager-watches');
    await poll(() => h.base.ledger.access.list({ recordingId: rec, username: 'em1', limit: 5 }).some((e) => e.kind === 'view' && e.ground.startsWith('request/')));
    await page.goto(`${url}/#/register`);
    await page.locator('#register tbody tr').first().waitFor();
    await shot('24-register');
    expect(await page.locator('#register tbody').innerText()).toContain('em1');
  });

  it('a case page shows the footage and documents about one target together, and the custody report opens as a page and a Chinese PDF', async () => {
    await logout();
    await login('sup1');
    await page.goto(`${url}/#/cases`);
    await page.locator('#case-form').waitFor();
    await page.locator('#case-no').fill('舞环罚〔2026〕7号');
    await page.locator('#case-name').fill('某化工厂超标排放案');
    await page.locator('#case-matter').selectOption('2');
    await page.locator('#case-target-kind').selectOption('company');
    await page.locator('#case-target-name').fill('舞钢市某化工有限公司');
    await page.locator('#case-target-id').fill('91410481MA0000000X');
    await page.locator('#case-form button[type=submit]').click();
    await page.locator('#link-form').waitFor();
    await page.locator('#link-ids').fill(String(rec));
    await page.locator('#link-form button[type=submit]').click();
    await page.locator('#case-recordings tr[data-id]').waitFor();
    const pdf = join(mkdtempSync(join(tmpdir(), 'bwc-doc-')), '询问笔录.pdf');
    writeFileSync(pdf, '%PDF-1.4\n%%EOF\n');
    await page.locator('#doc-file').setInputFiles(pdf);
    await page.locator('#doc-form button[type=submit]').click();
    await page.locator('#case-documents li').waitFor();
    await shot('25-case-page');
    expect(await page.locator('#case-recordings').innerText()).toContain(h.base.ledger.recordings.get(rec)!.evidenceNo!);

    await page.goto(`${url}/#/recordings/${rec}/custody`);
    await page.locator('#custody tbody tr').first().waitFor();
    await shot('26-custody');
    const text = await page.locator('#custody').innerText();
    // 封存: the seeds' word for a hold (docs/glossary.md).
    for (const s of ['入库', '签名', '封存', '关联', '批准', '查阅']) expect(text).toContain(s);

    const res = await page.request.get(`${url}/api/recordings/${rec}/custody?format=pdf`);
    expect(res.status()).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), 'bwc-custody-pdf-'));
    writeFileSync(join(dir, 'c.pdf'), await res.body());
    execFileSync('pdftoppm', ['-r', '80', '-png', '-f', '1', '-l', '1', 'c.pdf', join(SHOTS, '27-custody-pdf')], { cwd: dir });
    rmSync(dir, { recursive: true, force: true });
    expect(pageErrors).toEqual([]);
  });
});
