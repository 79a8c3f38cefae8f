/**
 * The partner portal's Webhooks tab in Chromium against the real server and its delivery workers: the
 * partner configures an endpoint (a real receiver on 127.0.0.1), copies the signing secret shown once,
 * an event of the app arrives signed (verified with the receiver's own Standard Webhooks code), the tab
 * lists the message with its attempts, and "Send again" delivers it once more under a new message id.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { insertApp, insertClient, insertPartner, insertUser } from '../../src/seed/builders.ts';
import { startReceiver, verifyStandardWebhook, type Receiver } from '../support/webhook-receiver.ts';
import { signIn, startE2E, type E2E } from './support.ts';

const PASSWORD = 'webhooks in the browser';
const eventually = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 30_000, interval: 100 });

describe('the Webhooks tab, in Chromium', () => {
  let e2e: E2E;
  let receiver: Receiver;
  let appId = '';

  beforeAll(async () => {
    e2e = await startE2E();
    receiver = await startReceiver();
    const { ctx } = e2e.harness;
    const pia = await insertUser(ctx.db, { email: 'pia@hooks.example', password: PASSWORD, displayName: 'Pia Partner', kind: 'partner' });
    await insertUser(ctx.db, { email: 'olga@schoolgate.test', password: PASSWORD, displayName: 'Olga Operator', kind: 'operator' });
    const partnerId = await insertPartner(ctx.db, { name: 'Hooks AB', contactEmail: 'pia@hooks.example', memberUserIds: [pia] });
    appId = await insertApp(ctx.db, {
      partnerId,
      name: 'Hooked Planner',
      status: 'approved',
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Planning' }],
    });
    await insertClient(ctx.db, { appId, name: 'Hooked Planner' });
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') console.error('screenshots:', await e2e.snapshot(task.name));
  });
  afterAll(async () => {
    await e2e?.stop();
    await receiver?.close();
  });

  it('configures an endpoint, shows a signed delivery with its attempts, and sends it again', async () => {
    const partner = await e2e.person();
    const { page } = partner;
    await partner.goto(`/partner/apps/${appId}?tab=webhooks`);
    await page.waitForURL('**/sign-in?next=*');
    await signIn(page, 'pia@hooks.example', PASSWORD);
    await page.getByTestId('webhook-target').waitFor();
    await page.getByText('No messages yet.').waitFor();

    await page.getByTestId('webhook-target').fill(`${receiver.url}/events`);
    await page.getByTestId('webhook-save').click();
    const secret = (await page.getByTestId('webhook-secret').innerText()).trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByTestId('webhook-secret').waitFor({ state: 'detached' });

    // An event of the app: the operator suspends it (through the API; the partner watches the tab).
    const operator = e2e.harness.client();
    expect((await operator.login('olga@schoolgate.test', PASSWORD)).status).toBe(200);
    expect((await operator.post(`/api/v1/operator/apps/${appId}/suspend`, { reason: 'Checking the purpose' })).status).toBe(200);
    const first = await eventually(() => {
      const got = receiver.on('/events');
      expect(got).toHaveLength(1);
      return got[0]!;
    });
    expect(verifyStandardWebhook(secret, first.headers, first.body)).toBe(true);
    // A secret the partner never saw does not verify it: the check above is not vacuous.
    expect(verifyStandardWebhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, first.headers, first.body)).toBe(false);
    expect(JSON.parse(first.body)).toMatchObject({ type: 'app.status_changed', data: { appId, to: 'suspended' } });
    const firstId = first.headers['webhook-id'] as string;

    // The tab lists the message as delivered, under the id the receiver got, with its one attempt.
    const table = page.getByTestId('webhook-deliveries');
    await eventually(async () => {
      await page.reload();
      await table.getByText(firstId).waitFor({ timeout: 2_000 });
      await table.locator('.ant-tag', { hasText: 'Delivered' }).waitFor({ timeout: 2_000 });
    });
    const row = table.locator('tr', { hasText: firstId });
    await row.getByText('app.status_changed').waitFor();
    await row.locator('.ant-table-row-expand-icon').click();
    const attempts = table.locator('.ant-table-expanded-row');
    await attempts.getByRole('columnheader', { name: 'HTTP status' }).waitFor();
    await attempts.getByRole('cell', { name: '200', exact: true }).waitFor();
    // The secret is shown once: after a reload only the endpoint is left.
    expect(await page.getByTestId('webhook-secret').count()).toBe(0);
    await expect.poll(() => page.getByTestId('webhook-target').inputValue()).toBe(`${receiver.url}/events`);

    // Send again: the same body, a new message id, signed with the same secret; the tab shows both.
    await row.getByTestId('webhook-replay').click();
    await page.getByText('Queued to be sent again.').waitFor();
    const second = await eventually(() => {
      const got = receiver.on('/events');
      expect(got).toHaveLength(2);
      return got[1]!;
    });
    const secondId = second.headers['webhook-id'] as string;
    expect(secondId).not.toBe(firstId);
    expect(second.body).toBe(first.body);
    expect(verifyStandardWebhook(secret, second.headers, second.body)).toBe(true);
    await eventually(async () => {
      await page.reload();
      await table.getByText(secondId).waitFor({ timeout: 2_000 });
      expect(await table.locator('.ant-tag', { hasText: 'Delivered' }).count()).toBe(2);
    });
    await partner.expectNoMissingKeys();
  });
});
