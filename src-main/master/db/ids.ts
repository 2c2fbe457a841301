// Identifiers: time-ordered so lists sort by creation, random enough to never collide across masters.
import crypto from 'node:crypto';

export type IdPrefix = 'grp' | 'wrk' | 'tsk' | 'run' | 'tok' | 'mst' | 'enr' | 'crd' | 'alc' | 'alr';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${crypto.randomBytes(6).toString('hex')}`;
}

/** W3C trace id: 16 random bytes as 32 lowercase hex digits. */
export function newTraceId(): string {
  return crypto.randomBytes(16).toString('hex');
}
