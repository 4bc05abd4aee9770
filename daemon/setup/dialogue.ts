import { existsSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { DockError } from '../errors.js';
import { type Role, UserError, validatePassword, validateUsername } from '../ledger/users.js';
import { SetupError } from './errors.js';
import type { Prompter } from './prompt.js';
import { type ConsoleCert, agencyCertificate, readAgencyCertificate, readAgencyKey } from './tls.js';

/** What the first-start dialogue asks, in this order (the order of the lines when answers come on stdin). */
export interface SetupAnswers {
  dockId: string;
  timezone: string;
  dataDir: string;
  host: string;
  port: number;
  admin: { username: string; password: string };
  supervisor: { username: string; password: string };
  recorderPassword: string;
  /** The console's certificate: made at the end (self-signed), or the agency's, checked already. */
  tls: { kind: 'self-signed' } | { kind: 'agency'; cert: ConsoleCert };
}

export interface DialogueDefaults {
  dockId: string;
  timezone: string;
  dataDir: string;
  host: string;
  port: number;
}

export interface DialogueHooks {
  /** An account of that name is in the ledger of this data folder already. */
  userExists(dataDir: string, username: string): boolean;
  /** Called once the data folder is chosen: throws when another bwc-dock process holds it. */
  dataDirChosen(dataDir: string): void;
  now(): Date;
}

interface Question {
  /** The config key or account the answer is for (the `field` of a refusal). */
  field: string;
  /** 中文 / English, as the rest of the CLI speaks English. */
  text: string;
  default?: string;
  secret?: boolean;
}

/**
 * Ask until the answer passes `check`. At a terminal a refusal is said (with its reason) and the question asked
 * again; with answers on stdin the first refusal ends the setup, naming the question.
 */
async function ask<T>(p: Prompter, q: Question, check: (answer: string) => T): Promise<T> {
  for (;;) {
    const raw = await p.ask(`${q.text}${q.default !== undefined ? ` [${q.default}]` : ''}: `, { secret: q.secret === true });
    // A password is taken as typed (spaces included); any other answer without its surrounding spaces.
    const typed = q.secret ? raw : raw.trim();
    const answer = typed === '' && q.default !== undefined ? q.default : typed;
    try {
      return check(answer);
    } catch (e) {
      if (!(e instanceof DockError)) throw e;
      if (!p.interactive) throw new SetupError(e instanceof SetupError ? e.code : 'invalid', `${q.text}: ${e.message}`, q.field);
      p.say(`  ✗ ${e.message}`);
    }
  }
}

const invalid = (field: string, message: string) => new SetupError('invalid', message, field);

export function checkDockId(answer: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(answer)) throw invalid('dockId', '采集站编号只能用 1-64 个字母、数字、点、横线或下划线 / use 1-64 letters, digits, dot, dash or underscore');
  return answer;
}

/** An IANA zone Intl knows, in its canonical spelling (`asia/shanghai` → `Asia/Shanghai`). */
export function checkTimezone(answer: string): string {
  try {
    if (!answer) throw new RangeError('empty');
    return new Intl.DateTimeFormat('en', { timeZone: answer }).resolvedOptions().timeZone;
  } catch {
    throw invalid('timezone', `"${answer}" 不是 IANA 时区（例如 Asia/Shanghai）/ is not an IANA time zone (for example Asia/Shanghai)`);
  }
}

export function checkDataDir(answer: string): string {
  if (!isAbsolute(answer)) throw invalid('dataDir', '数据目录须为绝对路径 / the data folder must be an absolute path');
  const dir = resolve(answer);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw invalid('dataDir', `${dir} 不是目录 / is not a folder`);
  return dir;
}

/** `host:port`, `[v6]:port`, or a host alone (the default port). */
export function checkAddress(answer: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(answer) ?? /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(answer);
  const bad = () => invalid('console.host', '地址应为 主机:端口，例如 0.0.0.0:8443 或 192.168.1.20:8443 / an address is host:port, for example 0.0.0.0:8443');
  if (!m) throw bad();
  const host = m[1]!;
  if (answer.startsWith('[') && isIP(host) !== 6) throw bad();
  if (/^[0-9.]+$/.test(host) && isIP(host) !== 4) throw bad();
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid('console.port', '端口应为 1-65535 / the port must be 1-65535');
  return { host, port };
}

export function checkRecorderPassword(answer: string): string {
  if (!/^[0-9]{6}$/.test(answer)) throw invalid('recorders.adminPassword', "执法记录仪密码为 6 位数字 / the recorders' password is 6 digits");
  return answer;
}

/** Ask a secret twice; a second entry that differs starts the pair again. */
async function askTwice(p: Prompter, q: Question, again: string, check: (answer: string) => string): Promise<string> {
  for (;;) {
    const first = await ask(p, { ...q, secret: true }, check);
    const second = await ask(p, { ...q, text: again, secret: true }, (a) => a);
    if (first === second) return first;
    const e = invalid(q.field, '两次输入不一致，请重新输入 / the two entries differ: type it again');
    if (!p.interactive) throw new SetupError('invalid', `${again}: ${e.message}`, q.field);
    p.say(`  ✗ ${e.message}`);
  }
}

async function askAccount(
  p: Prompter,
  who: { role: Role; zh: string; en: string; default: string },
  dataDir: string,
  hooks: DialogueHooks,
  taken: { username: string; password: string } | null,
): Promise<{ username: string; password: string }> {
  const field = who.role === 'admin' ? 'admin' : 'supervisor';
  const username = await ask(p, { field: `${field}.username`, text: `${who.zh}用户名 / ${who.en}'s username`, default: who.default }, (a) => {
    validateUsername(a, who.role);
    if (taken && taken.username.toLowerCase() === a.toLowerCase())
      throw invalid(`${field}.username`, `"${a}" 已是系统管理员的用户名：两个职责两个人 / is the administrator's username: two duties, two people`);
    if (hooks.userExists(dataDir, a)) throw new UserError('exists', 'username', `账号 "${a}" 已存在 / an account "${a}" exists already`);
    return a;
  });
  const password = await askTwice(
    p,
    { field: `${field}.password`, text: `${who.zh}密码（至少 12 个字符，不显示）/ ${who.en}'s password (12 characters or more, not shown)` },
    `再次输入${who.zh}密码 / ${who.en}'s password again`,
    (a) => {
      try {
        validatePassword(a, username);
      } catch (e) {
        if (e instanceof UserError) throw new UserError(e.code, 'password', `密码不可用 / password ${e.message}`);
        throw e;
      }
      if (taken && a === taken.password)
        throw invalid(`${field}.password`, "与系统管理员的密码相同：每人用自己的密码 / the same as the administrator's: each person has their own");
      return a;
    },
  );
  return { username, password };
}

async function askCertificate(p: Prompter, hooks: DialogueHooks): Promise<SetupAnswers['tls']> {
  for (;;) {
    const kind = await ask(
      p,
      {
        field: 'console.tls',
        text: "控制台证书：1 自签名（由本机生成） 2 本单位的证书和私钥 / console certificate: 1 self-signed (made here) 2 the agency's certificate and key",
        default: '1',
      },
      (a) => {
        if (a === '1' || a === '2') return a;
        throw invalid('console.tls', '请输入 1 或 2 / answer 1 or 2');
      },
    );
    if (kind === '1') return { kind: 'self-signed' };
    const cert = await ask(p, { field: 'console.tls.cert', text: '证书文件（PEM，可含证书链）/ certificate file (PEM, chain allowed)' }, (a) =>
      readAgencyCertificate(resolve(a), hooks.now()),
    );
    const key = await ask(p, { field: 'console.tls.key', text: '私钥文件（PEM，无口令）/ private key file (PEM, no passphrase)' }, (a) => readAgencyKey(resolve(a)));
    try {
      return { kind: 'agency', cert: agencyCertificate(cert, key) };
    } catch (e) {
      if (!(e instanceof SetupError) || !p.interactive) throw e;
      p.say(`  ✗ ${e.message}`);
    }
  }
}

/** The first-start dialogue: every answer checked as it is given. Nothing is written here. */
export async function askSetup(p: Prompter, d: DialogueDefaults, hooks: DialogueHooks): Promise<SetupAnswers> {
  const dockId = await ask(p, { field: 'dockId', text: '采集站编号 / dock id', default: d.dockId }, checkDockId);
  const timezone = await ask(p, { field: 'timezone', text: '时区 / time zone', default: d.timezone }, checkTimezone);
  const dataDir = await ask(p, { field: 'dataDir', text: '数据目录 / data folder', default: d.dataDir }, (a) => {
    const dir = checkDataDir(a);
    hooks.dataDirChosen(dir);
    return dir;
  });
  const { host, port } = await ask(
    p,
    {
      field: 'console.host',
      text: '控制台监听地址（0.0.0.0 为所有网络）/ console address (0.0.0.0: every network)',
      default: `${d.host.includes(':') ? `[${d.host}]` : d.host}:${d.port}`,
    },
    (a) => checkAddress(a, d.port),
  );
  const admin = await askAccount(p, { role: 'admin', zh: '系统管理员', en: 'administrator', default: 'admin' }, dataDir, hooks, null);
  const supervisor = await askAccount(p, { role: 'supervisor', zh: '单位负责人', en: 'supervisor', default: 'supervisor' }, dataDir, hooks, admin);
  const recorderPassword = await askTwice(
    p,
    { field: 'recorders.adminPassword', text: "执法记录仪管理密码（6 位数字，不显示）/ recorders' admin password (6 digits, not shown)" },
    "再次输入执法记录仪密码 / recorders' password again",
    checkRecorderPassword,
  );
  if (recorderPassword === '000000')
    p.say('  ! 000000 是出厂默认密码：执法记录仪改密后请同步修改 recorders.adminPassword / 000000 is the factory default: change it here once the recorders have their own');
  const tls = await askCertificate(p, hooks);
  return { dockId, timezone, dataDir, host, port, admin, supervisor, recorderPassword, tls };
}
