import { DownOutlined, MenuOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Button, Drawer, Grid, Layout, Menu, Select, Space, Typography } from 'antd';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate } from 'react-router';
import { api, ApiProblem } from '../api/client.ts';
import { LANGUAGES } from '../i18n.ts';
import { roleOf, useSession, useSetSession } from '../session.tsx';

const LANGUAGE_NAMES: Record<string, string> = { en: 'English', nl: 'Nederlands', fr: 'Français', sv: 'Svenska' };

/** The menu entries of each area: the path and its translation key. */
const MENUS: Record<string, [string, string][]> = {
  operator: [
    ['/operator/dashboard', 'charts.nav'],
    ['/operator/review', 'nav.review'],
    ['/operator/partners', 'nav.partners'],
    ['/operator/catalog', 'nav.catalog'],
    ['/operator/audit', 'nav.audit'],
    ['/school/disclosures', 'disclosures.nav'],
    ['/operator/legacy-clients', 'nav.legacyClients'],
    ['/operator/identity-providers', 'nav.identityProviders'],
    ['/operator/ingestion-clients', 'nav.ingestionClients'],
    ['/operator/mailbox', 'nav.mailbox'],
    ['/operator/readout', 'readout.nav'],
  ],
  partner: [
    ['/partner/apps', 'nav.myApps'],
    ['/partner/profile', 'nav.profile'],
    ['/partner/developers', 'developers.nav'],
  ],
  school_admin: [
    ['/school/apps', 'nav.apps'],
    ['/school/api-access', 'nav.apiAccess'],
    ['/school/reads', 'charts.schoolNav'],
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

/**
 * Entries of an area shown under one submenu instead of in the row, so that the operator's menu fits
 * one row on a 1366 px screen in every language. The submenu stands where its first entry would.
 */
const SUBMENUS: Record<string, { key: string; label: string; paths: string[] }[]> = {
  operator: [
    {
      key: 'integrations',
      label: 'nav.integrations',
      paths: ['/operator/legacy-clients', '/operator/identity-providers', '/operator/ingestion-clients', '/operator/readout'],
    },
  ],
};

type Entry = { key: string; label: ReactNode };
type MenuEntry = Entry | (Entry & { type: 'group' | 'submenu'; children: Entry[] });

/** The area's menu with its submenus: as submenus in the header row, as titled groups in the drawer. */
function menuItems(entries: Entry[], role: string, asGroups: boolean, t: (key: string) => string): MenuEntry[] {
  const out: MenuEntry[] = [];
  const placed = new Set<string>();
  for (const entry of entries) {
    const sub = (SUBMENUS[role] ?? []).find((s) => s.paths.includes(entry.key));
    if (!sub) {
      out.push(entry);
      continue;
    }
    if (placed.has(sub.key)) continue;
    placed.add(sub.key);
    const children = sub.paths.flatMap((p) => entries.filter((e) => e.key === p));
    out.push({ key: `group:${sub.key}`, label: t(sub.label), type: asGroups ? 'group' : 'submenu', children });
  }
  return out;
}

/**
 * Page frame: header with the area's menu, language picker and sign-in/out. Below the `md`
 * breakpoint (768 px: phones) the header is one short row and the menu, language and sign-out move
 * into a drawer. From `md` up the menu is one row: what does not fit goes under "More".
 */
export function AppLayout({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const session = useSession();
  const setSession = useSetSession();
  const navigate = useNavigate();
  const location = useLocation();
  const screens = Grid.useBreakpoint();
  const phone = screens.md === false;
  const [drawerOpen, setDrawerOpen] = useState(false);
  const user = session.data?.user;
  const role = user ? roleOf(user) : 'visitor';
  const mailbox = useMailboxAvailable(role === 'operator');
  const entries = (MENUS[role] ?? [])
    .filter(([path]) => path !== '/operator/mailbox' || mailbox)
    .map(([path, key]) => ({ key: path, label: <Link to={path}>{t(key)}</Link> }));
  const selected = entries.map((i) => i.key).filter((k) => location.pathname.startsWith(k));

  async function signOut() {
    setDrawerOpen(false);
    try {
      await api.post('/auth/logout');
    } finally {
      setSession(null);
      navigate('/sign-in');
    }
  }

  const account = user ? (
    <>
      <Typography.Text data-testid="signed-in-as" ellipsis style={{ maxWidth: phone ? undefined : 180 }}>
        {user.displayName}
      </Typography.Text>
      <Button onClick={() => void signOut()}>{t('nav.signOut')}</Button>
    </>
  ) : (
    <Link to="/sign-in" onClick={() => setDrawerOpen(false)}>
      {t('nav.signIn')}
    </Link>
  );

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <a className="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      <Layout.Header className={phone ? 'app-header app-header-phone' : 'app-header'}>
        {phone && (
          <Button
            type="text"
            icon={<MenuOutlined />}
            aria-label={t('nav.openMenu')}
            aria-expanded={drawerOpen}
            onClick={() => setDrawerOpen(true)}
            data-testid="menu-button"
          />
        )}
        <Link to="/" className="app-header-brand">
          Schoolgate
        </Link>
        {phone ? (
          <Drawer
            open={drawerOpen}
            onClose={() => setDrawerOpen(false)}
            placement="left"
            size={300}
            title={t('nav.main')}
            styles={{ body: { padding: 0 } }}
            rootClassName="app-menu-drawer"
          >
            <nav aria-label={t('nav.main')}>
              <Menu
                mode="inline"
                selectedKeys={selected}
                items={menuItems(entries, role, true, t)}
                onClick={() => setDrawerOpen(false)}
                style={{ borderInlineEnd: 'none' }}
              />
            </nav>
            <Space direction="vertical" size="middle" style={{ padding: 24, width: '100%' }}>
              <LanguagePicker />
              {account}
            </Space>
          </Drawer>
        ) : (
          <>
            <nav aria-label={t('nav.main')} style={{ flex: 1, minWidth: 0 }}>
              <Menu
                mode="horizontal"
                selectedKeys={selected}
                items={menuItems(entries, role, false, t)}
                overflowedIndicator={
                  <span>
                    {t('nav.more')} <DownOutlined style={{ fontSize: 10 }} />
                  </span>
                }
                style={{ borderBottom: 'none' }}
              />
            </nav>
            <Space align="center" style={{ flexShrink: 0 }}>
              <LanguagePicker />
              {account}
            </Space>
          </>
        )}
      </Layout.Header>
      <Layout.Content className="app-content">
        <main id="main" tabIndex={-1} style={{ outline: 'none' }}>
          {children}
        </main>
      </Layout.Content>
    </Layout>
  );
}
