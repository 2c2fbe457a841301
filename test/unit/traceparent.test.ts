import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTraceparent, spanIdOf } from '../../src-main/master/tracing/traceparent';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('parseTraceparent', () => {
  it('takes the W3C example header', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, parentSpanId: SPAN, sampled: true });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)).toMatchObject({ sampled: false });
  });

  it('takes a later version with extra fields, keeping the four it knows', () => {
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-what-comes-next`)).toMatchObject({ traceId: TRACE, parentSpanId: SPAN });
  });

  it.each([
    ['missing', undefined],
    ['repeated (two headers)', [`00-${TRACE}-${SPAN}-01`, `00-${TRACE}-${SPAN}-01`]],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['version 00 with extra fields', `00-${TRACE}-${SPAN}-01-x`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['an all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['uppercase hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['a short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['no flags', `00-${TRACE}-${SPAN}`],
    ['junk', 'hello'],
  ])('ignores %s', (_what, header) => {
    expect(parseTraceparent(header)).toBeNull();
  });

  it('never throws, and whatever it accepts is well formed', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (header) => {
      const parsed = parseTraceparent(header);
      if (parsed) {
        expect(parsed.traceId).toMatch(/^[0-9a-f]{32}$/);
        expect(parsed.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
      }
    }), { numRuns: 2_000 });
  });
});

describe('spanIdOf', () => {
  it('is 16 hex digits, the same for the same run, different for different runs', () => {
    const a = spanIdOf('run_0lz1x2y3za1b2c3d4e5f6');
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(spanIdOf('run_0lz1x2y3za1b2c3d4e5f6')).toBe(a);
    expect(spanIdOf('run_0lz1x2y3za1b2c3d4e5f7')).not.toBe(a);
  });
});
