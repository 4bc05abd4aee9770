import type { Config } from '../config.js';
import type { CheckoutService } from '../dock/checkout.js';
import type { DockClock } from '../dock/context.js';
import type { SlotBoard } from '../dock/slots.js';
import type { MediaRepository } from '../ingest/media.js';
import type { Ledger } from '../ledger/index.js';
import type { Role } from '../ledger/users.js';
import type { Logger } from '../log.js';
import type { RetentionServices } from '../retention/index.js';
import type { Action, Scope } from './rights.js';

/** What the console is built from; tests pass a real ledger, a SlotBoard and an injected clock. */
export interface ConsoleDeps {
  config: Config;
  ledger: Ledger;
  slots: SlotBoard;
  clock: DockClock;
  log: Logger;
  checkout: CheckoutService;
  media: MediaRepository;
  version: string;
  /** ISO 8601 in the dock's timezone. */
  iso(ms: number): string;
  /** Failed logins allowed per username and per address within the window (default 10 in 15 minutes). */
  loginLimit?: { max: number; windowMs: number };
  /** Retention, holds and archive discs (the daemon's, sharing its manifest chain); without it those routes are absent. */
  retention?: Pick<RetentionServices, 'service' | 'archives'>;
  /** SSE heartbeat interval (default 15 s). */
  heartbeatMs?: number;
  /** Free bytes on the data directory's file system, for the dock's screen (default: statfs of config.dataDir). */
  diskFree?: () => Promise<number>;
}

/** The logged-in user of a request, set by the guard. */
export interface AuthUser {
  username: string;
  role: Role;
  csrfToken: string;
  /** SHA-256 of the session token: identifies one login session (one playback's Range requests). */
  sessionKey: string;
  expiresAtMs: number;
  /** Set after an administrator's reset: until a new password is set, only routes marked `passwordChange` answer. */
  mustChangePassword?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every /api route (method and URL pattern) the console serves, for the rights table and docs. */
    consoleRoutes: ReadonlyArray<{ method: string; url: string }>;
  }
  interface FastifyContextConfig {
    /** The rights-matrix action the route serves; a route under /api without one (and not `public`) is refused. */
    action?: Action;
    /** Open without login (health, login). */
    public?: boolean;
    /** Usable while the user must change their password (me, password change, logout). */
    passwordChange?: boolean;
    /** A route that shows or copies footage (`:id` names the recording): a refusal is audited (004 annex 1 §12). */
    footage?: boolean;
  }
  interface FastifyRequest {
    user: AuthUser | null;
    /** The user's scope for the route's action. */
    scope: Scope | null;
  }
}
