import { AccessRegisterRepo } from './access.js';
import { AccessRequestRepo } from './access-requests.js';
import { ActivityRepo } from './activities.js';
import { ArchiveRepo } from './archives.js';
import { AuditLog } from './audit.js';
import { CatalogueRepo } from './catalogue.js';
import { CheckoutRepo } from './checkouts.js';
import { openLedger, type Db } from './db.js';
import { DeviceEventRepo } from './device-events.js';
import { DeviceRepo } from './devices.js';
import { FindingRepo } from './findings.js';
import { HoldRepo } from './holds.js';
import { JournalRepo } from './journal.js';
import { ManifestRepo } from './manifests.js';
import { OfficerRepo } from './officers.js';
import { PeriodRepo } from './periods.js';
import { RecordingRepo } from './recordings.js';
import { RetentionRepo } from './retention.js';
import { SessionRepo } from './sessions.js';
import { SpotCheckRepo } from './spot-checks.js';
import { TombstoneRepo } from './tombstones.js';
import type { PasswordHasher } from './passwords.js';
import { UpstreamRepo } from './upstream.js';
import { UserRepo } from './users.js';
import { WebSessionRepo } from './websessions.js';
import { MediaProbeRepo } from './media-probes.js';
import { YearlyReportRepo } from './yearly-report.js';

export type { Db };

/** The ledger's repositories over one SQLite connection. Services take only the repos they need. */
export class Ledger {
  readonly audit: AuditLog;
  readonly devices: DeviceRepo;
  readonly deviceEvents: DeviceEventRepo;
  readonly officers: OfficerRepo;
  readonly checkouts: CheckoutRepo;
  readonly sessions: SessionRepo;
  readonly recordings: RecordingRepo;
  readonly findings: FindingRepo;
  readonly manifests: ManifestRepo;
  readonly journal: JournalRepo;
  readonly users: UserRepo;
  readonly webSessions: WebSessionRepo;
  readonly access: AccessRegisterRepo;
  readonly activities: ActivityRepo;
  readonly periods: PeriodRepo;
  readonly holds: HoldRepo;
  readonly retention: RetentionRepo;
  readonly tombstones: TombstoneRepo;
  readonly archives: ArchiveRepo;
  readonly accessRequests: AccessRequestRepo;
  readonly catalogue: CatalogueRepo;
  readonly mediaProbes: MediaProbeRepo;
  readonly upstream: UpstreamRepo;
  readonly spotChecks: SpotCheckRepo;
  readonly yearlyReport: YearlyReportRepo;

  constructor(
    private readonly db: Db,
    formatTime: (ms: number) => string,
    opts: { passwords?: PasswordHasher } = {},
  ) {
    this.audit = new AuditLog(db, formatTime);
    this.devices = new DeviceRepo(db);
    this.deviceEvents = new DeviceEventRepo(db);
    this.officers = new OfficerRepo(db);
    this.checkouts = new CheckoutRepo(db);
    this.sessions = new SessionRepo(db);
    this.recordings = new RecordingRepo(db);
    this.findings = new FindingRepo(db);
    this.manifests = new ManifestRepo(db);
    this.journal = new JournalRepo(db);
    this.users = new UserRepo(db, opts.passwords);
    this.webSessions = new WebSessionRepo(db);
    this.access = new AccessRegisterRepo(db);
    this.activities = new ActivityRepo(db);
    this.periods = new PeriodRepo(db);
    this.holds = new HoldRepo(db);
    this.retention = new RetentionRepo(db);
    this.tombstones = new TombstoneRepo(db);
    this.archives = new ArchiveRepo(db);
    this.accessRequests = new AccessRequestRepo(db);
    this.catalogue = new CatalogueRepo(db);
    this.mediaProbes = new MediaProbeRepo(db);
    this.upstream = new UpstreamRepo(db);
    this.spotChecks = new SpotCheckRepo(db);
    this.yearlyReport = new YearlyReportRepo(db);
  }

  /** `passwords`: the password hasher (default OWASP's scrypt cost); tests pass a cheaper one. */
  static open(file: string, formatTime: (ms: number) => string, opts: { passwords?: PasswordHasher } = {}): Ledger {
    return new Ledger(openLedger(file), formatTime, opts);
  }

  /** Run `fn` in one transaction (better-sqlite3 transactions are synchronous). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /**
   * The raw connection, for tests only: to plant a corrupt row, drop a trigger or read a query plan. The
   * daemon's own code reaches the ledger through its repositories (SQL lives in daemon/ledger/ alone).
   */
  rawForTests(): Db {
    return this.db;
  }

  close(): void {
    this.db.close();
  }
}
