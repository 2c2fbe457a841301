// Why a master could not start, in one line an operator can act on. Expected causes (bad configuration, a port
// in use, a cluster in use, a database that cannot be reached) carry no stack; anything else is a bug and keeps it.
import { BatonError } from './api/contract/errors';
import { unreachableError } from './db/store';
import { withoutPassword } from './config';

export interface StartupFailure { message: string; expected: boolean }

interface SystemError { code?: string; message?: string; address?: string; port?: number; hostname?: string }

const PG_REFUSALS: Record<string, string> = {
  '28P01': 'the database refused the password',
  '28000': 'the database refused this user',
  '3D000': 'the database does not exist',
  '42501': 'the database user lacks a permission the master needs',
};

function listenFailure(e: SystemError): string | null {
  const where = e.address !== undefined ? `${e.address}:${e.port}` : null;
  if (!where) return null;
  switch (e.code) {
    case 'EADDRINUSE': return `port ${e.port} on ${e.address} is in use by another process; stop it or choose another --port (BATON_PORT)`;
    case 'EACCES': return `no permission to listen on ${where}; ports below 1024 need privileges, choose another --port (BATON_PORT)`;
    case 'EADDRNOTAVAIL': return `${e.address} is not an address of this machine; choose another --bind (BATON_BIND)`;
    default: return null;
  }
}

export function describeStartupFailure(error: unknown): StartupFailure {
  if (error instanceof BatonError) return { message: error.message, expected: true };
  if (error === undefined || error === null) return { message: `an unexplained failure (${String(error)})`, expected: false };
  const e = error as SystemError;
  const listen = listenFailure(e);
  if (listen) return { message: listen, expected: true };
  const refusal = PG_REFUSALS[e.code ?? ''];
  if (refusal) return { message: `${refusal}: ${withoutPassword(e.message ?? '')} (check --database-url / BATON_DATABASE_URL)`, expected: true };
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
    return { message: `the database host ${e.hostname ?? ''} was not found (check --database-url / BATON_DATABASE_URL)`, expected: true };
  }
  const unreachable = unreachableError(error);
  if (unreachable) return { message: `${unreachable.message.replace(/; the master keeps retrying.*$/, '')}: is it running, and is --database-url right?`, expected: true };
  return { message: error instanceof Error ? error.stack ?? error.message : String(error), expected: false };
}
