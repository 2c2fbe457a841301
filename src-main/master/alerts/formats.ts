// Each channel's message, as its vendor documents it, and its signature: pure, over the grouped message and the clock.
//  - Slack incoming webhook: Block Kit `blocks` plus a top-level `text`, the fallback mobile notifications show
//    (https://api.slack.com/messaging/webhooks, https://api.slack.com/reference/block-kit/blocks).
//  - Microsoft Teams workflow webhook ("Post to a channel when a webhook request is received"): a `message` whose
//    `attachments` hold one Adaptive Card, contentType application/vnd.microsoft.card.adaptive
//    (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook).
//  - DingTalk custom robot: `msgtype: markdown` with `markdown.title` and `markdown.text`; with a sign secret the URL
//    gets `timestamp` (ms) and `sign` = urlencode(base64(HmacSHA256(secret, timestamp + "\n" + secret)))
//    (https://open.dingtalk.com/document/robots/customize-robot-security-settings). It answers 200 with `errcode`.
//  - Feishu/Lark custom bot: `msg_type: interactive` with a `card`; with a sign secret the body gets `timestamp`
//    (seconds) and `sign` = base64(HmacSHA256(key = timestamp + "\n" + secret, message = empty))
//    (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot). It answers 200 with `code`.
//  - Generic webhook: Baton's JSON; with a secret, X-Baton-Timestamp (seconds) and
//    X-Baton-Signature: sha256=hex(HmacSHA256(secret, timestamp + "." + body)).
import crypto from 'node:crypto';
import type { AlertChannelKind } from '../api/contract/alerts';
import type { AlertMessage } from './grouping';
import { endedAs } from './rules';

export interface ChannelSpec { kind: AlertChannelKind; to: string[]; url: string; secret: string | null; template: string | null }
export type Outgoing =
  | { kind: 'email'; to: string[]; subject: string; text: string }
  | { kind: 'http'; url: string; headers: Record<string, string>; body: string };

export const SIGNATURE_HEADER = 'x-baton-signature';
export const TIMESTAMP_HEADER = 'x-baton-timestamp';

/** Slack limits a header's text to 150 characters and a section's to 3,000; longer ones are refused. */
const SLACK_HEADER_CHARS = 150;
const SLACK_SECTION_CHARS = 3_000;

export function outgoing(channel: ChannelSpec, message: AlertMessage, consoleUrl: string | null, now: number): Outgoing {
  const view = viewOf(channel, message, consoleUrl);
  switch (channel.kind) {
    case 'email': return { kind: 'email', to: channel.to, subject: `[Baton] ${view.title}`, text: plainText(view) };
    case 'webhook': return genericWebhook(channel, message, view, now);
    case 'slack': return json(channel.url, slack(view));
    case 'teams': return json(channel.url, teams(view));
    case 'dingtalk': return json(dingTalkUrl(channel.url, channel.secret, now), dingTalk(view));
    case 'feishu': return json(channel.url, { ...feishuSign(channel.secret, now), ...feishu(view, message) });
  }
}

/** What every format shows: a title, facts, the output's last lines, a link and how many alerts it stands for. */
interface View { title: string; facts: Array<[string, string]>; output: string; link: string | null; repeat: string | null }

function viewOf(channel: ChannelSpec, message: AlertMessage, consoleUrl: string | null): View {
  const e = message.last;
  const link = consoleUrl && e.runId ? `${consoleUrl.replace(/\/+$/, '')}/#/runs/${encodeURIComponent(e.runId)}` : null;
  const facts: Array<[string, string | number | null]> = [
    ['Reason', endedAs(e.reason)], ['Task', e.taskName], ['Run', e.runId === null ? null : `${e.runId} (attempt ${e.attempt})`],
    ['Worker', e.workerName], ['Exit code', e.exitCode], ['Error', e.error?.split('\n')[0] ?? null], ['Channel', e.channelName],
    ['Trace', e.traceId], ['Waited', e.waitedMs === null ? null : `${Math.round(e.waitedMs / 1000)} s`],
    ['Skipped', e.skipped && `${e.skipped.atLeast ? 'at least ' : ''}${e.skipped.count} fires, ${e.skipped.firstAt} to ${e.skipped.lastAt}`],
  ];
  const repeat = message.count > 1 ? `${message.count} times between ${message.firstAt} and ${message.lastAt}` : null;
  const title = channel.template ? fill(channel.template, message, link) : e.summary;
  return { title, facts: facts.filter((f): f is [string, string | number] => f[1] !== null).map(([k, v]) => [k, String(v)]), output: e.outputTail, link, repeat };
}

const FIELDS = ['task', 'reason', 'count', 'worker', 'summary', 'link'] as const;

/** A channel's template with {{task}}, {{reason}}, {{count}}, {{worker}}, {{summary}}, {{link}} filled in. */
export function fill(template: string, message: AlertMessage, link: string | null): string {
  const e = message.last;
  const values: Record<(typeof FIELDS)[number], string> = {
    task: e.taskName ?? '', reason: endedAs(e.reason), count: String(message.count), worker: e.workerName ?? '', summary: e.summary, link: link ?? '',
  };
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => (FIELDS as readonly string[]).includes(key) ? values[key as keyof typeof values] : whole);
}

function plainText(view: View): string {
  const width = Math.max(...view.facts.map(([label]) => label.length)) + 2;
  const lines = [view.title, ...(view.repeat ? [view.repeat] : []), '', ...view.facts.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`)];
  if (view.link) lines.push(`${'Open:'.padEnd(width)}${view.link}`);
  if (view.output) lines.push('', 'Output (last lines):', view.output);
  return `${lines.join('\n')}\n`;
}

function json(url: string, body: unknown): Outgoing {
  return { kind: 'http', url, headers: { 'content-type': 'application/json', 'user-agent': 'Baton' }, body: JSON.stringify(body) };
}

function genericWebhook(channel: ChannelSpec, message: AlertMessage, view: View, now: number): Outgoing {
  const body = JSON.stringify({
    source: 'baton', version: 1, title: view.title, reason: message.reason, count: message.count, firstAt: message.firstAt,
    lastAt: message.lastAt, link: view.link, event: message.last, firstEvent: message.first,
  });
  const out = json(channel.url, null) as Extract<Outgoing, { kind: 'http' }>;
  if (!channel.secret) return { ...out, body };
  const timestamp = String(Math.floor(now / 1000));
  const signature = crypto.createHmac('sha256', channel.secret).update(`${timestamp}.${body}`).digest('hex');
  return { ...out, body, headers: { ...out.headers, [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `sha256=${signature}` } };
}

/** Slack's mrkdwn gives &, < and > a meaning (`<!channel>` pings everyone): they are escaped. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function slack(view: View): object {
  const facts = view.facts.map(([k, v]) => `*${k}:* ${slackEscape(v)}`).join('\n');
  const blocks: object[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(view.title, SLACK_HEADER_CHARS) } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(facts, SLACK_SECTION_CHARS) } },
  ];
  if (view.output) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`\`\`\`${slackEscape(view.output)}\`\`\``, SLACK_SECTION_CHARS) } });
  if (view.repeat) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(view.repeat) }] });
  if (view.link) blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open run' }, url: view.link }] });
  return { text: clip(view.title, SLACK_SECTION_CHARS), blocks };
}

function teams(view: View): object {
  const body: object[] = [
    { type: 'TextBlock', text: view.title, weight: 'Bolder', size: 'Medium', wrap: true },
    ...(view.repeat ? [{ type: 'TextBlock', text: view.repeat, isSubtle: true, wrap: true }] : []),
    { type: 'FactSet', facts: view.facts.map(([title, value]) => ({ title, value })) },
    ...(view.output ? [{ type: 'TextBlock', text: view.output, fontType: 'Monospace', wrap: true }] : []),
  ];
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body,
    ...(view.link ? { actions: [{ type: 'Action.OpenUrl', title: 'Open run', url: view.link }] } : {}),
  };
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
}

function markdown(view: View): string {
  const lines = [`#### ${view.title}`, ...(view.repeat ? [`> ${view.repeat}`] : []), '', ...view.facts.map(([k, v]) => `- **${k}:** ${v}`)];
  if (view.output) lines.push('', '```', view.output, '```');
  if (view.link) lines.push('', `[Open run](${view.link})`);
  return lines.join('\n');
}

function dingTalk(view: View): object {
  return { msgtype: 'markdown', markdown: { title: clip(view.title, 100), text: markdown(view) } };
}

export function dingTalkSign(secret: string, timestampMs: number): string {
  return crypto.createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

function dingTalkUrl(url: string, secret: string | null, now: number): string {
  if (!secret) return url;
  const signed = new URL(url);
  signed.searchParams.set('timestamp', String(now));
  signed.searchParams.set('sign', dingTalkSign(secret, now));
  return signed.toString();
}

export function feishuSignature(secret: string, timestampSec: number): string {
  return crypto.createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}

function feishuSign(secret: string | null, now: number): object {
  if (!secret) return {};
  const timestamp = Math.floor(now / 1000);
  return { timestamp: String(timestamp), sign: feishuSignature(secret, timestamp) };
}

function feishu(view: View, message: AlertMessage): object {
  const good = message.reason === 'run_succeeded' || message.reason === 'worker_online';
  const facts = view.facts.map(([k, v]) => `**${k}:** ${v}`).join('\n');
  const elements: object[] = [{ tag: 'div', text: { tag: 'lark_md', content: [view.repeat, facts].filter(Boolean).join('\n') } }];
  if (view.output) elements.push({ tag: 'div', text: { tag: 'plain_text', content: view.output } });
  if (view.link) elements.push({ tag: 'action', actions: [{ tag: 'button', text: { tag: 'plain_text', content: 'Open run' }, type: 'primary', url: view.link }] });
  return {
    msg_type: 'interactive',
    card: { config: { wide_screen_mode: true }, header: { title: { tag: 'plain_text', content: view.title }, template: good ? 'green' : 'red' }, elements },
  };
}

/**
 * Whether the vendor took the message. DingTalk and Feishu answer 200 even when they refuse one (a bad
 * signature, a keyword missing), with the refusal in the body: `errcode` (DingTalk), `code` (Feishu).
 */
export function refusalOf(kind: AlertChannelKind, status: number, body: string): string | null {
  if (status < 200 || status > 299) return `answered ${status}`;
  if (kind !== 'dingtalk' && kind !== 'feishu') return null;
  let answer: { errcode?: unknown; errmsg?: unknown; code?: unknown; msg?: unknown; StatusCode?: unknown };
  try {
    answer = JSON.parse(body) as typeof answer;
  } catch {
    return `answered 200 with a body that is not JSON`;
  }
  const code = kind === 'dingtalk' ? answer.errcode : answer.code ?? answer.StatusCode;
  if (code === 0 || code === undefined && kind === 'feishu') return null;
  return `refused the message: ${String(code)} ${String(kind === 'dingtalk' ? answer.errmsg : answer.msg ?? '')}`.trim();
}
