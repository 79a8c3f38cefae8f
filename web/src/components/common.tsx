import { Alert, Result, Spin, Tag } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation } from 'react-router';
import { problemMessage } from '../lib/problem.ts';
import { roleOf, useSession, type Role } from '../session.tsx';
import { ApiProblem } from '../api/client.ts';

/** A translated error from the API, announced to screen readers. */
export function ErrorAlert({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  return (
    <Alert
      type="error"
      role="alert"
      showIcon
      title={problemMessage(t, error)}
      data-testid="error"
      data-code={error instanceof ApiProblem ? error.code : undefined}
    />
  );
}

/** Loading indicator with an accessible name. */
export function Loading() {
  const { t } = useTranslation();
  return (
    <div style={{ padding: 48, textAlign: 'center' }} aria-busy="true">
      <Spin aria-label={t('common.loading')} />
    </div>
  );
}

const STATUS_COLORS: Record<string, string> = {
  draft: 'default',
  submitted: 'blue',
  approved: 'green',
  rejected: 'red',
  suspended: 'orange',
  archived: 'default',
};

/** An app status as a coloured, translated tag. */
export function StatusTag({ status }: { status: string }) {
  const { t } = useTranslation();
  return <Tag color={STATUS_COLORS[status] ?? 'default'}>{t(`status.${status}`)}</Tag>;
}

/** ✓ / ✗ with a text alternative. */
export function Check({ value }: { value: boolean }) {
  const { t } = useTranslation();
  return (
    <span role="img" aria-label={value ? t('common.yes') : t('common.no')} style={{ color: value ? '#237804' : '#a8071a', fontWeight: 700 }}>
      {value ? '✓' : '✗'}
    </span>
  );
}

/**
 * Lets a page through only for the given roles; signed-out visitors go to sign-in with the page as
 * `next` (the invitation deep link survives sign-in), other roles see the no-access page.
 */
export function RequireRole({ roles, children }: { roles: Role[]; children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.isLoading) return <Loading />;
  if (session.error) return <ErrorAlert error={session.error} />;
  const user = session.data?.user;
  if (!user) return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (!roles.includes(roleOf(user))) return <Navigate to="/no-access" replace />;
  return <>{children}</>;
}

/** Page title as the first heading, for screen readers and the document title. */
export function PageTitle({ children, extra }: { children: ReactNode; extra?: ReactNode }) {
  return (
    <div style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', marginBottom: 16, gap: 16, flexWrap: 'wrap' }}>
      <h1 style={{ margin: 0, fontSize: 24 }}>{children}</h1>
      {extra}
    </div>
  );
}

/** The "no access" page (Informat manual §4.3). */
export function NoAccessResult() {
  const { t } = useTranslation();
  return <Result status="403" title={t('noAccess.title')} subTitle={t('noAccess.body')} data-testid="no-access" />;
}
