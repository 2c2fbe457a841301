// One master leads (fires triggers, dispatches, holds the agents); the others follow and take over when the
// leader's lease runs out. Each tick renews or claims the lease; a watchdog steps down once it can no longer
// be sure it still holds it (the database unreachable, a renewal hanging).
import type { Db } from '../db/store';
import type { Logger } from '../log';
import { announceMaster, claimLease, forgetMaster, pruneMasters, releaseLease, type Lease } from './lease';
import { leaseHeld } from './rules';

export interface LeadershipDeps {
  db: Db;
  masterId: string;
  url: string;
  leaseMs: number;
  /** The only master this database can have (embedded): it takes over a crashed predecessor's lease at once. */
  sole: boolean;
  log: Logger;
  /** Called when this master becomes leader; it starts leading before the next tick. */
  elected(term: number): Promise<void>;
  /** Called when this master must stop leading: another one leads, or the lease can no longer be trusted. */
  deposed(): Promise<void>;
}

export class Leadership {
  #lease: Lease = { leaderId: null, leaderUrl: null, term: 0 };
  #leading = false;
  #renewSentAt: number | null = null;
  #claiming: Promise<void> | null = null;
  #stopped = false;
  #changing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: LeadershipDeps) {}

  get leading(): boolean {
    return this.#leading;
  }

  /** The leader's address as last seen, or null while nobody holds the lease. */
  get leaderUrl(): string | null {
    return this.#leading ? this.deps.url : this.#lease.leaderUrl;
  }

  /** Claims at once (so a lone master leads from its first second), then keeps ticking. */
  async start(): Promise<void> {
    await this.#claim();
    this.#timer = setInterval(() => void this.#tick(), this.deps.leaseMs / 5);
  }

  async stop(): Promise<void> {
    // A claim in flight must not elect this master again while it stops.
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#claiming;
    await this.#changing;
    if (this.#leading) await this.#step(false);
    await releaseLease(this.deps.db, this.deps.masterId).catch(() => undefined);
    await forgetMaster(this.deps.db, this.deps.masterId).catch(() => undefined);
  }

  async #tick(): Promise<void> {
    if (this.#leading && !leaseHeld(this.#renewSentAt, Date.now(), this.deps.leaseMs)) {
      this.deps.log.warn({ masterId: this.deps.masterId }, 'leader lease not renewed in time; stepping down');
      await this.#step(false);
    }
    if (!this.#claiming && !this.#stopped) await this.#claim();
  }

  #claim(): Promise<void> {
    this.#claiming = this.#claimOnce().finally(() => { this.#claiming = null; });
    return this.#claiming;
  }

  async #claimOnce(): Promise<void> {
    const sentAt = Date.now();
    try {
      await announceMaster(this.deps.db, this.deps.masterId, this.deps.url);
      this.#lease = await claimLease(this.deps.db, this.deps.masterId, this.deps.leaseMs, this.deps.sole);
      const mine = this.#lease.leaderId === this.deps.masterId;
      if (mine) this.#renewSentAt = sentAt;
      if (mine !== this.#leading) await this.#step(mine);
      if (mine) await pruneMasters(this.deps.db, this.deps.leaseMs * 12);
    } catch (error) {
      this.deps.log.warn({ err: error }, 'leader lease check failed');
    }
  }

  /** Serialised, so an election and a deposition never run over each other. */
  #step(lead: boolean): Promise<void> {
    this.#changing = this.#changing.then(async () => {
      if (lead === this.#leading || (lead && this.#stopped)) return;
      this.#leading = lead;
      this.deps.log.info({ masterId: this.deps.masterId, term: this.#lease.term }, lead ? 'elected leader' : 'no longer leader');
      try {
        if (lead) await this.deps.elected(this.#lease.term);
        else await this.deps.deposed();
      } catch (error) {
        // A half-started leader must not keep the lease: undo what started and let a master try again.
        this.deps.log.error({ err: error }, lead ? 'could not start leading' : 'could not stop leading cleanly');
        if (lead) {
          this.#leading = false;
          await this.deps.deposed().catch(() => undefined);
          await releaseLease(this.deps.db, this.deps.masterId).catch(() => undefined);
        }
      }
    });
    return this.#changing;
  }
}
