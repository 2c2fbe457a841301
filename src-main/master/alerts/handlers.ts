// The alerts part of the API: channels, rules and settings. Every input is checked whole before anything is stored.
import type { z } from 'zod';
import { AlertChannelInput, AlertRuleInput, type AlertChannel, type AlertRule, type AlertScope } from '../api/contract/alerts';
import { BatonError, invalidInput } from '../api/contract/errors';
import type { MethodName, Methods } from '../api/contract/methods';
import type { MasterContext } from '../context';
import * as channels from '../db/alert-channels';
import * as rules from '../db/alert-rules';
import { getGroup } from '../db/groups';
import { inTransaction } from '../db/store';
import { getTask } from '../db/tasks';
import { checkDestination } from './destination';

type AlertMethod = Extract<MethodName, `alerts.${string}`>;
type Handler<M extends MethodName> = (input: z.infer<Methods[M]['input']>, ctx: MasterContext) => Promise<z.input<Methods[M]['output']>>;

/** A webhook's host as written must be one the master may reach (destination.ts); checked again as resolved when sending. */
function checkUrl(input: AlertChannelInput, ctx: MasterContext, prefix: string): void {
  if (input.url === undefined) return;
  const verdict = checkDestination(input.url, ctx.outbound);
  if (!verdict.ok) throw new BatonError('invalid_input', `${prefix}url: ${verdict.message}.`, `${prefix}url`);
}

async function checkRule(spec: z.infer<typeof AlertRuleInput>, ctx: MasterContext, prefix: string): Promise<void> {
  const found = await channels.channelIdsByName(ctx.db, spec.channels);
  const index = spec.channels.findIndex((name) => !found.has(name));
  if (index >= 0) {
    throw new BatonError('invalid_input', `${prefix}channels.${index}: there is no alert channel named "${spec.channels[index]}"; create it first.`, `${prefix}channels.${index}`);
  }
  await checkScope(spec.scope, ctx, `${prefix}scope`);
}

async function checkScope(scope: AlertScope, ctx: MasterContext, path: string): Promise<void> {
  const missing = (field: string, what: string) => new BatonError('invalid_input', `${path}.${field}: ${what}.`, `${path}.${field}`);
  if (scope.type === 'group') await getGroup(ctx.db, scope.groupId).catch(() => { throw missing('groupId', `no group with id ${scope.groupId}`); });
  if (scope.type === 'task') await getTask(ctx.db, scope.taskId).catch(() => { throw missing('taskId', `no task with id ${scope.taskId}`); });
}

function specOf(rule: AlertRule): z.input<typeof AlertRuleInput> {
  const { scope, on, attempts, queueWaitMs, channels: names, enabled } = rule;
  return { scope, on, attempts, queueWaitMs, channels: names, enabled };
}

/** The stored channel as an input, to merge a patch over (the secret stays unless the patch names it). */
async function channelInput(ctx: MasterContext, id: string): Promise<{ shown: AlertChannel; input: Record<string, unknown> }> {
  const [shown, stored] = await Promise.all([channels.getChannel(ctx.db, id), channels.deliverable(ctx.db, id)]);
  const target = stored.kind === 'email' ? { to: stored.to } : { url: stored.url };
  return { shown, input: { kind: stored.kind, name: stored.name, enabled: shown.enabled, template: stored.template, ...target } };
}

export const alertHandlers: { [M in AlertMethod]: Handler<M> } = {
  'alerts.channels.list': (_input, ctx) => channels.listChannels(ctx.db),
  'alerts.channels.create': async (input, ctx) => {
    checkUrl(input, ctx, '');
    return channels.createChannel(ctx.db, input);
  },
  'alerts.channels.update': async ({ id, patch }, ctx) => {
    const { shown, input } = await channelInput(ctx, id);
    const merged = AlertChannelInput.safeParse({ ...input, ...patch });
    if (!merged.success) throw invalidInput(merged.error, 'patch');
    checkUrl(merged.data, ctx, 'patch.');
    const stored = await inTransaction(ctx.db, async (client) => {
      if (merged.data.name !== shown.name) await rules.renameChannelInRules(client, shown.name, merged.data.name);
      return channels.replaceChannel(client, id, merged.data);
    });
    ctx.alerts.rulesChanged();
    return stored;
  },
  'alerts.channels.delete': async ({ id }, ctx) => {
    const channel = await channels.getChannel(ctx.db, id);
    const naming = await rules.rulesNaming(ctx.db, channel.name);
    if (naming.length > 0) {
      throw new BatonError('conflict', `Alert rules ${naming.join(', ')} send to this channel; change or delete them first.`, 'id', { rules: naming });
    }
    await channels.deleteChannel(ctx.db, id);
    return { ok: true as const };
  },
  'alerts.channels.test': async ({ id }, ctx) => {
    const result = await ctx.alerts.test(id);
    return { ...result, channel: await channels.getChannel(ctx.db, id) };
  },

  'alerts.rules.list': (_input, ctx) => rules.listRules(ctx.db),
  'alerts.rules.create': async (input, ctx) => {
    await checkRule(input, ctx, '');
    const rule = await rules.createRule(ctx.db, input);
    ctx.alerts.rulesChanged();
    return rule;
  },
  'alerts.rules.update': async ({ id, patch }, ctx) => {
    const merged = AlertRuleInput.safeParse({ ...specOf(await rules.getRule(ctx.db, id)), ...patch });
    if (!merged.success) throw invalidInput(merged.error, 'patch');
    await checkRule(merged.data, ctx, 'patch.');
    const rule = await rules.replaceRule(ctx.db, id, merged.data);
    ctx.alerts.rulesChanged();
    return rule;
  },
  'alerts.rules.delete': async ({ id }, ctx) => {
    await rules.deleteRule(ctx.db, id);
    ctx.alerts.rulesChanged();
    return { ok: true as const };
  },

  'alerts.settings.get': (_input, ctx) => channels.getSettings(ctx.db),
  'alerts.settings.update': (input, ctx) => channels.updateSettings(ctx.db, input),
};
