import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Divider, Empty, Form, Input, Space, Typography } from 'antd';
import type { TFunction } from 'i18next';
import { useSearchParams } from 'react-router';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiProblem, qs } from '../../api/client.ts';
import { ErrorAlert, Loading } from '../../components/common.tsx';
import { formatDateTime, formatNumber, known } from '../../lib/format.ts';
import { problemMessage } from '../../lib/problem.ts';
import { readerLanguage } from '../../lib/purposes.ts';
import { callJson } from '../signin/http.ts';
import { PurposeText } from '../../components/PurposeText.tsx';
import { SchoolPicker, schoolLine, type PickerSchool } from '../../components/SchoolPicker.tsx';
import type { MyApps, MyConsent, MySession } from '../signin/types.ts';
import { DisclosureReportView, PeriodInputs, type DisclosureReport } from '../disclosures/ReportView.tsx';

const SESSION_KEY = ['my', 'session'] as const;

/** The end user's own session on Schoolgate, or null when signed out. */
function useMySession() {
  return useQuery({
    queryKey: SESSION_KEY,
    queryFn: async (): Promise<MySession | null> => {
      try {
        return await callJson<MySession>('GET', '/api/v1/my/session');
      } catch (e) {
        if (e instanceof ApiProblem && (e.status === 401 || e.status === 404)) return null;
        throw e;
      }
    },
    retry: false,
  });
}

/**
 * `/my/apps` — "My connected apps": every app the person allowed, what it may read and why, when,
 * what it has read, and Withdraw. Signing in here uses the same school credentials as in an app.
 */
export function MyAppsPage() {
  const { t } = useTranslation();
  const session = useMySession();
  if (session.isLoading) return <Loading />;
  return (
    <>
      <h1 style={{ fontSize: 22, marginTop: 0 }}>{t('my.title')}</h1>
      <ErrorAlert error={session.error} />
      {session.data ? <ConnectedApps session={session.data} /> : !session.error && <MySignIn />}
    </>
  );
}

/** A school of the "My connected apps" picker, with the ways its people sign in (GET /api/v1/my/schools). */
interface MySchool extends PickerSchool {
  password: boolean;
  upstream: { name: string; url: string } | null;
}

/** An error of the end user's sign-in in words for a student or parent (their own texts first). */
function myError(t: TFunction, error: unknown): string | null {
  if (!error) return null;
  if (error instanceof ApiProblem) {
    for (const key of [`people.errors.${error.code}`, `signin.errors.${error.code}`]) if (known(key, '') !== '') return t(key);
  }
  return problemMessage(t, error);
}

function MyError({ error, code }: { error?: unknown; code?: string | null }) {
  const { t } = useTranslation();
  const text = code ? myError(t, new ApiProblem({ status: 400, code })) : myError(t, error);
  if (!text) return null;
  return (
    <Alert
      type="error"
      role="alert"
      showIcon
      title={text}
      data-testid="error"
      data-code={code ?? (error instanceof ApiProblem ? error.code : undefined)}
      style={{ margin: '12px 0' }}
    />
  );
}

/**
 * Signing in to "My connected apps": first the school (only schools whose people can sign in are
 * listed: the server's rule), then that school's way in — its board's own sign-in, a Schoolgate
 * password, or both.
 */
function MySignIn() {
  const { t } = useTranslation();
  const [school, setSchool] = useState<MySchool | null>(null);
  const [params] = useSearchParams();
  // Set by the school board's sign-in when it signed nobody in: upstream_denied, not_at_school …
  const upstreamError = params.get('error');
  if (!school) {
    return (
      <Card data-testid="my-signin" data-step="school">
        <p>{t('my.signInIntro')}</p>
        <h2 style={{ fontSize: 18, marginTop: 0 }}>{t('people.my.schoolTitle')}</h2>
        <MyError code={upstreamError} />
        <SchoolPicker<MySchool>
          queryKey={['my', 'schools']}
          search={(q) => callJson<{ items: MySchool[] }>('GET', `/api/v1/my/schools${qs({ q })}`)}
          onChoose={setSchool}
          renderError={(e) => <MyError error={e} />}
        />
      </Card>
    );
  }
  return <MyCredentials school={school} onChangeSchool={() => setSchool(null)} />;
}

/** The chosen school's way in: its board's sign-in and/or a password form. */
function MyCredentials({ school, onChangeSchool }: { school: MySchool; onChangeSchool: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const login = useMutation({
    mutationFn: (body: { login: string; password: string }) => callJson<unknown>('POST', '/api/v1/my/session', { ...body, institution: school.number }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['my'] }),
  });
  return (
    <Card data-testid="my-signin" data-step="credentials">
      <div
        style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: 8, flexWrap: 'wrap', marginBottom: 16 }}
        data-testid="chosen-school"
      >
        <div>
          <Typography.Text type="secondary">{t('signin.login.school')}</Typography.Text>
          <div style={{ fontWeight: 600 }}>{school.name}</div>
          <Typography.Text type="secondary">{schoolLine(school)}</Typography.Text>
        </div>
        <Button onClick={onChangeSchool}>{t('signin.login.changeSchool')}</Button>
      </div>
      {school.upstream && (
        <>
          <Button type={school.password ? 'default' : 'primary'} size="large" block href={school.upstream.url} data-testid="upstream-signin">
            {t('signin.login.withUpstream', { name: school.upstream.name })}
          </Button>
          {school.password && <Divider plain>{t('common.or')}</Divider>}
        </>
      )}
      {school.password && (
        <Form layout="vertical" requiredMark={false} onFinish={(v: { login: string; password: string }) => login.mutate(v)}>
          <Form.Item
            label={t('signin.login.login')}
            name="login"
            extra={t('signin.login.loginHint')}
            rules={[{ required: true, message: t('validation.required') }]}
          >
            <Input autoComplete="username" autoCapitalize="none" spellCheck={false} size="large" autoFocus />
          </Form.Item>
          <Form.Item label={t('signin.login.password')} name="password" rules={[{ required: true, message: t('validation.required') }]}>
            <Input.Password autoComplete="current-password" size="large" />
          </Form.Item>
          <MyError error={login.error} />
          <Button type="primary" htmlType="submit" size="large" block loading={login.isPending} style={{ marginTop: 16 }}>
            {t('signin.login.submit')}
          </Button>
        </Form>
      )}
    </Card>
  );
}

function ConnectedApps({ session }: { session: MySession }) {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  // The server puts purposes and category texts in the page's language (else another given one).
  const language = readerLanguage(i18n.language);
  const apps = useQuery({
    queryKey: ['my', 'apps', language],
    queryFn: () => callJson<MyApps>('GET', `/api/v1/my/apps${qs({ language })}`),
    placeholderData: (previous) => previous,
  });
  const signOut = useMutation({
    mutationFn: () => callJson<unknown>('DELETE', '/api/v1/my/session', undefined, session.csrfToken),
    onSettled: () => {
      qc.removeQueries({ queryKey: ['my', 'apps'] });
      qc.removeQueries({ queryKey: ['my', 'disclosures'] });
      qc.setQueryData(SESSION_KEY, null);
    },
  });
  const items = apps.data?.items ?? [];
  return (
    <>
      <div style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: 8, flexWrap: 'wrap', marginBottom: 16 }}>
        <Typography.Text data-testid="my-signed-in-as">{t('my.signedInAs', { name: session.person.displayName })}</Typography.Text>
        <Button onClick={() => signOut.mutate()} loading={signOut.isPending}>
          {t('nav.signOut')}
        </Button>
      </div>
      <p>{t('my.intro')}</p>
      <ErrorAlert error={apps.error} />
      {apps.isLoading && <Loading />}
      {apps.isSuccess && items.length === 0 && <Empty description={t('my.empty')} />}
      <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="my-apps">
        {items.map((c) => (
          <ConsentCard key={c.consentId} consent={c} csrfToken={session.csrfToken} />
        ))}
      </Space>
      <MyDisclosures />
    </>
  );
}

/**
 * Which apps received the person's data (GDPR Art. 15(1)(c)): also apps read under the school's
 * grant without the person ever signing in to them, so not only the connected apps above.
 */
function MyDisclosures() {
  const { t } = useTranslation();
  const [period, setPeriod] = useState({ from: '', to: '' });
  const report = useQuery({
    queryKey: ['my', 'disclosures', period.from, period.to],
    queryFn: () => callJson<DisclosureReport>('GET', `/api/v1/my/disclosures${qs(period)}`),
  });
  return (
    <section aria-labelledby="my-disclosures" data-testid="my-disclosures" style={{ marginTop: 32 }}>
      <h2 id="my-disclosures" style={{ fontSize: 19 }}>
        {t('disclosures.myTitle')}
      </h2>
      <p>{t('disclosures.myIntro')}</p>
      <PeriodInputs from={period.from || report.data?.from || ''} to={period.to || report.data?.to || ''} onChange={setPeriod} />
      <ErrorAlert error={report.error} />
      {report.isLoading && <Loading />}
      {report.data && <DisclosureReportView report={report.data} audience="end_user" />}
    </section>
  );
}

/** One label and value of a connected app (a definition list reads well on a phone and to screen readers). */
function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt style={{ color: '#595959', marginTop: 8 }}>{label}</dt>
      <dd style={{ margin: 0 }}>{children}</dd>
    </>
  );
}

function ConsentCard({ consent: c, csrfToken }: { consent: MyConsent; csrfToken: string }) {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const qc = useQueryClient();
  const withdraw = useMutation({
    mutationFn: () => callJson<unknown>('POST', `/api/v1/my/apps/${encodeURIComponent(c.consentId)}/withdraw`, {}, csrfToken),
    onSuccess: async () => {
      void message.success(t('my.withdrawn', { app: c.app.name }));
      await qc.invalidateQueries({ queryKey: ['my', 'apps'] });
    },
  });
  const headingId = `consent-${c.consentId}`;
  const scopes = c.scopes.filter((s) => s !== 'openid' && known(`signin.scopes.${s}`, '') !== '');
  function confirmWithdraw() {
    modal.confirm({
      title: t('my.withdrawTitle', { app: c.app.name }),
      content: t('my.withdrawBody', { app: c.app.name, partner: c.app.partnerName }),
      okText: t('my.withdraw'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: () => withdraw.mutateAsync(),
    });
  }
  return (
    <Card
      data-testid="my-app"
      data-consent-id={c.consentId}
      title={
        <h2 id={headingId} style={{ fontSize: 17, margin: 0, whiteSpace: 'normal' }}>
          {c.app.name}
        </h2>
      }
      aria-labelledby={headingId}
      role="region"
    >
      <dl style={{ margin: 0 }}>
        <Fact label={t('my.partner')}>{c.app.partnerName}</Fact>
        <Fact label={t('my.school')}>
          {c.institution.name} ({c.institution.number}) · {known(`my.roles.${c.role}`, c.role)}
        </Fact>
        <Fact label={t('my.consentedAt')}>
          {formatDateTime(c.consentedAt)}
          {c.updatedAt && c.updatedAt !== c.consentedAt && <> · {t('my.updatedAt', { date: formatDateTime(c.updatedAt) })}</>}
        </Fact>
      </dl>
      <h3 style={{ fontSize: 15, marginTop: 12 }}>{t('my.mayRead')}</h3>
      <ul style={{ paddingInlineStart: 20 }}>
        {scopes.map((s) => (
          <li key={s}>{t(`signin.scopes.${s}`)}</li>
        ))}
        {c.categories.map((k) => (
          <li key={`${k.apiCode}:${k.category}`} data-testid="my-app-category" data-category={k.category}>
            <strong>{k.name || known(`categories.${k.category}`, k.category)}</strong>
            {k.description && <div>{k.description}</div>}
            <div data-testid="my-app-purpose">
              <Typography.Text type="secondary">{t('common.label', { text: t('signin.consent.purpose') })} </Typography.Text>
              <PurposeText text={k.purpose} language={k.purposeLanguage} />
            </div>
          </li>
        ))}
      </ul>
      <h3 style={{ fontSize: 15 }}>{t('my.reads')}</h3>
      <p data-testid="my-reads-total">
        {c.reads.total === 0 ? t('my.noReads') : t('my.readsSummary', { total: formatNumber(c.reads.total), last: formatDateTime(c.reads.lastAt) })}
      </p>
      {c.reads.recent.length > 0 && (
        <ul style={{ paddingInlineStart: 20 }} aria-label={t('my.recentReads')}>
          {c.reads.recent.map((r, i) => (
            <li key={`${r.at}:${i}`}>
              {formatDateTime(r.at)} · <code>{r.endpoint}</code> · {t('my.records', { n: formatNumber(r.records) })}
            </li>
          ))}
        </ul>
      )}
      <ErrorAlert error={withdraw.error} />
      <Button danger block onClick={confirmWithdraw} loading={withdraw.isPending} style={{ marginTop: 8 }}>
        {t('my.withdraw')}
      </Button>
    </Card>
  );
}
