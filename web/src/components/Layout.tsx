import { useQuery } from '@tanstack/react-query';
import { Button, Layout, Menu, Select, Space, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate } from 'react-router';
import { api, ApiProblem } from '../api/client.ts';
import { LANGUAGES } from '../i18n.ts';
import { roleOf, useSession, useSetSession } from '../session.tsx';

const LANGUAGE_NAMES: Record<string, string> = { en: 'English', nl: 'Nederlands', fr: 'Français', sv: 'Svenska' };

/** The menu entries of each area: the path and its translation key. */
const MENUS: Record<string, [string, string][]> = {
  operator: [
    ['/operator/review', 'nav.review'],
    ['/operator/partners', 'nav.partners'],
    ['/operator/legacy-clients', 'nav.legacyClients'],
    ['/operator/catalog', 'nav.catalog'],
    ['/operator/identity-providers', 'nav.identityProviders'],
    ['/operator/ingestion-clients', 'nav.ingestionClients'],
    ['/operator/mailbox', 'nav.mailbox'],
    ['/operator/audit', 'nav.audit'],
    ['/school/disclosures', 'disclosures.nav'],
  ],
  partner: [
    ['/partner/apps', 'nav.myApps'],
    ['/partner/profile', 'nav.profile'],
    ['/partner/developers', 'developers.nav'],
  ],
  school_admin: [
    ['/school/apps', 'nav.apps'],
    ['/school/api-access', 'nav.apiAccess'],
    ['/school/disclosures', 'disclosures.nav'],
  ],
  school_no_access: [],
  visitor: [
    ['/public/partners', 'nav.directory'],
    ['/public/register', 'nav.register'],
    ['/my/apps', 'my.title'],
  ],
};

/**
 * Whether the dev mailbox exists on this server. The API is the only authority (it refuses the
 * mailbox in production with 403 not_in_production), so the menu asks it rather than guessing from
 * the build; any other outcome keeps the entry, where the page itself shows what went wrong.
 */
function useMailboxAvailable(enabled: boolean): boolean {
  const probe = useQuery({
    queryKey: ['operator', 'mailbox-available'],
    queryFn: async () => {
      try {
        await api.get('/dev/mailbox?limit=1');
        return true;
      } catch (e) {
        if (e instanceof ApiProblem && e.status === 403 && e.code === 'not_in_production') return false;
        return true;
      }
    },
    enabled,
    staleTime: Infinity,
    retry: false,
  });
  // Hidden until known, so the entry never flashes on a production server.
  return probe.data === true;
}

/** The language picker: the choice is remembered in the browser and, when signed in, not sent anywhere else. */
export function LanguagePicker() {
  const { t, i18n } = useTranslation();
  return (
    <Select
      aria-label={t('nav.language')}
      value={i18n.resolvedLanguage}
      style={{ width: 130 }}
      onChange={(lng) => void i18n.changeLanguage(lng)}
      options={LANGUAGES.map((l) => ({ value: l, label: LANGUAGE_NAMES[l] }))}
      data-testid="language-picker"
    />
  );
}

/** Page frame: header with the area's menu, language picker and sign-in/out. */
export function AppLayout({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const session = useSession();
  const setSession = useSetSession();
  const navigate = useNavigate();
  const location = useLocation();
  const user = session.data?.user;
  const role = user ? roleOf(user) : 'visitor';
  const mailbox = useMailboxAvailable(role === 'operator');
  const items = (MENUS[role] ?? [])
    .filter(([path]) => path !== '/operator/mailbox' || mailbox)
    .map(([path, key]) => ({ key: path, label: <Link to={path}>{t(key)}</Link> }));
  const selected = items.map((i) => i.key).filter((k) => location.pathname.startsWith(k));

  async function signOut() {
    try {
      await api.post('/auth/logout');
    } finally {
      setSession(null);
      navigate('/sign-in');
    }
  }

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <a className="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      {/* The header grows to a second row rather than hiding menu entries behind "…": the operator has eight. */}
      <Layout.Header
        style={{
          display: 'flex',
          flexWrap: 'wrap',
          alignItems: 'center',
          gap: 16,
          height: 'auto',
          minHeight: 64,
          background: '#fff',
          borderBottom: '1px solid #e5e5e5',
        }}
      >
        <Link to="/" style={{ fontWeight: 700, fontSize: 18, color: '#1f1f1f' }}>
          Schoolgate
        </Link>
        <nav aria-label={t('nav.main')} style={{ flex: 1, minWidth: 0 }}>
          <Menu mode="horizontal" disabledOverflow selectedKeys={selected} items={items} style={{ borderBottom: 'none', flexWrap: 'wrap' }} />
        </nav>
        <Space>
          <LanguagePicker />
          {user ? (
            <>
              <Typography.Text data-testid="signed-in-as">{user.displayName}</Typography.Text>
              <Button onClick={() => void signOut()}>{t('nav.signOut')}</Button>
            </>
          ) : (
            <Link to="/sign-in">{t('nav.signIn')}</Link>
          )}
        </Space>
      </Layout.Header>
      <Layout.Content style={{ padding: 24, maxWidth: 1400, width: '100%', margin: '0 auto' }}>
        <main id="main" tabIndex={-1} style={{ outline: 'none' }}>
          {children}
        </main>
      </Layout.Content>
    </Layout>
  );
}
