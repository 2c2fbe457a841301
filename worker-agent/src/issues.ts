// Small helpers for closed sets and for turning zod issues into messages that name the field.
import type { z } from 'zod';

export function describeIssues(error: z.ZodError, root: string): string {
  return error.issues
    .map((issue) => {
      const path = [root, ...issue.path.map(String)].filter(Boolean).join('.');
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${String(value)}`);
}
