// Sends one alert over one channel: an email through SMTP (nodemailer) or a JSON POST to a webhook (fetch).
import nodemailer from 'nodemailer';
import { OutboundRefused, outboundRequest, type OutboundRules } from 'baton-agent/outbound';
import { alertEmail } from './message';
import type { AlertEvent } from './rules';

/** A delivery that may work later (the mail server or the webhook down, a non-2xx answer): it is retried. */
export class AlertNotDelivered extends Error {
  override readonly name = 'AlertNotDelivered';
  readonly code = 'alert_not_delivered';
}

/** Email alerts while BATON_SMTP_URL is unset: retrying cannot help until an operator sets it, so it is final. */
export class SmtpNotConfigured extends Error {
  override readonly name = 'SmtpNotConfigured';
  readonly code = 'smtp_not_configured';
  constructor() {
    super('SMTP is not configured: set BATON_SMTP_URL (e.g. smtp://user:pass@mail.example.com:587) to send alert emails.');
  }
}

export interface Mailer {
  send(to: readonly string[], event: AlertEvent): Promise<void>;
  close(): void;
}

/** One transport for the master's life; nodemailer opens a connection per message, so idle it holds none. */
export function smtpMailer(smtpUrl: string, from: string, timeoutMs: number): Mailer {
  const transport = nodemailer.createTransport({
    url: smtpUrl, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs,
  });
  return {
    async send(to, event) {
      const { subject, text } = alertEmail(event);
      await transport.sendMail({ from, to: [...to], subject, text }).catch((error: Error) => {
        throw new AlertNotDelivered(`Email to ${to.join(', ')} not sent: ${error.message}`);
      });
    },
    close: () => transport.close(),
  };
}

/**
 * POSTs the event as JSON; anything but a 2xx answer within `timeoutMs` is a failure to retry. Messages name
 * only the webhook's host: its path often carries a secret (Slack and Teams hooks do). The outbound guard
 * refuses link-local and metadata addresses, as resolved and after redirects: that refusal is final (OutboundRefused).
 */
export async function postWebhook(url: string, event: AlertEvent, timeoutMs: number, rules: OutboundRules): Promise<void> {
  const host = new URL(url).host;
  const response = await outboundRequest(url, {
    method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'Baton' }, body: JSON.stringify(event),
    // Nothing in the answer is used, so none of it is read.
    signal: AbortSignal.timeout(timeoutMs), maxBodyChars: 0, rules,
  }).catch((error: Error & { code?: string }) => {
    if (error instanceof OutboundRefused) throw new OutboundRefused(`Webhook at ${host} refused: ${error.message}`);
    throw new AlertNotDelivered(`Webhook at ${host} not reached: ${error.code ?? error.message}`);
  });
  if (response.status < 200 || response.status > 299) throw new AlertNotDelivered(`Webhook at ${host} answered ${response.status} ${response.statusText}`.trim());
}
