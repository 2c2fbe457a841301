// Alerts go out through Agenda: one durable job per alert and channel, retried with exponential backoff, and run
// by one master only (Agenda locks each job), however many masters share the database.
import { exponential, when, type Agenda, type Job } from 'agenda';
import { z } from 'zod';
import { assertNever } from '../assert-never';
import type { Logger } from '../log';
import { AlertEvent, type Alert } from './rules';
import { AlertNotDelivered, postWebhook, SmtpNotConfigured, smtpMailer, type Mailer } from './send';
import { defaultRules, OutboundRefused, type OutboundRules } from 'baton-agent/outbound';

export const ALERT_JOB = 'baton:alert';

/** One channel of one alert: channels retry apart, so a webhook that keeps failing never sends the email twice. */
const AlertJob = z.discriminatedUnion('channel', [
  z.object({ channel: z.literal('email'), to: z.array(z.string()).min(1), event: AlertEvent }),
  z.object({ channel: z.literal('webhook'), url: z.string(), event: AlertEvent }),
]);
export type AlertJob = z.infer<typeof AlertJob>;

export interface AlertRetry {
  /** Before the first retry; each next one waits twice as long. */
  delayMs: number;
  maxRetries: number;
}

export interface AlertDeliveryOptions {
  /** null: email alerts fail at once, saying SMTP is not configured. */
  smtpUrl: string | null;
  from: string;
  retry?: Partial<AlertRetry>;
  /** For one SMTP exchange step or one webhook call. */
  timeoutMs?: number;
  /** Where webhooks may go beyond the outbound guard's default (BATON_OUTBOUND_ALLOW). */
  outbound?: OutboundRules;
}

export interface AlertDeliverySettings {
  smtpUrl: string | null;
  from: string;
  retry: AlertRetry;
  timeoutMs: number;
  outbound: OutboundRules;
}

// 30 s, 1 min, 2 min … 64 min: about two hours of trying, enough to ride out a mail server's restart or a deploy.
const DEFAULT_RETRY: AlertRetry = { delayMs: 30_000, maxRetries: 8 };
const DEFAULT_TIMEOUT_MS = 10_000;

export function resolveAlertDelivery(options: AlertDeliveryOptions): AlertDeliverySettings {
  return {
    smtpUrl: options.smtpUrl, from: options.from,
    retry: { ...DEFAULT_RETRY, ...options.retry }, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    outbound: options.outbound ?? defaultRules('BATON_OUTBOUND_ALLOW'),
  };
}

/** The jobs that carry an alert: one per channel it names. */
export function alertJobs(alert: Alert): AlertJob[] {
  return [
    ...(alert.email.length > 0 ? [{ channel: 'email' as const, to: alert.email, event: alert.event }] : []),
    ...(alert.webhook !== null ? [{ channel: 'webhook' as const, url: alert.webhook, event: alert.event }] : []),
  ];
}

export class AlertDelivery {
  private readonly mailer: Mailer | null;
  private readonly queueing = new Set<Promise<void>>();
  private readonly onGiveUp = (error: Error, job: Job) => {
    if (error instanceof SmtpNotConfigured || error instanceof OutboundRefused) return; // already warned, and never retried
    this.log.error({ ...about(job.attrs.data), error: error.message, failures: job.attrs.failCount }, 'alert not delivered; retries used up');
  };

  /** Defines the alert job on `agenda`; call before `agenda.start()`. */
  constructor(private readonly agenda: Agenda, private readonly settings: AlertDeliverySettings, private readonly log: Logger) {
    this.mailer = settings.smtpUrl ? smtpMailer(settings.smtpUrl, settings.from, settings.timeoutMs) : null;
    const backoff = exponential({ delay: settings.retry.delayMs, factor: 2, maxRetries: settings.retry.maxRetries });
    agenda.define(ALERT_JOB, (job: Job) => this.deliver(job.attrs.data), {
      // Only failures that may pass are retried: not a missing SMTP setting, nor a job whose data is not an alert.
      backoff: when((context) => context.error instanceof AlertNotDelivered, backoff),
      removeOnComplete: true,
    });
    agenda.on(`retry exhausted:${ALERT_JOB}`, this.onGiveUp);
  }

  /** Queues the alert. Never throws: the run has ended either way, and its end must not fail with its alert. */
  enqueue(alert: Alert): Promise<void> {
    const queued = Promise.all(alertJobs(alert).map((job) => this.agenda.now(ALERT_JOB, job).then(
      () => undefined,
      (error: Error) => this.log.error({ ...about(job), error: error.message }, 'alert not queued'),
    ))).then(() => undefined);
    this.queueing.add(queued);
    return queued.finally(() => this.queueing.delete(queued));
  }

  /** Waits for alerts being queued: a master stopping right after a run ended still queues its alert. */
  async flush(): Promise<void> {
    await Promise.all(this.queueing);
  }

  private async deliver(data: unknown): Promise<void> {
    const job = AlertJob.parse(data);
    try {
      await this.send(job);
      this.log.info(about(job), 'alert sent');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof SmtpNotConfigured) this.log.warn({ ...about(job), error: message }, 'alert email not sent: SMTP is not configured');
      else if (error instanceof OutboundRefused) this.log.warn({ ...about(job), error: message }, 'alert webhook refused by the outbound guard');
      else this.log.warn({ ...about(job), error: message }, 'alert not delivered');
      throw error;
    }
  }

  private send(job: AlertJob): Promise<void> {
    switch (job.channel) {
      case 'email':
        if (!this.mailer) throw new SmtpNotConfigured();
        return this.mailer.send(job.to, job.event);
      case 'webhook':
        return postWebhook(job.url, job.event, this.settings.timeoutMs, this.settings.outbound);
      default:
        return assertNever(job, 'alert channel');
    }
  }

  close(): void {
    this.agenda.off(`retry exhausted:${ALERT_JOB}`, this.onGiveUp);
    this.mailer?.close();
  }
}

/** Log fields for an alert job, without its addresses or URL (a webhook's path often carries a secret). */
function about(data: unknown): object {
  const parsed = AlertJob.safeParse(data);
  if (!parsed.success) return { alert: 'unreadable' };
  const { channel, event } = parsed.data;
  return { channel, task: event.taskName, runId: event.runId, traceId: event.traceId, state: event.state };
}
