import { join } from 'node:path';
import type { TaskOutput } from '@taskwire/shared';
import { createTransport, type SendMailOptions, type Transporter } from 'nodemailer';
import type { sendEmail } from '../contracts/index.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { type ServiceConfig, serviceConfig } from './config.ts';

/** One email, ready to deliver. */
export interface MailMessage {
  to: string;
  cc?: string[] | undefined;
  /** Where replies go (e.g. the person who sent an invitation). */
  replyTo?: string | undefined;
  subject: string;
  html: string;
  text?: string | undefined;
  /** The Date header; the time of delivery when omitted. */
  date?: Date | undefined;
  /**
   * The Message-ID header. Give one that is stable across retries of the same job (see
   * {@link jobMessageId}) so that receivers can drop the duplicate of an at-least-once delivery.
   */
  messageId?: string | undefined;
}

/**
 * A Message-ID that every attempt of one job shares and no other job has: the job id plus the
 * instant it was enqueued (job ids alone restart when a Redis is reset).
 *
 * @example
 * deliverMail({ ...message, messageId: jobMessageId(ctx.job) }, mailerOptions(), ctx.signal);
 */
export function jobMessageId(job: { id: string; enqueuedAt: Date }): string {
  return `<${job.id.replace(/[^A-Za-z0-9.-]/g, '-')}.${job.enqueuedAt.getTime().toString(36)}@taskwire>`;
}

/** Where mail goes: SMTP when `smtpUrl` is set, else `.eml` files in `outboxDir`. */
export interface MailerOptions {
  smtpUrl: string | undefined;
  from: string;
  outboxDir: string;
}

/** What every email task returns (the contract's delivery result). */
export type Delivery = TaskOutput<typeof sendEmail>;

/**
 * The mailer settings of a {@link ServiceConfig} (read from the environment when not given).
 *
 * @example
 * await deliverMail(message, mailerOptions(), ctx.signal);
 */
export function mailerOptions(config: ServiceConfig = serviceConfig()): MailerOptions {
  return { smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, outboxDir: config.OUTBOX_DIR };
}

// One transport per URL for the life of the process: a pooled URL (`?pool=true`) keeps its
// connections across jobs instead of reconnecting for every message.
const smtpTransports = new Map<string, Transporter>();

function smtpTransport(url: string): Transporter {
  let transport = smtpTransports.get(url);
  if (!transport) {
    transport = createTransport(url);
    smtpTransports.set(url, transport);
  }
  return transport;
}

// The outbox renders the exact bytes SMTP would carry (CRLF line ends), just into a Buffer.
const outboxTransport = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });

/** A file name from a Message-ID: `<a.b@host>` → `a.b@host.eml`; anything unusual becomes `_`. */
function emlFileName(messageId: string): string {
  const base = messageId
    .replace(/^<|>$/g, '')
    .replace(/[^A-Za-z0-9._@-]/g, '_')
    .slice(0, 200);
  return `${base || `message-${Date.now()}`}.eml`;
}

/**
 * Delivers one message. With SMTP the server's accepted recipients are returned; without it the
 * rendered message is written atomically to `<outboxDir>/<message-id>.eml`.
 *
 * Rejects at once when `signal` is already aborted, and an abort during an SMTP send closes that
 * connection. An aborted send may still have been accepted by the server (SMTP cannot tell), so a
 * retry after a timeout can deliver twice: email is at-least-once.
 *
 * @example
 * const delivery = await deliverMail({ to: 'ann@example.com', subject: 'Hi', html: '<p>Hi</p>' }, mailerOptions(), signal);
 */
export async function deliverMail(message: MailMessage, options: MailerOptions, signal?: AbortSignal): Promise<Delivery> {
  signal?.throwIfAborted();
  const mail: SendMailOptions = {
    from: options.from,
    to: message.to,
    cc: message.cc,
    replyTo: message.replyTo,
    subject: message.subject,
    html: message.html,
    text: message.text,
    date: message.date,
    messageId: message.messageId,
    signal,
  };
  if (options.smtpUrl) {
    const info = await smtpTransport(options.smtpUrl).sendMail(mail);
    return { messageId: info.messageId, acceptedAt: new Date(), accepted: (info.accepted ?? []).map(String), transport: 'smtp' };
  }
  const info = await outboxTransport.sendMail(mail);
  const outboxPath = join(options.outboxDir, emlFileName(info.messageId));
  await writeFileAtomic(outboxPath, info.message as Buffer, signal);
  return { messageId: info.messageId, acceptedAt: new Date(), accepted: info.envelope.to, transport: 'outbox', outboxPath };
}

/**
 * Closes the cached SMTP transports (pooled connections included). Call on worker shutdown;
 * the next delivery opens a new transport.
 *
 * @example
 * await worker.close();
 * closeMailTransports();
 */
export function closeMailTransports(): void {
  for (const transport of smtpTransports.values()) transport.close();
  smtpTransports.clear();
}
