// The console's one API client. In Electron it goes over the preload bridge; in a browser, over the
// master's HTTP endpoint. Both carry the same Reply, so nothing above this file knows which is used.
import { clientOver, httpTransport, unavailableReply, type ApiClient, type Reply, type WireError } from '@contract';
import { apiKey } from './api-key.svelte';

function unreachable(method: string, error: unknown): Reply {
  const detail = error instanceof Error ? error.message : String(error);
  return unavailableReply(`The master could not be reached for ${method}: ${detail}`);
}

async function overIpc(method: string, input: unknown): Promise<Reply> {
  try {
    return await window.baton!.call(method, input);
  } catch (error) {
    return unreachable(method, error);
  }
}

async function overHttp(method: string, input: unknown): Promise<Reply> {
  const reply = await httpTransport(location.origin, { apiKey: apiKey.value ?? undefined })(method, input);
  if (!reply.ok && (reply.error as WireError).code === 'unauthorized') apiKey.refusal = (reply.error as WireError).message;
  return reply;
}

export const api: ApiClient = clientOver(window.baton ? overIpc : overHttp);
