import { Layout } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguagePicker } from '../../components/Layout.tsx';

/**
 * The frame of the end-user screens (sign-in to an app, "My connected apps"): the brand and the
 * language picker only. Students, guardians and staff never use the back-office menus, and the
 * narrow column reads well on a phone, where most of them sign in.
 */
export function EndUserFrame({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <a className="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      <Layout.Header style={{ display: 'flex', alignItems: 'center', gap: 12, background: '#fff', borderBottom: '1px solid #e5e5e5', paddingInline: 16 }}>
        <span style={{ fontWeight: 700, fontSize: 18, color: '#1f1f1f', flex: 1 }}>Schoolgate</span>
        <LanguagePicker />
      </Layout.Header>
      <Layout.Content style={{ padding: '16px 12px', maxWidth: 560, width: '100%', margin: '0 auto' }}>
        <main id="main" tabIndex={-1} style={{ outline: 'none' }}>
          {children}
        </main>
      </Layout.Content>
    </Layout>
  );
}

/** True for the paths that use {@link EndUserFrame} instead of the back-office layout. */
export function isEndUserPath(pathname: string): boolean {
  return pathname.startsWith('/signin/') || pathname === '/my' || pathname.startsWith('/my/');
}
