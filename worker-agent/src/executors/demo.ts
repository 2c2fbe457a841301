// Built-in handlers with no work of their own: `noop` for benchmarks, `sharding-demo` to show broadcast.
import { AnyParams } from '../handler-params.js';
import { succeeded, type Executor } from './types.js';

export const noop: Executor<Record<string, unknown>> = {
  params: AnyParams,
  start: () => ({ done: Promise.resolve(succeeded()), stop() {} }),
};

export const shardingDemo: Executor<Record<string, unknown>> = {
  params: AnyParams,
  start(assign, _params, io) {
    const line = `shard ${assign.shard.index + 1} of ${assign.shard.total} (index ${assign.shard.index})`;
    io.log('stdout', line);
    return { done: Promise.resolve(succeeded(line)), stop() {} };
  },
};
