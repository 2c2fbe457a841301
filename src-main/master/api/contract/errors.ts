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

/** Turns a zod failure into one readable error that names the first bad field (and lists the rest). */
export function invalidInput(error: z.ZodError, prefix = ''): BatonError {
  const issues = error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    return { path, message: issue.message };
  });
  const first = issues[0];
  const message = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return new BatonError('invalid_input', message, first?.path || undefined, { issues });
}
