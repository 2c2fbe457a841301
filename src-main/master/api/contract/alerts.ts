// Alert channels, rules and settings as the API shows them (issue 10). Imports nothing but zod, so the console
// validates its forms with these very schemas.
import { z } from 'zod';
// For its zod configuration: errors read as the rest of the API's ("is required", "unknown field x").
import './domain';

/** Where an alert can go; each webhook kind posts the body its vendor documents (alerts/formats.ts). */
export const AlertChannelKind = z.enum(['email', 'webhook', 'slack', 'teams', 'dingtalk', 'feishu']);
export type AlertChannelKind = z.infer<typeof AlertChannelKind>;

/** What happened. Run reasons come from a run's attempts; the others from workers and from channels themselves. */
export const AlertReason = z.enum([
  'run_failed', 'run_timed_out', 'run_lost', 'run_succeeded', 'misfired', 'queue_wait',
  'worker_offline', 'worker_online', 'channel_failing',
]);
export type AlertReason = z.infer<typeof AlertReason>;

/** Reasons about a task's runs: only these can be narrowed to one task. */
export const RUN_REASONS: readonly AlertReason[] = ['run_failed', 'run_timed_out', 'run_lost', 'run_succeeded', 'misfired', 'queue_wait'];

export const ALERT_LIMITS = {
  /** A Slack or Teams hook URL is about 150 characters; a few KB is a mistake or an attack. */
  urlChars: 2_048,
  secretChars: 256,
  templateChars: 2_000,
  recipients: 20,
  channelsPerRule: 10,
} as const;

/** Referenced by rules and by task definitions by name, so the name is a stable, plain key. */
export const channelName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit');

const webhookUrl = z.string().max(ALERT_LIMITS.urlChars, `must be at most ${ALERT_LIMITS.urlChars} characters`).superRefine((text, ctx) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return void ctx.addIssue({ code: 'custom', message: 'must be an absolute URL such as https://hooks.example.com/baton' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') ctx.addIssue({ code: 'custom', message: `must be an http or https URL, not ${url.protocol}` });
  else if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not carry a user name or password; use the channel secret' });
});

/** Undefined keeps the stored secret, null removes it. The API never shows it again: only whether one is set. */
const secret = z.string().min(1, 'must not be empty (send null to remove the secret)').max(ALERT_LIMITS.secretChars, `must be at most ${ALERT_LIMITS.secretChars} characters`).nullable().optional();

/** A first line of the message, with {{task}}, {{reason}}, {{count}}, {{worker}}, {{summary}} filled in. */
const template = z.string().max(ALERT_LIMITS.templateChars, `must be at most ${ALERT_LIMITS.templateChars} characters`).nullable().optional();

const emails = z.array(z.email({ error: 'must be an email address such as ops@example.com' })).min(1, 'must name at least one address')
  .max(ALERT_LIMITS.recipients, `must be at most ${ALERT_LIMITS.recipients} addresses`);

/**
 * One object for every kind (so every API input stays one object with known fields): email channels take `to`,
 * the webhook kinds `url` and an optional `secret`; a field of the other kind is refused, not ignored.
 */
export const AlertChannelInput = z.strictObject({
  kind: AlertChannelKind, name: channelName, enabled: z.boolean().optional(), template,
  to: emails.optional(), url: webhookUrl.optional(), secret,
}).superRefine((channel, ctx) => {
  const [needed, foreign] = channel.kind === 'email' ? [['to'], ['url', 'secret']] : [['url'], ['to']];
  for (const field of needed) {
    if (channel[field as 'to' | 'url'] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is required for a ${channel.kind} channel` });
  }
  for (const field of foreign) {
    if (channel[field as 'to' | 'url' | 'secret'] != null) ctx.addIssue({ code: 'custom', path: [field], message: `must not be set: a${channel.kind === 'email' ? 'n' : ''} ${channel.kind} channel has no ${field}` });
  }
});
export type AlertChannelInput = z.infer<typeof AlertChannelInput>;

/** Fields an update may change; the kind stays. */
export const AlertChannelPatch = z.strictObject({
  name: channelName.optional(), enabled: z.boolean().optional(), template, url: webhookUrl.optional(), secret, to: emails.optional(),
});
export type AlertChannelPatch = z.infer<typeof AlertChannelPatch>;

export const AlertChannelState = z.object({
  /** ok: the last delivery worked; failing: the last one failed and a retry is planned; idle: nothing sent yet. */
  status: z.enum(['ok', 'failing', 'idle']),
  lastSuccessAt: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
  lastError: z.string().nullable(),
  nextRetryAt: z.string().nullable(),
  failures: z.number().int(),
  /** Alerts waiting: gathered within the storm window, or held while the channel fails. */
  pending: z.number().int(),
});
export type AlertChannelState = z.infer<typeof AlertChannelState>;

export const AlertChannel = z.object({
  id: z.string(), name: z.string(), kind: AlertChannelKind, enabled: z.boolean(),
  /** Email: the addresses. Webhooks: scheme, host and port only, since the path and query often carry a token. */
  target: z.string(),
  secret: z.enum(['set', 'not set']),
  template: z.string().nullable(),
  state: AlertChannelState,
  createdAt: z.string(), updatedAt: z.string(),
});
export type AlertChannel = z.infer<typeof AlertChannel>;

export const AlertScope = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('all') }),
  z.strictObject({ type: z.literal('group'), groupId: z.string().min(1).max(64) }),
  z.strictObject({ type: z.literal('task'), taskId: z.string().min(1).max(64) }),
]);
export type AlertScope = z.infer<typeof AlertScope>;

const ruleFields = {
  scope: AlertScope,
  on: z.array(AlertReason).min(1, 'must name at least one reason').max(AlertReason.options.length),
  /** Run failures and time-outs: `final` alerts only when no retry follows; `every` on each attempt. */
  attempts: z.enum(['final', 'every']).default('final'),
  /** For `queue_wait`: a run that waited longer than this before a worker took it. */
  queueWaitMs: z.number().int().min(1_000, 'must be at least 1000 ms').max(86_400_000, 'must be at most a day').default(60_000),
  channels: z.array(channelName).min(1, 'must name at least one channel').max(ALERT_LIMITS.channelsPerRule, `must name at most ${ALERT_LIMITS.channelsPerRule} channels`),
  enabled: z.boolean().default(true),
};

function scopeFits(rule: { scope?: AlertScope; on?: AlertReason[] }, ctx: z.RefinementCtx): void {
  if (rule.scope?.type !== 'task' || !rule.on) return;
  const other = rule.on.find((reason) => !RUN_REASONS.includes(reason));
  if (other) ctx.addIssue({ code: 'custom', path: ['on'], message: `${other} is not about a task's runs: give the rule scope all or group` });
}

export const AlertRuleInput = z.strictObject(ruleFields).superRefine(scopeFits);
export type AlertRuleInput = z.input<typeof AlertRuleInput>;
export const AlertRulePatch = z.strictObject({
  scope: AlertScope.optional(), on: ruleFields.on.optional(), attempts: z.enum(['final', 'every']).optional(),
  queueWaitMs: z.number().int().min(1_000).max(86_400_000).optional(), channels: ruleFields.channels.optional(), enabled: z.boolean().optional(),
});

export const AlertRule = z.object({
  id: z.string(), scope: AlertScope, on: z.array(AlertReason), attempts: z.enum(['final', 'every']), queueWaitMs: z.number().int(),
  channels: z.array(z.string()), enabled: z.boolean(), createdAt: z.string(), updatedAt: z.string(),
});
export type AlertRule = z.infer<typeof AlertRule>;

export const AlertSettings = z.object({
  /** Where the console is served; alerts link to `<consoleUrl>/#/runs/<run id>`. Null: alerts carry no link. */
  consoleUrl: z.string().nullable(),
  /** Same task (or worker) and reason within this window: one message with a count. 0 sends each at once. */
  windowMs: z.number().int(),
});
export type AlertSettings = z.infer<typeof AlertSettings>;

export const AlertSettingsPatch = z.strictObject({
  consoleUrl: webhookUrl.nullable().optional(),
  windowMs: z.number().int().min(0).max(86_400_000, 'must be at most a day (86400000 ms)').optional(),
});
