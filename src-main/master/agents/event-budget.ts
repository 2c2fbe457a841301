// How many events an agent may send: a token bucket per connection, pure (the caller passes the clock).
// Issue 7 finding 7: without one, a single agent could flood the master with log batches and heartbeats.

export interface Budget {
  /** Events per second an agent may keep up. */
  perSecond: number;
  /** Events it may send at once after a quiet spell. */
  burst: number;
}

export class EventBucket {
  private tokens: number;
  private at: number;

  constructor(private readonly budget: Budget, now: number) {
    this.tokens = budget.burst;
    this.at = now;
  }

  /** Takes one event's token; false when the agent is over its budget (the event is refused). */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.at) / 1000;
    this.tokens = Math.min(this.budget.burst, this.tokens + elapsed * this.budget.perSecond);
    this.at = Math.max(this.at, now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
