import { Alert, Button, Card, Form, Input, Result, Select } from 'antd';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/client.ts';
import type { Body } from '../api/types.ts';
import { ErrorAlert, Loading, NoAccessResult } from '../components/common.tsx';
import { LANGUAGES } from '../i18n.ts';
import { landingPath, safeNext, useSession, useSetSession, type Session } from '../session.tsx';

/** One sign-in page for every role; `?next=` brings the user back where they were going. */
export function SignInPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const navigate = useNavigate();
  const setSession = useSetSession();
  const session = useSession();
  const login = useMutation({
    mutationFn: (body: Body<'/api/v1/auth/login', 'post'>) => api.post<Session>('/auth/login', body),
    onSuccess: (s) => {
      setSession(s);
      navigate(next ?? landingPath(s.user), { replace: true });
    },
  });
  if (session.data && !login.isPending && !login.isSuccess) return <Navigate to={next ?? landingPath(session.data.user)} replace />;
  return (
    <Card style={{ maxWidth: 420, margin: '48px auto' }}>
      <h1 style={{ fontSize: 24, marginTop: 0 }}>{t('auth.signInTitle')}</h1>
      {next?.includes('invitation=') && <Alert type="info" showIcon title={t('auth.invitationHint')} style={{ marginBottom: 16 }} />}
      <Form layout="vertical" onFinish={(v: { email: string; password: string }) => login.mutate(v)} requiredMark={false}>
        <Form.Item label={t('auth.email')} name="email" rules={[{ required: true, type: 'email', message: t('validation.email') }]}>
          <Input autoComplete="username" autoFocus />
        </Form.Item>
        <Form.Item label={t('auth.password')} name="password" rules={[{ required: true, message: t('validation.required') }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <ErrorAlert error={login.error} />
        <Button type="primary" htmlType="submit" loading={login.isPending} block style={{ marginTop: 16 }}>
          {t('auth.signIn')}
        </Button>
      </Form>
      <p style={{ marginTop: 16 }}>
        {t('auth.noAccount')} <Link to="/sign-up">{t('auth.signUpLink')}</Link>
      </p>
      {/* Pupils, guardians and school staff do not sign in here: their school account works under My connected apps. */}
      <p data-testid="end-user-hint">
        {t('auth.endUserHint')} <Link to="/my/apps">{t('my.title')}</Link>
      </p>
    </Card>
  );
}

/** Partner sign-up; the confirmation link arrives by e-mail. */
export function SignUpPage() {
  const { t, i18n } = useTranslation();
  const signup = useMutation({
    mutationFn: (body: Body<'/api/v1/auth/signup', 'post'>) => api.post('/auth/signup', body),
  });
  if (signup.isSuccess) {
    return <Result status="success" title={t('auth.signUpDoneTitle')} subTitle={t('auth.signUpDoneBody')} data-testid="signup-done" />;
  }
  return (
    <Card style={{ maxWidth: 480, margin: '48px auto' }}>
      <h1 style={{ fontSize: 24, marginTop: 0 }}>{t('auth.signUpTitle')}</h1>
      <p>{t('auth.signUpIntro')}</p>
      <Form
        layout="vertical"
        initialValues={{ language: i18n.resolvedLanguage }}
        onFinish={(v: Body<'/api/v1/auth/signup', 'post'>) => signup.mutate(v)}
        requiredMark={false}
      >
        <Form.Item label={t('auth.displayName')} name="displayName" rules={[{ required: true, message: t('validation.required') }]}>
          <Input autoComplete="name" />
        </Form.Item>
        <Form.Item label={t('auth.email')} name="email" rules={[{ required: true, type: 'email', message: t('validation.email') }]}>
          <Input autoComplete="email" />
        </Form.Item>
        <Form.Item label={t('auth.password')} name="password" extra={t('auth.passwordHint')} rules={[{ required: true, message: t('validation.required') }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item label={t('auth.language')} name="language">
          <Select options={LANGUAGES.map((l) => ({ value: l, label: t(`languages.${l}`) }))} />
        </Form.Item>
        <ErrorAlert error={signup.error} />
        <Button type="primary" htmlType="submit" loading={signup.isPending} block style={{ marginTop: 16 }}>
          {t('auth.signUp')}
        </Button>
      </Form>
    </Card>
  );
}

/** The page the confirmation mail links to: /confirm-email?token=… */
export function ConfirmEmailPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const confirm = useMutation({ mutationFn: () => api.post('/auth/confirm-email', { token }) });
  const started = useRef(false);
  const [missing] = useState(!token);
  useEffect(() => {
    if (!started.current && token) {
      started.current = true;
      confirm.mutate();
    }
  }, [token, confirm]);
  if (missing) return <Result status="warning" title={t('errors.confirmation_invalid')} />;
  if (confirm.isPending || confirm.isIdle) return <Loading />;
  if (confirm.isError) return <Result status="error" title={t('auth.confirmFailed')} extra={<ErrorAlert error={confirm.error} />} />;
  return (
    <Result
      status="success"
      title={t('auth.confirmedTitle')}
      subTitle={t('auth.confirmedBody')}
      data-testid="email-confirmed"
      extra={
        <Link to="/sign-in">
          <Button type="primary">{t('auth.signIn')}</Button>
        </Link>
      }
    />
  );
}

export function NoAccessPage() {
  return <NoAccessResult />;
}

export function NotFoundPage() {
  const { t } = useTranslation();
  return <Result status="404" title={t('common.pageNotFound')} extra={<Link to="/">{t('common.home')}</Link>} />;
}

/** "/" sends a signed-in user to their area and shows visitors the public directory. */
export function HomeRedirect() {
  const session = useSession();
  if (session.isLoading) return <Loading />;
  if (session.data) return <Navigate to={landingPath(session.data.user)} replace />;
  return <Navigate to="/public/partners" replace />;
}
