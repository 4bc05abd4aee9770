import { pino, type Logger } from 'pino';

export type { Logger };

/** The one root logger; components take `log.child({ component })`. Secrets are redacted. */
export function createLogger(opts: { level: string; pretty?: boolean; destination?: NodeJS.WritableStream }): Logger {
  const redact = ['password', '*.password', 'adminPassword', '*.adminPassword', 'secretAccessKey', '*.secretAccessKey', 'csrfToken', 'cookie', '*.cookie'];
  if (opts.pretty) {
    return pino({ level: opts.level, redact, transport: { target: 'pino-pretty', options: { colorize: false, translateTime: 'SYS:standard' } } });
  }
  return opts.destination ? pino({ level: opts.level, redact }, opts.destination as never) : pino({ level: opts.level, redact });
}
