// Agent log: JSON lines on stderr (stdout stays free for CLI output); the token is redacted wherever it
// might appear, as a second line of defence behind never logging the hello.
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

export function createLogger(level: LogLevel, name: string): Logger {
  return pino(
    {
      level,
      base: { agent: name, pid: process.pid },
      redact: { paths: ['token', 'auth.token', '*.token', 'hello.token'], censor: '[redacted]' },
    },
    // Synchronous, so the last lines before process.exit are not lost; the agent logs little.
    pino.destination({ dest: 2, sync: true }),
  );
}
