// Turns whatever a call threw into a BatonError, so every error on screen has a code and a message.
import { BatonError } from '@contract';

export function asBatonError(error: unknown): BatonError {
  if (error instanceof BatonError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BatonError('internal', `Unexpected error in the console: ${message}`);
}
