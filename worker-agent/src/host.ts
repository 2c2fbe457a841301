// Facts about this host and this agent build, as reported in the hello.
import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';

/** From package.json; `src/` and `dist/` both sit one level below it. */
export const AGENT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export function hostName(): string {
  return hostname() || 'unknown';
}

/** First external IPv4 address, else '' (the master also sees the connection's address). */
export function primaryIp(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '';
}
