// The master's structured log (pino). Everything run-related carries runId and traceId.
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, destination?: string): Logger {
  return pino({ level, base: { component: 'master' } }, destination ? pino.destination({ dest: destination, mkdir: true, sync: false }) : undefined);
}
