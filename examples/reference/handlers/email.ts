import { defineHandlers } from '@taskwire/worker';
import { email } from '../contracts/index.ts';
import { deliverOnce } from '../services/delivery-record.ts';
import { inviteEmail, passwordResetEmail } from '../services/email-templates.ts';
import { jobMessageId, mailerOptions } from '../services/mailer.ts';

/**
 * The email family: render (templates for passwordReset and invite), then deliver through SMTP
 * or the outbox, as configured by the environment at the time of the job; once per job across
 * its attempts (see `deliverOnce`).
 *
 * @example
 * await startFamilyWorker({ handlers: emailHandlers, redisUrl });
 */
export const emailHandlers = defineHandlers(email, {
  send: async (input, ctx) => {
    await ctx.progress({ stage: 'deliver' });
    const { to, cc, subject, html, text, sendAt } = input;
    return deliverOnce(ctx, { to, cc, subject, html, text, date: sendAt, messageId: jobMessageId(ctx.job) }, mailerOptions(), ctx.signal);
  },
  passwordReset: async (input, ctx) => {
    await ctx.progress({ stage: 'render' });
    const message = passwordResetEmail(input);
    await ctx.progress({ stage: 'deliver' });
    return deliverOnce(ctx, { ...message, messageId: jobMessageId(ctx.job) }, mailerOptions(), ctx.signal);
  },
  invite: async (input, ctx) => {
    await ctx.progress({ stage: 'render' });
    const message = inviteEmail(input);
    await ctx.progress({ stage: 'deliver' });
    return deliverOnce(ctx, { ...message, messageId: jobMessageId(ctx.job) }, mailerOptions(), ctx.signal);
  },
});
