// `http` handler: one request with the run's trace context; the status decides success.
import { HttpParams } from '../handler-params.js';
import { defaultRules, type OutboundRules } from '../outbound.js';
import { OutboundRefused, outboundRequest } from '../outbound-request.js';
import { OUTPUT_LIMIT } from './output.js';
import { runTraceparent } from './run-env.js';
import { failed, succeeded, type Execution, type Executor, type Outcome } from './types.js';

export const http: Executor<HttpParams> = {
  params: HttpParams,
  start(assign, params, io): Execution {
    const abort = new AbortController();
    const rules = io.outbound ?? defaultRules('--allow-outbound');
    const done = request(params, runTraceparent(assign), abort.signal, rules).then(
      (response) => {
        const statusLine = `HTTP ${response.status} ${response.statusText}`.trim();
        io.log('system', statusLine);
        const output = `${statusLine}\n${response.body}`;
        return accepts(params.expectStatus, response.status)
          ? succeeded(output)
          : failed(`unexpected status ${response.status}`, output);
      },
      (err: unknown): Outcome => failed(err instanceof OutboundRefused
        ? `request refused by the outbound guard: ${err.message}`
        : `request failed: ${err instanceof Error ? err.message : String(err)}`),
    );
    return { done, stop: (cause) => abort.abort(new Error(cause)) };
  },
};

/** The request through the outbound guard: link-local and metadata addresses are refused, redirects included. */
function request(params: HttpParams, trace: string, signal: AbortSignal, rules: OutboundRules) {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(params.headers ?? {})) headers[key.toLowerCase()] = value;
  // Set last so the run's trace always links up, whatever the task's headers say.
  headers.traceparent = trace;
  let body: string | undefined;
  if (typeof params.body === 'string') body = params.body;
  else if (params.body !== undefined) {
    body = JSON.stringify(params.body);
    headers['content-type'] ??= 'application/json';
  }
  return outboundRequest(params.url, { method: params.method, headers, body, signal, rules, maxBodyChars: OUTPUT_LIMIT - 100 });
}

function accepts(expect: HttpParams['expectStatus'], actual: number): boolean {
  if (expect === undefined) return actual >= 200 && actual < 300;
  return Array.isArray(expect) ? expect.includes(actual) : expect === actual;
}
