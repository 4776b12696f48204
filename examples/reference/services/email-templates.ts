import type { TaskInput } from '@taskwire/shared';
import type { invite, passwordReset } from '../contracts/index.ts';
import type { MailMessage } from './mailer.ts';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML element content and quoted attribute values. Every caller-supplied string
 * goes through it: names and organizations are user input and must not become markup.
 *
 * @example
 * escapeHtml('<b>Ann & Bob</b>'); // '&lt;b&gt;Ann &amp; Bob&lt;/b&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** Subjects are one header line; user text must not smuggle line breaks or tabs into it. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\t\v\f]+/g, ' ').trim();
}

const utcFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });

/**
 * A date as people read it in an email, always in UTC (the worker does not know the reader's
 * time zone, and a stated zone beats a silently local one).
 *
 * @example
 * formatUtc(new Date('2025-01-14T12:00:00Z')); // '14 January 2025 at 12:00 UTC'
 */
export function formatUtc(date: Date): string {
  return `${utcFormat.format(date)} UTC`;
}

/** Wraps body paragraphs (already escaped) in a minimal HTML document. */
function htmlDocument(title: string, paragraphs: string[]): string {
  const body = paragraphs.map((p) => `<p>${p}</p>`).join('\n');
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>\n${body}\n</body></html>\n`;
}

function link(url: string, label: string): string {
  return `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>`;
}

/**
 * The password-reset email: the link, and when it stops working.
 *
 * @example
 * const message = passwordResetEmail({ to, name: 'Ann', resetUrl, expiresAt });
 */
export function passwordResetEmail(input: TaskInput<typeof passwordReset>): MailMessage {
  const subject = 'Reset your password';
  const expires = formatUtc(input.expiresAt);
  const html = htmlDocument(subject, [
    `Hello ${escapeHtml(input.name)},`,
    'Someone (hopefully you) asked to reset the password of your account.',
    `${link(input.resetUrl, 'Choose a new password')}. The link works until ${escapeHtml(expires)}.`,
    'If you did not ask for this, ignore this email; your password stays as it is.',
  ]);
  const text = [
    `Hello ${input.name},`,
    '',
    'Someone (hopefully you) asked to reset the password of your account.',
    `Choose a new password: ${input.resetUrl}`,
    `The link works until ${expires}.`,
    '',
    'If you did not ask for this, ignore this email; your password stays as it is.',
    '',
  ].join('\n');
  return { to: input.to, subject, html, text };
}

/**
 * The invitation email: who invites, to which organization, with which role.
 *
 * @example
 * const message = inviteEmail({ to, inviter: { name: 'Ann', email: 'ann@acme.test' }, organization: 'Acme', role: 'admin', acceptUrl });
 */
export function inviteEmail(input: TaskInput<typeof invite>): MailMessage {
  const inviter = input.inviter.name;
  const subject = oneLine(`${inviter} invited you to join ${input.organization}`);
  const role = input.role === 'admin' ? 'an admin' : 'a member';
  const html = htmlDocument(subject, [
    'Hello,',
    `${escapeHtml(inviter)} invited you to join <strong>${escapeHtml(input.organization)}</strong> as ${role}.`,
    link(input.acceptUrl, 'Accept the invitation'),
    'If you were not expecting this invitation, you can ignore this email.',
  ]);
  const text = [
    'Hello,',
    '',
    `${inviter} invited you to join ${input.organization} as ${role}.`,
    `Accept the invitation: ${input.acceptUrl}`,
    '',
    'If you were not expecting this invitation, you can ignore this email.',
    '',
  ].join('\n');
  return { to: input.to, subject, html, text, replyTo: input.inviter.email };
}

/** What a licence reminder needs to say. */
export interface LicenseReminder {
  id: string;
  holder: string;
  email: string;
  expiresAt: Date;
}

/**
 * The licence-expiry reminder.
 *
 * @example
 * const message = licenseReminderEmail({ id: 'LIC-1', holder: 'Acme', email, expiresAt });
 */
export function licenseReminderEmail(license: LicenseReminder): MailMessage {
  const expires = formatUtc(license.expiresAt);
  const subject = oneLine(`Your licence ${license.id} expires on ${expires}`);
  const html = htmlDocument(subject, [
    `Hello ${escapeHtml(license.holder)},`,
    `Your licence <strong>${escapeHtml(license.id)}</strong> expires on ${escapeHtml(expires)}.`,
    'Renew it before then to keep using the product without interruption.',
  ]);
  const text = [
    `Hello ${license.holder},`,
    '',
    `Your licence ${license.id} expires on ${expires}.`,
    'Renew it before then to keep using the product without interruption.',
    '',
  ].join('\n');
  return { to: license.email, subject, html, text };
}
