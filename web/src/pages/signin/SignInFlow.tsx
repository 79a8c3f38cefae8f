import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Divider, Form, Input, Result, Space, Tag, Typography } from 'antd';
import type { TFunction } from 'i18next';
import { useEffect, useId, useRef } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { useParams, useSearchParams } from 'react-router';
import { ApiProblem } from '../../api/client.ts';
import { Loading } from '../../components/common.tsx';
import { SchoolPicker, schoolLine } from '../../components/SchoolPicker.tsx';
import { known } from '../../lib/format.ts';
import { problemMessage } from '../../lib/problem.ts';
import { PurposeText } from '../../components/PurposeText.tsx';
import { callJson } from './http.ts';
import type { ConsentCategory, SigninInstitution, SigninState } from './types.ts';

const base = (uid: string) => `/signin/${encodeURIComponent(uid)}`;
/** `?language=` for the steps that answer with the state: the server puts its texts (purposes, categories) in the reader's language. */
const inLanguage = (language: string) => `?${new URLSearchParams({ language })}`;

/**
 * An error of a sign-in step in words for a student or parent: the sign-in screens have their own
 * texts for the codes they expect (the back-office texts speak of e-mail addresses and partners),
 * other codes get the app's usual translation.
 */
function signinError(t: TFunction, error: unknown, vars: Record<string, string> = {}): string {
  if (error instanceof ApiProblem) {
    const key = `signin.errors.${error.code}`;
    if (known(key, '') !== '') return t(key, vars);
  }
  return problemMessage(t, error);
}

function StepError({ error, vars }: { error: unknown; vars?: Record<string, string> }) {
  const { t } = useTranslation();
  if (!error) return null;
  return (
    <Alert
      type="error"
      role="alert"
      showIcon
      title={signinError(t, error, vars)}
      data-testid="error"
      data-code={error instanceof ApiProblem ? error.code : undefined}
      style={{ marginTop: 12 }}
    />
  );
}

/**
 * `/signin/:uid` — where oidc-provider sends a person who clicked "Log in with Schoolgate" in a
 * partner app: choose the school, sign in, consent. The server holds the state of the interaction;
 * every step answers with the new state, so a reload continues where the person was.
 */
export function SignInFlowPage() {
  const { t, i18n } = useTranslation();
  const { uid = '' } = useParams();
  const qc = useQueryClient();
  const [params] = useSearchParams();
  const language = i18n.language;
  // Set by the upstream (school board) sign-in when it signed nobody in: upstream_denied, upstream_failed …
  const upstreamError = params.get('error');
  const state = useQuery({
    queryKey: ['signin', uid, language],
    queryFn: () => callJson<SigninState>('GET', `${base(uid)}/state${inLanguage(language)}`),
    retry: false,
    placeholderData: (previous) => previous,
  });
  const setState = (s: SigninState) => qc.setQueryData(['signin', uid, language], s);
  const done = state.data?.step === 'done' ? state.data.redirectTo : undefined;
  // A finished sign-in (a live consent covered the request, or a reload after Allow) goes back to the app.
  useEffect(() => {
    if (done) window.location.assign(done);
  }, [done]);

  if (state.isLoading || done) return <Loading />;
  if (state.error || !state.data) {
    // Expired or finished interactions, and unknown uids: only the app can start a new one.
    return (
      <Result
        status="warning"
        title={<h1 style={{ fontSize: 22, margin: 0 }}>{t('signin.expiredTitle')}</h1>}
        subTitle={t('signin.expiredBody')}
        data-testid="signin-expired"
        data-code={state.error instanceof ApiProblem ? state.error.code : undefined}
      />
    );
  }
  const s = state.data;
  return (
    <div data-testid={`signin-step-${s.step}`}>
      <AppHeader state={s} />
      {upstreamError && s.step === 'login' && (
        <Alert
          type="error"
          role="alert"
          showIcon
          title={known(`signin.errors.${upstreamError}`, t('signin.errors.upstream_failed'))}
          data-testid="upstream-error"
          data-code={upstreamError}
          style={{ marginBottom: 16 }}
        />
      )}
      {s.step === 'school' && <SchoolStep uid={uid} state={s} onState={setState} />}
      {s.step === 'login' && <LoginStep uid={uid} state={s} onState={setState} />}
      {s.step === 'consent' && <ConsentStep uid={uid} state={s} />}
    </div>
  );
}

/** Which app asks, and whose it is: the first thing a person must see before typing a password. */
function AppHeader({ state }: { state: SigninState }) {
  const { t } = useTranslation();
  return (
    <Card size="small" style={{ marginBottom: 16, background: '#f6f8fc' }} data-testid="signin-app">
      <Typography.Text>{t('signin.appAsks')}</Typography.Text>
      <div style={{ fontSize: 18, fontWeight: 600 }}>{state.app.name}</div>
      <Typography.Text type="secondary">{t('signin.byPartner', { partner: state.app.partnerName })}</Typography.Text>
    </Card>
  );
}

/** Step 1: the school. Only schools that granted the app access are listed (the server decides). */
function SchoolStep({ uid, state, onState }: { uid: string; state: SigninState; onState: (s: SigninState) => void }) {
  const { t, i18n } = useTranslation();
  const headingId = useId();
  const choose = useMutation({
    mutationFn: (institution: string) => callJson<SigninState>('POST', `${base(uid)}/school${inLanguage(i18n.language)}`, { institution }),
    onSuccess: onState,
  });
  return (
    <>
      <h1 style={{ fontSize: 22, marginTop: 0 }}>{t('signin.school.title')}</h1>
      <SchoolPicker<SigninInstitution>
        queryKey={['signin', uid, 'institutions']}
        search={(q) => callJson<{ items: SigninInstitution[] }>('GET', `${base(uid)}/institutions?${new URLSearchParams({ q })}`)}
        onChoose={(i) => choose.mutate(i.number)}
        choosing={choose.isPending ? choose.variables : undefined}
        error={choose.error}
        renderError={(e) => <StepError error={e} />}
      />
      <section aria-labelledby={`${headingId}-missing`} style={{ marginTop: 24 }} data-testid="school-not-listed">
        <h2 id={`${headingId}-missing`} style={{ fontSize: 16 }}>
          {t('signin.school.notListedTitle')}
        </h2>
        <p>{t('signin.school.notListedBody', { app: state.app.name })}</p>
        <p>{t('signin.school.notListedAsk', { app: state.app.name, partner: state.app.partnerName })}</p>
      </section>
    </>
  );
}

/** The chosen school with a way back to the picker. */
function ChosenSchool({ uid, state, onState }: { uid: string; state: SigninState; onState: (s: SigninState) => void }) {
  const { t, i18n } = useTranslation();
  const change = useMutation({
    mutationFn: () => callJson<SigninState>('POST', `${base(uid)}/school/change${inLanguage(i18n.language)}`, {}),
    onSuccess: onState,
  });
  if (!state.institution) return null;
  return (
    <div
      style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: 8, flexWrap: 'wrap', marginBottom: 16 }}
      data-testid="chosen-school"
    >
      <div>
        <Typography.Text type="secondary">{t('signin.login.school')}</Typography.Text>
        <div style={{ fontWeight: 600 }}>{state.institution.name}</div>
        <Typography.Text type="secondary">{schoolLine(state.institution)}</Typography.Text>
      </div>
      <Button onClick={() => change.mutate()} loading={change.isPending}>
        {t('signin.login.changeSchool')}
      </Button>
      <div style={{ flexBasis: '100%' }}>
        <StepError error={change.error} />
      </div>
    </div>
  );
}

/** Step 2: the person signs in with the school's credentials (password, or the school board's own sign-in). */
function LoginStep({ uid, state, onState }: { uid: string; state: SigninState; onState: (s: SigninState) => void }) {
  const { t, i18n } = useTranslation();
  const login = useMutation({
    mutationFn: (body: { login: string; password: string }) => callJson<SigninState>('POST', `${base(uid)}/login${inLanguage(i18n.language)}`, body),
    onSuccess: onState,
  });
  const { password, upstream } = state.loginMethods;
  const vars = { app: state.app.name, school: state.institution?.name ?? '' };
  return (
    <>
      <h1 style={{ fontSize: 22, marginTop: 0 }}>{t('signin.login.title')}</h1>
      <ChosenSchool uid={uid} state={state} onState={onState} />
      {upstream && (
        <>
          <Button type={password ? 'default' : 'primary'} size="large" block href={upstream.url} data-testid="upstream-signin">
            {t('signin.login.withUpstream', { name: upstream.name })}
          </Button>
          {password && <Divider plain>{t('common.or')}</Divider>}
        </>
      )}
      {password && (
        <Form layout="vertical" requiredMark={false} onFinish={(v: { login: string; password: string }) => login.mutate(v)}>
          <Form.Item
            label={t('signin.login.login')}
            name="login"
            extra={t('signin.login.loginHint')}
            rules={[{ required: true, message: t('validation.required') }]}
          >
            <Input autoComplete="username" autoCapitalize="none" spellCheck={false} autoFocus size="large" />
          </Form.Item>
          <Form.Item label={t('signin.login.password')} name="password" rules={[{ required: true, message: t('validation.required') }]}>
            <Input.Password autoComplete="current-password" size="large" />
          </Form.Item>
          <StepError error={login.error} vars={vars} />
          <Button type="primary" htmlType="submit" size="large" loading={login.isPending} block style={{ marginTop: 16 }}>
            {t('signin.login.submit')}
          </Button>
        </Form>
      )}
      {!password && !upstream && <Alert type="warning" showIcon title={t('signin.login.noMethod')} />}
    </>
  );
}

/** Whether a scope or category is new since the previous consent (`added` names scopes and categories). */
function isAdded(added: string[], ...names: string[]): boolean {
  return names.some((n) => added.includes(n));
}

/** Step 3: what the app gets and why; Allow or Deny. The answer sends the browser back to the app. */
function ConsentStep({ uid, state }: { uid: string; state: SigninState }) {
  const { t } = useTranslation();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const decide = useMutation({
    mutationFn: (decision: 'allow' | 'deny') => callJson<{ redirectTo: string }>('POST', `${base(uid)}/consent`, { decision }),
    onSuccess: ({ redirectTo }) => window.location.assign(redirectTo),
  });
  useEffect(() => headingRef.current?.focus(), []);
  const consent = state.consent ?? { scopes: [], claims: [], categories: [], added: [] };
  const added = consent.added;
  // openid is the sign-in itself; the data scope is shown through its categories.
  const scopes = consent.scopes.filter((s) => s !== 'openid' && known(`signin.scopes.${s}`, '') !== '');
  const newTag = (
    <Tag color="blue" style={{ marginInlineStart: 8 }}>
      {t('signin.consent.new')}
    </Tag>
  );
  const busy = decide.isPending || decide.isSuccess;
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1} style={{ fontSize: 22, marginTop: 0, outline: 'none' }}>
        {t('signin.consent.title', { app: state.app.name })}
      </h1>
      {state.person && (
        <p data-testid="consent-person">{t('signin.consent.signedInAs', { name: state.person.displayName, school: state.institution?.name ?? '' })}</p>
      )}
      {added.length > 0 && <Alert type="info" showIcon title={t('signin.consent.moreThanBefore', { app: state.app.name })} style={{ marginBottom: 16 }} />}
      <h2 style={{ fontSize: 16 }}>{t('signin.consent.dataTitle', { partner: state.app.partnerName })}</h2>
      <ul style={{ paddingInlineStart: 20 }} data-testid="consent-items">
        <li>
          {t('signin.scopes.openid', { school: state.institution?.name ?? '' })}
          {isAdded(added, 'openid') && newTag}
        </li>
        {scopes.map((s) => (
          <li key={s}>
            {t(`signin.scopes.${s}`)}
            {isAdded(added, s) && newTag}
          </li>
        ))}
        {consent.categories.map((c: ConsentCategory) => (
          <li key={`${c.apiCode}:${c.category}`} data-testid="consent-category" data-category={c.category}>
            <strong>{c.name || known(`categories.${c.category}`, c.category)}</strong>
            {isAdded(added, c.category, `${c.apiCode}:${c.category}`, `${c.apiCode}.${c.category}`) && newTag}
            {c.description && <div data-testid="consent-category-description">{c.description}</div>}
            <div data-testid="consent-category-purpose">
              <Typography.Text type="secondary">{t('common.label', { text: t('signin.consent.purpose') })} </Typography.Text>
              <PurposeText text={c.purpose} language={c.purposeLanguage} />
            </div>
            {c.fields.length > 0 && (
              <div data-testid="consent-category-fields">
                <Typography.Text type="secondary">{t('common.label', { text: t('signin.consent.fields') })} </Typography.Text>
                {c.fields.join(', ')}
              </div>
            )}
          </li>
        ))}
      </ul>
      <p>
        <a href={state.app.registerUrl} target="_blank" rel="noopener noreferrer" data-testid="register-link">
          {t('signin.consent.registerLink', { app: state.app.name })}
        </a>
      </p>
      <p data-testid="withdraw-hint">
        {/* A new tab: the sign-in in this one goes on. */}
        <Trans i18nKey="signin.consent.withdrawHint" components={{ 1: <a href="/my/apps" target="_blank" rel="noopener noreferrer" /> }} />
      </p>
      <StepError error={decide.error} />
      <Space direction="vertical" style={{ width: '100%', marginTop: 8 }}>
        <Button
          type="primary"
          size="large"
          block
          onClick={() => decide.mutate('allow')}
          loading={decide.isPending && decide.variables === 'allow'}
          disabled={busy}
        >
          {t('signin.consent.allow')}
        </Button>
        <Button size="large" block onClick={() => decide.mutate('deny')} loading={decide.isPending && decide.variables === 'deny'} disabled={busy}>
          {t('signin.consent.deny')}
        </Button>
      </Space>
    </>
  );
}
