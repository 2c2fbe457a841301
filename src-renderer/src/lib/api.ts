// The console's one API client. In Electron it goes over the preload bridge; in a browser, over the
// master's HTTP endpoint. Both carry the same Reply, so nothing above this file knows which is used.
import { clientOver, unavailableReply, type ApiClient, type Reply, type WireError } from '@contract';
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
  try {
    const response = await fetch(`/api/${encodeURIComponent(method)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(apiKey.value ? { authorization: `Bearer ${apiKey.value}` } : {}) },
      body: JSON.stringify(input ?? {}),
    });
    const reply = (await response.json()) as Reply;
    if (!reply.ok && (reply.error as WireError).code === 'unauthorized') apiKey.refusal = (reply.error as WireError).message;
    return reply;
  } catch (error) {
    return unreachable(method, error);
  }
}

export const api: ApiClient = clientOver(window.baton ? overIpc : overHttp);
