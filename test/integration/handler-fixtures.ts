// Handler modules for --handlers-dir, as a team would write them (issue 9): one with a JSON Schema as default
// export, one with named exports that waits for its abort signal.

/** Resizes nothing: logs and returns its width; `width` must be a whole number of at least 1, nothing else allowed. */
export const RESIZE_MODULE = `export default {
  name: 'resize',
  params: { type: 'object', properties: { width: { type: 'integer', minimum: 1 } }, required: ['width'], additionalProperties: false },
  async run(ctx) {
    ctx.log('resizing to ' + ctx.params.width);
    return { width: ctx.params.width, attempt: ctx.attempt };
  },
};
`;
export const HOLD_MODULE = `import { writeFileSync } from 'node:fs';
export const name = 'hold';
export const params = { type: 'object', properties: { marker: { type: 'string' } }, required: ['marker'] };
export function run(ctx) {
  ctx.log('holding');
  return new Promise((resolve) => ctx.signal.addEventListener('abort', () => {
    writeFileSync(ctx.params.marker, String(ctx.signal.reason));
    resolve('stopped');
  }));
}
`;
