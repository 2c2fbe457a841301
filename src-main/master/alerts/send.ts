// Sends one outgoing message: an email through SMTP (nodemailer) or a POST to a webhook, guarded and bounded in time.
import nodemailer from 'nodemailer';
import { OutboundRefused, outboundRequest, type OutboundRules } from 'baton-agent/outbound';
import type { AlertChannelKind } from '../api/contract/alerts';
import { checkDestination, guardedResolve, INTERNAL_REFUSED } from './destination';
import { refusalOf, type Outgoing } from './formats';

/** Why a message did not go out, in words an operator can act on; the channel is retried with backoff. */
export class AlertNotDelivered extends Error {
  override readonly name = 'AlertNotDelivered';
  readonly code = 'alert_not_delivered';
}

export interface SenderSettings {
  /** null: email channels fail, saying SMTP is not configured. */
  smtpUrl: string | null;
  from: string;
  /** For one SMTP exchange step or one webhook call. */
  timeoutMs: number;
  /** Where webhooks may go beyond public addresses (BATON_OUTBOUND_ALLOW). */
  outbound: OutboundRules;
}

export interface Sender {
  send(kind: AlertChannelKind, message: Outgoing): Promise<void>;
  close(): void;
}

/** A vendor's answer is read only this far: enough for DingTalk's and Feishu's `errcode`/`code`. */
const ANSWER_CHARS = 2_000;

export function alertSender(settings: SenderSettings): Sender {
  // One transport for the master's life; nodemailer opens a connection per message, so idle it holds none.
  const mailer = settings.smtpUrl ? nodemailer.createTransport({
    url: settings.smtpUrl, connectionTimeout: settings.timeoutMs, greetingTimeout: settings.timeoutMs, socketTimeout: settings.timeoutMs,
  }) : null;
  return {
    async send(kind, message) {
      if (message.kind === 'email') {
        if (!mailer) throw new AlertNotDelivered('SMTP is not configured: set BATON_SMTP_URL (e.g. smtp://user:pass@mail.example.com:587) to send alert emails.');
        await mailer.sendMail({ from: settings.from, to: message.to, subject: message.subject, text: message.text }).catch((error: Error) => {
          throw new AlertNotDelivered(`Email to ${message.to.join(', ')} not sent: ${error.message}`);
        });
        return;
      }
      await post(kind, message, settings);
    },
    close: () => mailer?.close(),
  };
}

/**
 * Messages name only the webhook's host: its path often carries a secret (Slack, Teams, DingTalk and Feishu hooks
 * do). Redirects are not followed: no vendor needs one, and each would be a new destination to judge.
 */
async function post(kind: AlertChannelKind, message: Extract<Outgoing, { kind: 'http' }>, settings: SenderSettings): Promise<void> {
  const host = new URL(message.url).host;
  const verdict = checkDestination(message.url, settings.outbound);
  if (!verdict.ok) throw new AlertNotDelivered(`Webhook at ${host} refused: ${verdict.message}`);
  const answer = await outboundRequest(message.url, {
    method: 'POST', headers: message.headers, body: message.body, signal: AbortSignal.timeout(settings.timeoutMs),
    maxBodyChars: ANSWER_CHARS, rules: settings.outbound, maxRedirects: 0, resolve: guardedResolve(settings.outbound),
  }).catch((error: Error & { code?: string }) => {
    if (error instanceof OutboundRefused || error.code === INTERNAL_REFUSED) throw new AlertNotDelivered(`Webhook at ${host} refused: ${error.message}`);
    if (/more than 0 redirects/.test(error.message)) throw new AlertNotDelivered(`Webhook at ${host} answered with a redirect, which alerts do not follow`);
    throw new AlertNotDelivered(`Webhook at ${host} not reached: ${error.code ?? error.message}`);
  });
  const refused = refusalOf(kind, answer.status, answer.body);
  if (refused) throw new AlertNotDelivered(`Webhook at ${host} ${refused}`);
}
