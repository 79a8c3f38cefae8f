/**
 * Write grants reach the partner (issue 17, point 4): when a school admin grants an API read-write, or
 * moves a kept grant between read and read-write, the partner's `grants_changed` mail — delivered over
 * SMTP to a local peer, in the contact's language — names the level of each grant and the change of
 * level as a change, and the signed `grants.changed` webhook carries the same facts, verified at a real
 * receiver with the test's own Standard Webhooks code. The expected texts and bodies are written here
 * by hand, from the issue, not derived from the templates.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHarness, type Harness, type TestClient } from '../support/harness.ts';
import { stopHarness } from '../jobs/support.ts';
import { startSmtpPeer } from './smtp-peer.ts';
import { startReceiver, verifyStandardWebhook, type Receiver } from '../support/webhook-receiver.ts';
import { insertAdminRight, insertApp, insertClient, insertInstitution, insertPartner, insertUser } from '../../src/seed/builders.ts';
import type { Language } from '../../src/db/schema.ts';

const PASSWORD = 'grant level test password';
let peer: Awaited<ReturnType<typeof startSmtpPeer>>;
let receiver: Receiver;
let h: Harness;
let admin: TestClient;
const apps: Record<Language, string> = { en: '', nl: '', fr: '', sv: '' };
let secret = '';

/** Waits for something the workers do in the background; fails after 20 s. */
const eventually = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 20_000, interval: 50 });
const mailsTo = (address: string) => peer.received.filter((m) => m.to.includes(address));
/** Waits until `address` has received exactly `n` mails, and returns them in the order they came. */
const delivered = (address: string, n: number) =>
  eventually(() => {
    const got = mailsTo(address);
    expect(got).toHaveLength(n);
    return got;
  });

beforeAll(async () => {
  peer = await startSmtpPeer();
  receiver = await startReceiver();
  h = await startHarness({ SMTP_URL: peer.url });
  const db = h.ctx.db;
  await insertInstitution(db, { number: '001057', name: 'Hof van Nassau' });
  await insertInstitution(db, { number: '001073', name: 'Klim Op' });
  const anna = await insertUser(db, {
    email: 'anna@levels.example',
    password: PASSWORD,
    displayName: 'Anna Admin',
    kind: 'school',
    userManagementAccess: true,
  });
  // The attendance API's rights (catalog: iBasis, iAfwezigheden) at both schools.
  for (const right of ['iBasis', 'iAfwezigheden'])
    for (const institutionNumber of ['001057', '001073']) await insertAdminRight(db, { userId: anna, right, institutionNumber, schoolYear: 2026 });
  // One partner contact per language: the mail speaks the contact's language.
  for (const [language, who] of [
    ['nl', 'pieter'],
    ['en', 'paul'],
    ['fr', 'pauline'],
  ] as const) {
    const email = `${who}@levels.example`;
    const user = await insertUser(db, { email, password: PASSWORD, displayName: who, kind: 'partner', language });
    const partnerId = await insertPartner(db, { name: `Partner ${who}`, contactEmail: email, memberUserIds: [user] });
    apps[language] = await insertApp(db, {
      partnerId,
      name: `Aanwezig ${language}`,
      status: 'approved',
      contactEmail: email,
      apis: [{ apiCode: 'attendance', dataCategories: ['identity'], purpose: 'Register attendance per lesson', accessLevel: 'read_write' }],
    });
    await insertClient(db, { appId: apps[language], name: `Aanwezig ${language}` });
  }
  admin = h.client();
  expect((await admin.login('anna@levels.example', PASSWORD)).status).toBe(200);
  // The Dutch partner's app has a webhook endpoint.
  const pieter = h.client();
  expect((await pieter.login('pieter@levels.example', PASSWORD)).status).toBe(200);
  const hook = await pieter.put(`/api/v1/partner/apps/${apps.nl}/webhook`, { target: `${receiver.url}/levels` });
  expect(hook.status, JSON.stringify(hook.body)).toBe(200);
  secret = hook.body.webhook.secret;
}, 120_000);

afterAll(async () => {
  await stopHarness(h);
  await peer?.close();
  await receiver?.close();
});

const grant = async (language: Language, body: object) => {
  const res = await admin.put(`/api/v1/school/apps/${apps[language]}/api-access/attendance`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};

describe('a change of grant level, told to the partner', { timeout: 60_000 }, () => {
  it('names the level of each granted API and a change of level, in Dutch, by mail over SMTP and by signed webhook', async () => {
    await grant('nl', { institutionNumbers: ['001057'], accessLevel: 'read_write', reason: 'Proef' });
    const first = (await delivered('pieter@levels.example', 1))[0]!;
    expect(first.subject).toBe('Schoolgate – Datatoegang van Aanwezig nl gewijzigd (Aanwezigheden)');
    expect(first.text).toContain('Toegang verleend voor:\n- Aanwezigheden bij 001057 - Hof van Nassau: lezen en schrijven');
    expect(first.text).not.toContain('Toegangsniveau gewijzigd');

    // Kept at 001057 but lowered to read, and 001073 added read-only: the lowering is a change of its own.
    await grant('nl', { institutionNumbers: ['001057', '001073'], accessLevel: 'read', reason: 'Alleen lezen' });
    const second = (await delivered('pieter@levels.example', 2))[1]!;
    expect(second.text).toContain('Toegang verleend voor:\n- Aanwezigheden bij 001073 - Klim Op: alleen lezen');
    expect(second.text).toContain('Toegangsniveau gewijzigd voor:\n- Aanwezigheden bij 001057 - Hof van Nassau: van lezen en schrijven naar alleen lezen');
    expect(second.text).toContain('Een verlaagd niveau geldt meteen');
    expect(second.html).toContain('<li>Aanwezigheden bij 001057 - Hof van Nassau: van lezen en schrijven naar alleen lezen</li>');

    // A change of level alone is a change: mailed, not silently stored.
    await grant('nl', { institutionNumbers: ['001057', '001073'], accessLevel: 'read_write', reason: 'Toch schrijven' });
    const third = (await delivered('pieter@levels.example', 3))[2]!;
    expect(third.text).not.toContain('Toegang verleend voor');
    expect(third.text).toContain(
      'Toegangsniveau gewijzigd voor:\n- Aanwezigheden bij 001057 - Hof van Nassau: van alleen lezen naar lezen en schrijven\n- Aanwezigheden bij 001073 - Klim Op: van alleen lezen naar lezen en schrijven',
    );
    expect(third.text).not.toContain('Een verlaagd niveau');

    // The same three changes as signed webhooks, in order, each verified independently.
    const hooks = await eventually(() => {
      const got = receiver.on('/levels');
      expect(got).toHaveLength(3);
      return got;
    });
    for (const r of hooks) expect(verifyStandardWebhook(secret, r.headers, r.body)).toBe(true);
    const data = hooks
      .map((r) => JSON.parse(r.body))
      .map((b: { type: string; data: Record<string, unknown> }) => {
        expect(b.type).toBe('grants.changed');
        const { at, ...rest } = b.data;
        expect(typeof at).toBe('string');
        return rest;
      });
    const nassau = { apiCode: 'attendance', institutionNumber: '001057', accessGroupId: null };
    const klimop = { apiCode: 'attendance', institutionNumber: '001073', accessGroupId: null };
    expect(data).toEqual([
      { appId: apps.nl, change: 'replaced', added: [{ ...nassau, accessLevel: 'read_write' }], removed: [], levelChanged: [], reason: 'Proef' },
      {
        appId: apps.nl,
        change: 'replaced',
        added: [{ ...klimop, accessLevel: 'read' }],
        removed: [],
        levelChanged: [{ ...nassau, from: 'read_write', accessLevel: 'read' }],
        reason: 'Alleen lezen',
      },
      {
        appId: apps.nl,
        change: 'replaced',
        added: [],
        removed: [],
        levelChanged: [
          { ...nassau, from: 'read', accessLevel: 'read_write' },
          { ...klimop, from: 'read', accessLevel: 'read_write' },
        ],
        reason: 'Toch schrijven',
      },
    ]);

    // Switched off and on by the school: the webhook names each grant with its level.
    expect((await admin.put(`/api/v1/school/apps/${apps.nl}/switch`, { on: false, reason: 'Pauze' })).status).toBe(200);
    expect((await admin.put(`/api/v1/school/apps/${apps.nl}/switch`, { on: true })).status).toBe(200);
    const switched = await eventually(() => {
      const got = receiver.on('/levels');
      expect(got).toHaveLength(5);
      return got.slice(3);
    });
    for (const r of switched) expect(verifyStandardWebhook(secret, r.headers, r.body)).toBe(true);
    const both = [
      { ...nassau, accessLevel: 'read_write' },
      { ...klimop, accessLevel: 'read_write' },
    ];
    expect(switched.map((r) => JSON.parse(r.body).data)).toMatchObject([
      { change: 'suspended', grants: both },
      { change: 'restored', grants: both },
    ]);
  });

  it('says it in English and French too, and removing a grant names what it removes', async () => {
    // Each mail is awaited before the next change: the mail queue may deliver two queued mails in
    // either order (it did on the PostgreSQL server).
    await grant('en', { institutionNumbers: ['001057'], reason: 'Pilot' });
    await delivered('paul@levels.example', 1);
    await grant('en', { institutionNumbers: ['001057'], accessLevel: 'read_write', reason: 'Writes too' });
    const en = await delivered('paul@levels.example', 2);
    expect(en[0]!.subject).toBe('Schoolgate — Data access of Aanwezig en changed (Attendance)');
    expect(en[0]!.text).toContain('Access granted for:\n- Attendance at 001057 - Hof van Nassau: read only');
    expect(en[1]!.text).toContain('Access level changed for:\n- Attendance at 001057 - Hof van Nassau: from read only to read and write');

    await grant('fr', { institutionNumbers: ['001073'], accessLevel: 'read_write' });
    await delivered('pauline@levels.example', 1);
    await grant('fr', { institutionNumbers: [], confirmRemoval: true });
    const fr = await delivered('pauline@levels.example', 2);
    expect(fr[0]!.text).toContain('Accès accordé pour :\n- Présences à 001073 - Klim Op : lecture et écriture');
    expect(fr[1]!.text).toContain('Accès retiré pour :\n- Présences à 001073 - Klim Op');
    expect(fr[1]!.text).not.toContain("Niveau d'accès modifié");
  });
});
