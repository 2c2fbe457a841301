// `http` handler: one request with the run's trace context; the status decides success.
import { HttpParams } from '../handler-params.js';
import { OUTPUT_LIMIT } from './output.js';
import { runTraceparent } from './run-env.js';
import { failed, succeeded, type Execution, type Executor, type Outcome } from './types.js';


export const http: Executor<HttpParams> = {
  params: HttpParams,
  start(assign, params, io): Execution {
    const abort = new AbortController();
    const done = request(params, runTraceparent(assign), abort.signal).then(
      (response) => {
        io.log('system', response.statusLine);
        const output = `${response.statusLine}\n${response.body}`;
        return accepts(params.expectStatus, response.status)
          ? succeeded(output)
          : failed(`unexpected status ${response.status}`, output);
      },
      (err: unknown): Outcome => failed(`request failed: ${err instanceof Error ? err.message : String(err)}`),
    );
    return { done, stop: (cause) => abort.abort(new Error(cause)) };
  },
};

async function request(params: HttpParams, trace: string, signal: AbortSignal) {
  const headers = new Headers(params.headers);
  // Set last so the run's trace always links up, whatever the task's headers say.
  headers.set('traceparent', trace);
  let body: string | undefined;
  if (typeof params.body === 'string') body = params.body;
  else if (params.body !== undefined) {
    body = JSON.stringify(params.body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const response = await fetch(params.url, { method: params.method, headers, body, signal });
  return {
    status: response.status,
    statusLine: `HTTP ${response.status} ${response.statusText}`.trim(),
    body: await readBounded(response),
  };
}

/** Reads at most OUTPUT_LIMIT characters of the body and drops the rest unread. */
async function readBounded(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
    if (text.length >= OUTPUT_LIMIT) {
      await reader.cancel();
      return text.slice(0, OUTPUT_LIMIT - 100);
    }
  }
}

function accepts(expect: HttpParams['expectStatus'], actual: number): boolean {
  if (expect === undefined) return actual >= 200 && actual < 300;
  return Array.isArray(expect) ? expect.includes(actual) : expect === actual;
}
