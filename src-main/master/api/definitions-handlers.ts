// The definitions methods (issue 9): thin, the work is in master/definitions.
import { applyDefinitions, exportDefinitions, planDefinitions } from '../definitions/transfer';
import type { Handler } from './handlers';

export const definitionHandlers: { [M in 'definitions.export' | 'definitions.plan' | 'definitions.apply']: Handler<M> } = {
  'definitions.export': (input, ctx) => exportDefinitions(ctx, input),
  'definitions.plan': (input, ctx) => planDefinitions(ctx, input),
  'definitions.apply': (input, ctx) => applyDefinitions(ctx, input),
};
