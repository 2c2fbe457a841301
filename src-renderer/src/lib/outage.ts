// What is down when the console's calls fail: the master itself, or the database behind a master that still answers.
// The sidebar says which (issue 8: a database outage read "master unreachable").
import type { BatonError } from '@contract';

export type Outage = 'database' | 'master' | null;

export function outageOf(error: Pick<BatonError, 'code' | 'message'> | null): Outage {
  if (!error || error.code !== 'unavailable') return null;
  return /\bdatabase\b/i.test(error.message) ? 'database' : 'master';
}

export function outageText(outage: Outage): string | null {
  switch (outage) {
    case 'database': return 'database unreachable';
    case 'master': return 'master unreachable';
    case null: return null;
    default: {
      const unknown: never = outage;
      return unknown;
    }
  }
}
