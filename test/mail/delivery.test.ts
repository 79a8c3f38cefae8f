import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { jobsOf, stopHarness } from '../jobs/support.ts';
import { startSmtpPeer } from './smtp-peer.ts';
import { deliverMail, MAIL_DELIVERY_JOB } from '../../src/mail/delivery.ts';
import type { OutgoingMail } from '../../src/mail/service.ts';
import type { Language } from '../../src/db/schema.ts';

let peer: Awaited<ReturnType<typeof startSmtpPeer>>;
let h: Harness;

beforeAll(async () => {
  peer = await startSmtpPeer();
  h = await startHarness({ SMTP_URL: peer.url });
}, 60_000);

afterAll(async () => {
  await stopHarness(h);
  await peer?.close();
});

const enqueue = (mail: OutgoingMail) => h.ctx.db.transaction().execute((trx) => h.ctx.mail.enqueue(trx, mail));
const row = (id: string) => h.ctx.db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
/** Waits for something the worker does in the background; fails after 20 s. */
const eventually = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 20_000, interval: 50 });
const receivedBy = (address: string) => peer.received.filter((m) => m.to.includes(address));

const invitation = (to: string, language: Language): OutgoingMail<'invitation'> => ({
  to,
  language,
  template: 'invitation',
  params: {
    appName: 'Rekenrups <Pro>',
    partnerName: 'Leerwijs & Co',
    link: 'https://schoolgate.example/school/apps/5d8f?invitation=tok_123',
    expiresAt: new Date('2026-12-22T10:00:00Z'),
    apis: ['Students', 'Staff'],
    apiCodes: ['students', 'staff'],
  },
});

describe('mail delivery over SMTP', { timeout: 60_000 }, () => {
  it('delivers the invitation in each of the four languages, in the language and time zone of the recipient', async () => {
    const expected: Record<Language, { subject: string; phrases: string[] }> = {
      en: {
        subject: 'Schoolgate — Data access for application Rekenrups <Pro>',
        phrases: ['Leerwijs & Co asks your school', 'valid until 22 December 2026 at 11:00 CET', '- Students'],
      },
      nl: {
        subject: 'Schoolgate – Datatoegang voor applicatie Rekenrups <Pro>',
        phrases: ['Leerwijs & Co vraagt je school', 'geldig tot 22 december 2026 om 11:00 CET', "Gevraagde API's:", '- Leerlingen', '- Personeel'],
      },
      fr: {
        subject: "Schoolgate – Accès aux données pour l'application Rekenrups <Pro>",
        phrases: ['Leerwijs & Co demande à votre école', "valable jusqu'au 22 décembre 2026 à 11:00", 'API demandées :', '- Élèves', '- Personnel'],
      },
      sv: {
        subject: 'Schoolgate – Dataåtkomst för applikationen Rekenrups <Pro>',
        phrases: ['Leerwijs & Co ber din skola', 'gäller till 22 december 2026 kl. 11:00 CET', 'Begärda API:er:', '- Elever', '- Personal'],
      },
    };
    const ids: Record<string, string> = {};
    for (const language of ['en', 'nl', 'fr', 'sv'] as const) ids[language] = await enqueue(invitation(`admin-${language}@school.example`, language));

    for (const language of ['en', 'nl', 'fr', 'sv'] as const) {
      const [mail] = await eventually(() => {
        const got = receivedBy(`admin-${language}@school.example`);
        expect(got).toHaveLength(1);
        return got;
      });
      expect(mail!.subject).toBe(expected[language].subject);
      for (const phrase of expected[language].phrases) expect(mail!.text).toContain(phrase);
      expect(mail!.text).toContain('https://schoolgate.example/school/apps/5d8f?invitation=tok_123');
      // Parameters are text in HTML: escaped, never markup.
      expect(mail!.html).toContain('Rekenrups &lt;Pro&gt;');
      expect(mail!.html).not.toContain('<Pro>');
      expect(mail!.html).toContain('href="https://schoolgate.example/school/apps/5d8f?invitation=tok_123"');
      expect(mail!.from).toBe('no-reply@schoolgate.local');
      expect(mail!.messageId).toBe(`<${ids[language]}@schoolgate.local>`);

      const stored = await eventually(async () => {
        const r = await row(ids[language]!);
        expect(r.status).toBe('sent');
        return r;
      });
      expect(stored).toMatchObject({ attempts: 1, last_error: null, subject: expected[language].subject });
      expect(stored.sent_at).toEqual(h.clock.now());
      expect(mail!.text.trim()).toBe(stored.body_text.trim());
    }
  });

  it('a change that rolls back leaves neither a mail nor a delivery job', async () => {
    let rolledBackId = '';
    await expect(
      h.ctx.db.transaction().execute(async (trx) => {
        rolledBackId = await h.ctx.mail.enqueue(trx, invitation('rolled-back@school.example', 'en'));
        throw new Error('the change failed after queuing its mail');
      }),
    ).rejects.toThrow('the change failed');
    // A mail committed afterwards is delivered, and the rolled-back one never is.
    const afterId = await enqueue(invitation('after-rollback@school.example', 'en'));
    await eventually(() => expect(receivedBy('after-rollback@school.example')).toHaveLength(1));
    await eventually(async () => expect((await row(afterId)).status).toBe('sent'));

    expect(rolledBackId).not.toBe('');
    expect(await h.ctx.db.selectFrom('mail_outbox').select('id').where('id', '=', rolledBackId).executeTakeFirst()).toBeUndefined();
    expect(await jobsOf(h).jobsWithData(MAIL_DELIVERY_JOB, { id: rolledBackId })).toEqual([]);
    expect(await jobsOf(h).jobsWithData(MAIL_DELIVERY_JOB, { id: afterId })).toHaveLength(1);
    expect(receivedBy('rolled-back@school.example')).toEqual([]);
  });

  it('retries a refused mail, then marks it failed with the SMTP error', async () => {
    await jobsOf(h).setQueuePolicy(MAIL_DELIVERY_JOB, { retryLimit: 2, retryDelay: 1, retryBackoff: false });
    const address = 'full-mailbox@school.example';
    peer.refuse.add(address);
    const id = await enqueue(invitation(address, 'nl'));

    const failed = await eventually(async () => {
      const r = await row(id);
      expect(r.status).toBe('failed');
      return r;
    });
    // First attempt plus two retries, each one a real SMTP conversation that was refused.
    expect(failed.attempts).toBe(3);
    expect(peer.refused.filter((a) => a === address)).toHaveLength(3);
    expect(failed.last_error).toContain('Mailbox is full');
    expect(failed.sent_at).toBeNull();
    expect(receivedBy(address)).toEqual([]);
    const [job] = await jobsOf(h).jobsWithData(MAIL_DELIVERY_JOB, { id });
    await eventually(async () => expect((await jobsOf(h).job(MAIL_DELIVERY_JOB, job!.id))?.state).toBe('failed'));
    expect(job!.retryLimit).toBe(2);

    // A failed mail is final: running its job again does not try once more.
    peer.refuse.delete(address);
    await expect(deliverMail(h.ctx, id, { finalAttempt: false })).resolves.toBe('not_pending');
    expect(receivedBy(address)).toEqual([]);
  });

  it('sends a mail once even when its job runs again (a retry after a crash, a duplicate)', async () => {
    const address = 'once@school.example';
    const id = await enqueue(invitation(address, 'fr'));
    await eventually(async () => expect((await row(id)).status).toBe('sent'));
    expect(receivedBy(address)).toHaveLength(1);

    // The same delivery job queued again runs to completion without sending.
    const rerun = await h.ctx.db.transaction().execute((trx) => h.ctx.jobs.sendInTransaction(trx, MAIL_DELIVERY_JOB, { id }));
    await eventually(async () => expect((await jobsOf(h).job(MAIL_DELIVERY_JOB, rerun!))?.state).toBe('completed'));
    await expect(deliverMail(h.ctx, id, { finalAttempt: true })).resolves.toBe('not_pending');

    expect(receivedBy(address)).toHaveLength(1);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 1 });
  });
});
