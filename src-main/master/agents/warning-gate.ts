// One warning line per agent and kind per interval, with how many were held back; pure (the caller passes the
// clock). Issue 7 finding 7: every malformed agent event used to write its own warning, unthrottled.

export interface GateVerdict {
  /** Whether to write this warning now. */
  report: boolean;
  /** Warnings of this kind held back since the last one written; part of the line written now. */
  suppressed: number;
}

export class WarningGate {
  private readonly kinds = new Map<string, { lastAt: number; suppressed: number }>();

  constructor(private readonly intervalMs: number) {}

  note(kind: string, now: number): GateVerdict {
    const seen = this.kinds.get(kind);
    if (seen && now - seen.lastAt < this.intervalMs) {
      seen.suppressed += 1;
      return { report: false, suppressed: seen.suppressed };
    }
    const suppressed = seen?.suppressed ?? 0;
    this.kinds.set(kind, { lastAt: now, suppressed: 0 });
    return { report: true, suppressed };
  }

  /** What is still held back, by kind, to be written once when the agent goes (then forgotten). */
  drain(): Array<{ kind: string; suppressed: number }> {
    const left = [...this.kinds].filter(([, s]) => s.suppressed > 0).map(([kind, s]) => ({ kind, suppressed: s.suppressed }));
    this.kinds.clear();
    return left;
  }
}
