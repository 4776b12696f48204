import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { invite, passwordReset, sendEmail } from '@taskwire-example/reference/contracts';
import { type AddressObject, simpleParser } from 'mailparser';
import { afterAll, describe, expect, test } from 'vitest';
import { emailHandlers } from '../../examples/reference/handlers/email.ts';
import { escapeHtml, formatUtc } from '../../examples/reference/services/email-templates.ts';
import { closeMailTransports, deliverMail, mailerOptions } from '../../examples/reference/services/mailer.ts';
import { listDir, redisFixture, smtpFixture, tempDir, withEnv } from './support.ts';

afterAll(() => closeMailTransports());

const addresses = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.map((v) => v.address));

describe('email over SMTP', () => {
  test('email.send delivers subject, html, text, cc and Date to the SMTP server', async () => {
    await using smtp = await smtpFixture();
    await using outbox = await tempDir('outbox');
    using _env = withEnv({ SMTP_URL: smtp.url, MAIL_FROM: 'Ops <ops@example.test>', OUTBOX_DIR: outbox.path });
    const sendAt = new Date('2025-02-03T04:05:06.000Z');
    const input = sendEmail.input.parse({
      to: 'ann@example.test',
      cc: ['bob@example.test', 'cy@example.test'],
      subject: 'Quarterly numbers',
      html: '<p>Numbers are <b>up</b>.</p>',
      text: 'Numbers are up.',
      sendAt,
    });

    const delivery = sendEmail.output.parse(await deliverMail({ ...input, date: input.sendAt }, mailerOptions()));

    expect(delivery.transport).toBe('smtp');
    expect(delivery.outboxPath).toBeUndefined();
    expect(delivery.accepted.sort()).toEqual(['ann@example.test', 'bob@example.test', 'cy@example.test']);
    expect(smtp.messages).toHaveLength(1);
    const [received] = smtp.messages;
    expect(received?.from).toBe('ops@example.test');
    expect(received?.rcptTo.sort()).toEqual(['ann@example.test', 'bob@example.test', 'cy@example.test']);
    const mail = await simpleParser(received?.raw ?? Buffer.alloc(0));
    expect(mail.messageId).toBe(delivery.messageId);
    expect(addresses(mail.to)).toEqual(['ann@example.test']);
    expect(addresses(mail.cc)).toEqual(['bob@example.test', 'cy@example.test']);
    expect(mail.from?.value[0]).toEqual({ address: 'ops@example.test', name: 'Ops' });
    expect(mail.subject).toBe('Quarterly numbers');
    expect(mail.html).toContain('<p>Numbers are <b>up</b>.</p>');
    expect(mail.text?.trim()).toBe('Numbers are up.');
    expect(mail.date?.toISOString()).toBe(sendAt.toISOString());
    expect(await listDir(outbox.path)).toEqual([]);
  });

  test('passwordReset handler renders, escapes user text and delivers', async () => {
    await using smtp = await smtpFixture();
    await using fx = await redisFixture();
    using _env = withEnv({ SMTP_URL: smtp.url, MAIL_FROM: undefined });
    const expiresAt = new Date('2025-06-01T10:30:00.000Z');
    const input = passwordReset.input.parse({
      to: 'ann@example.test',
      name: '<script>alert("x")</script> & Ann',
      resetUrl: 'https://app.example.test/reset?token=a"b&c=1',
      expiresAt,
    });

    const delivery = passwordReset.output.parse(await emailHandlers.handlers.passwordReset(input, fx.context(passwordReset)));

    expect(fx.progress).toEqual([{ stage: 'render' }, { stage: 'deliver' }]);
    expect(delivery).toMatchObject({ transport: 'smtp', accepted: ['ann@example.test'] });
    const mail = await simpleParser(smtp.messages[0]?.raw ?? Buffer.alloc(0));
    expect(smtp.messages[0]?.from).toBe('no-reply@localhost');
    expect(addresses(mail.to)).toEqual(['ann@example.test']);
    expect(mail.subject).toBe('Reset your password');
    const html = String(mail.html);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Ann');
    // The quote cannot end the attribute early: it is escaped, like the ampersand.
    expect(html).toContain('href="https://app.example.test/reset?token=a&quot;b&amp;c=1"');
    expect(html).toContain(formatUtc(expiresAt));
    expect(mail.text).toContain('Hello <script>alert("x")</script> & Ann,');
    expect(mail.text).toContain('Choose a new password: https://app.example.test/reset?token=a"b&c=1');
    expect(mail.text).toContain('1 June 2025 at 10:30 UTC');
  });

  test('invite handler names inviter, organization and role', async () => {
    await using smtp = await smtpFixture();
    await using fx = await redisFixture();
    using _env = withEnv({ SMTP_URL: smtp.url });
    const input = invite.input.parse({
      to: 'new@example.test',
      inviter: { name: 'Ann <Admin>', email: 'ann@acme.test' },
      organization: 'Acme & Sons',
      role: 'admin',
      acceptUrl: 'https://app.example.test/join/42',
    });

    const delivery = invite.output.parse(await emailHandlers.handlers.invite(input, fx.context(invite)));

    expect(delivery.accepted).toEqual(['new@example.test']);
    const mail = await simpleParser(smtp.messages[0]?.raw ?? Buffer.alloc(0));
    expect(mail.subject).toBe('Ann <Admin> invited you to join Acme & Sons');
    expect(String(mail.html)).toContain('Ann &lt;Admin&gt; invited you to join <strong>Acme &amp; Sons</strong> as an admin.');
    expect(String(mail.html)).toContain('<a href="https://app.example.test/join/42">Accept the invitation</a>');
    expect(mail.text).toContain('Ann <Admin> invited you to join Acme & Sons as an admin.');
    expect(mail.text).toContain('Accept the invitation: https://app.example.test/join/42');
    expect(mail.replyTo?.value[0]?.address).toBe('ann@acme.test');
  });
});

describe('one delivery per job', () => {
  test('a later attempt of a job whose message the server accepted returns the recorded delivery without sending again', async () => {
    await using smtp = await smtpFixture();
    await using fx = await redisFixture();
    using _env = withEnv({ SMTP_URL: smtp.url });
    const input = sendEmail.input.parse({ to: 'ann@example.test', subject: 'Once', html: '<p>once</p>' });
    const ctx = fx.context(sendEmail);

    const first = await emailHandlers.handlers.send(input, ctx);
    // The worker died before recording the completion, or the completion did not reach Redis: the job runs again.
    const again = await emailHandlers.handlers.send(input, { ...ctx, job: { ...ctx.job, attempt: 2 } });

    expect(smtp.messages).toHaveLength(1);
    expect(again).toEqual(first);
    expect(again.acceptedAt).toBeInstanceOf(Date);
    expect(sendEmail.output.parse(again)).toEqual(first);
    // Another job with the same input is another message.
    await emailHandlers.handlers.send(input, { ...ctx, job: { ...ctx.job, id: 'email.2' } });
    expect(smtp.messages).toHaveLength(2);
  });

  test('a send that failed records nothing: the retry sends', async () => {
    await using fx = await redisFixture();
    await using outbox = await tempDir('outbox');
    using _env = withEnv({ SMTP_URL: 'smtp://127.0.0.1:1', OUTBOX_DIR: outbox.path });
    const input = sendEmail.input.parse({ to: 'ann@example.test', subject: 'Retry', html: '<p>retry</p>' });
    const ctx = fx.context(sendEmail);
    await expect(emailHandlers.handlers.send(input, ctx)).rejects.toThrow();

    await using smtp = await smtpFixture();
    using _smtp = withEnv({ SMTP_URL: smtp.url });
    await emailHandlers.handlers.send(input, { ...ctx, job: { ...ctx.job, attempt: 2 } });
    expect(smtp.messages).toHaveLength(1);
  });
});

describe('email to the outbox (no SMTP_URL)', () => {
  test('writes one .eml per message, named after the Message-ID, that parses back', async () => {
    await using outbox = await tempDir('outbox');
    await using fx = await redisFixture();
    using _env = withEnv({ SMTP_URL: undefined, OUTBOX_DIR: outbox.path, MAIL_FROM: 'Ops <ops@example.test>' });
    const input = sendEmail.input.parse({ to: 'ann@example.test', subject: 'Hello from the outbox', html: '<p>Hi Ann</p>' });

    const delivery = sendEmail.output.parse(await emailHandlers.handlers.send(input, fx.context(sendEmail)));

    expect(delivery.transport).toBe('outbox');
    expect(delivery.accepted).toEqual(['ann@example.test']);
    expect(fx.progress).toEqual([{ stage: 'deliver' }]);
    const file = delivery.outboxPath ?? '';
    expect(basename(file)).toBe(`${delivery.messageId.replace(/^<|>$/g, '')}.eml`);
    // Only the final file: the temporary one was renamed.
    expect(await listDir(outbox.path)).toEqual([basename(file)]);
    const raw = await readFile(file);
    expect(raw.includes('\r\n')).toBe(true);
    const mail = await simpleParser(raw);
    expect(mail.messageId).toBe(delivery.messageId);
    expect(addresses(mail.to)).toEqual(['ann@example.test']);
    expect(mail.from?.value[0]).toEqual({ address: 'ops@example.test', name: 'Ops' });
    expect(mail.subject).toBe('Hello from the outbox');
    expect(String(mail.html)).toContain('<p>Hi Ann</p>');

    // A retry of the same job (same id, same enqueue time) carries the same Message-ID, so the
    // outbox keeps one file and SMTP receivers can drop the duplicate.
    const ctx = fx.context(sendEmail);
    const first = await emailHandlers.handlers.send(input, ctx);
    const retry = await emailHandlers.handlers.send(input, ctx);
    expect(retry.messageId).toBe(first.messageId);
    expect(first.messageId).toMatch(/@taskwire>$/);
    expect((await listDir(outbox.path)).filter((f) => f.startsWith(first.messageId.slice(1, -1)))).toHaveLength(1);
  });

  test('an aborted signal rejects and writes nothing', async () => {
    await using outbox = await tempDir('outbox');
    const controller = new AbortController();
    controller.abort('timeout');
    const options = { smtpUrl: undefined, from: 'ops@example.test', outboxDir: outbox.path };

    await expect(deliverMail({ to: 'ann@example.test', subject: 'x', html: 'x' }, options, controller.signal)).rejects.toBe('timeout');
    expect(await listDir(outbox.path)).toEqual([]);
  });

  test('an aborted signal stops an SMTP send too', async () => {
    await using smtp = await smtpFixture();
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    const options = { smtpUrl: smtp.url, from: 'ops@example.test', outboxDir: '/nonexistent' };

    await expect(deliverMail({ to: 'ann@example.test', subject: 'x', html: 'x' }, options, controller.signal)).rejects.toThrow('cancelled');
    expect(smtp.messages).toEqual([]);
  });
});

test('escapeHtml escapes the five HTML-significant characters', () => {
  expect(escapeHtml(`<a href="x">Tom & Jerry's</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;');
});
