// What is down when the console's calls fail: the master itself, the database behind a master that still answers,
// or leadership passing between masters (a few seconds). The frame says which (issue 8: a database outage read
// "master unreachable"), once, and the console reads again until it is over.
import type { BatonError } from '@contract';

export type Outage = 'database' | 'leadership' | 'master' | null;

export function outageOf(error: Pick<BatonError, 'code' | 'message'> | null): Outage {
  if (!error || error.code !== 'unavailable') return null;
  if (/\bdatabase\b/i.test(error.message)) return 'database';
  if (/\bleadership\b|\bno master leads\b/i.test(error.message)) return 'leadership';
  return 'master';
}

export function outageText(outage: Outage): string | null {
  switch (outage) {
    case 'database': return 'database unreachable';
    case 'leadership': return 'electing a leader';
    case 'master': return 'master unreachable';
    case null: return null;
    default: {
      const unknown: never = outage;
      return unknown;
    }
  }
}
