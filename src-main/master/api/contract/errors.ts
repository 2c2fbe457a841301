// Errors as values that cross processes: a stable code, a message an operator can act on, and the field at fault.
import type { z } from 'zod';

export const ERROR_CODES = [
  'invalid_input', 'not_found', 'conflict', 'unknown_method', 'unauthorized', 'forbidden',
  'no_worker', 'not_leader', 'unavailable', 'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** What travels over IPC, HTTP and sockets instead of a raw Error. */
export interface WireError {
  code: ErrorCode;
  message: string;
  field?: string;
  data?: unknown;
}

export class BatonError extends Error {
  override readonly name = 'BatonError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly data?: unknown,
  ) {
    super(message);
  }

  toWire(): WireError {
    return { code: this.code, message: this.message, field: this.field, data: this.data };
  }

  static fromWire(wire: WireError): BatonError {
    return new BatonError(wire.code, wire.message, wire.field, wire.data);
  }
}

export function isWireError(value: unknown): value is WireError {
  return typeof value === 'object' && value !== null
    && typeof (value as WireError).code === 'string' && typeof (value as WireError).message === 'string';
}

/**
 * Turns a zod failure into one readable error that names the first bad field (and lists the rest). An unknown
 * field comes first and is named itself, not its object: `timeout` sent for `timeoutMs` is the cause, and the
 * missing or defaulted field it was meant to be is only its effect.
 */
export function invalidInput(error: z.ZodError, prefix = ''): BatonError {
  const ordered = [...error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  const issues = ordered.map((issue) => {
    const at = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
    // An empty key is still a key: only the prefix is optional.
    const path = [...(prefix ? [prefix] : []), ...at.map(String)].join('.');
    return { path, message: issue.message };
  });
  const first = issues[0];
  const message = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return new BatonError('invalid_input', message, first?.path || undefined, { issues });
}

/** "unknown field x", with the known field it most likely meant, for zod's unrecognized_keys issues. */
export function unknownFieldsMessage(keys: readonly string[], known: readonly string[]): string {
  const named = keys.map((key) => {
    const guess = closestField(key, known);
    return guess ? `${key} (did you mean ${guess}?)` : key;
  });
  return `unknown field${keys.length > 1 ? 's' : ''} ${named.join(', ')}`;
}

/** The known field a typo most likely meant: one it starts or ends with, or one at most 2 edits away. */
export function closestField(key: string, known: readonly string[]): string | null {
  const lower = key.toLowerCase();
  const affix = known.find((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase()));
  if (affix && Math.min(lower.length, affix.length) >= 3) return affix;
  let best: { field: string; distance: number } | null = null;
  for (const field of known) {
    const distance = editDistance(lower, field.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { field, distance };
  }
  return best?.field ?? null;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64 || b.length > 64) return Infinity;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}
