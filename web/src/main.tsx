import './i18n.ts';
import './styles.css';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import frFR from 'antd/locale/fr_FR';
import nlNL from 'antd/locale/nl_NL';
import svSE from 'antd/locale/sv_SE';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Route, Routes, useLocation } from 'react-router';
import { ApiProblem } from './api/client.ts';
import { RequireRole } from './components/common.tsx';
import { AppLayout } from './components/Layout.tsx';
import { ConfirmEmailPage, HomeRedirect, NoAccessPage, NotFoundPage, SignInPage, SignUpPage } from './pages/Auth.tsx';
import { AuditLogPage, CatalogPage, LegacyClientsPage, MailboxPage, OperatorAppPage, PartnersPage, ReviewQueuePage } from './pages/operator/OperatorPages.tsx';
import { PartnerAppPage } from './pages/partner/PartnerAppPage.tsx';
import { DevelopersPage } from './pages/partner/Developers.tsx';
import { PartnerAppFormPage, PartnerAppsPage, PartnerProfilePage } from './pages/partner/PartnerPages.tsx';
import { DirectoryPage, RegisterPage } from './pages/public/PublicPages.tsx';
import { SchoolApiAccessPage, SchoolAppsPage } from './pages/school/SchoolApps.tsx';
import { SchoolAppPage } from './pages/school/SchoolAppPage.tsx';
import { SchoolReadsPage } from './pages/school/SchoolReads.tsx';
import { DashboardPage } from './pages/operator/Dashboard.tsx';
import { IdentityProvidersPage } from './pages/operator/IdentityProviders.tsx';
import { IngestionClientsPage } from './pages/operator/IngestionClients.tsx';
import { ReadoutPage, ReadoutRunPage } from './pages/operator/Readout.tsx';
import { MyAppsPage } from './pages/my/MyAppsPage.tsx';
import { SchoolDisclosuresPage } from './pages/disclosures/SchoolDisclosuresPage.tsx';
import { EndUserFrame, isEndUserPath } from './pages/signin/Frame.tsx';
import { SignInFlowPage } from './pages/signin/SignInFlow.tsx';
import type { ReactNode } from 'react';

const ANTD_LOCALES = { en: enUS, nl: nlNL, fr: frFR, sv: svSE } as const;

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not change by asking again.
      retry: (count, error) => !(error instanceof ApiProblem && error.status >= 400 && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

const operator = ['operator'] as const;
const partner = ['partner'] as const;
const school = ['school_admin'] as const;

/**
 * antd's defaults fail WCAG AA contrast (4.5:1) for small text on white: descriptions (#8c8c8c,
 * 3.4:1) and danger buttons and error text (#ff4d4f, 3.3:1). These keep antd's look, darker.
 */
const THEME_TOKENS = { colorPrimary: '#0b57d0', colorLink: '#0b57d0', colorTextDescription: '#595959', colorError: '#cf1322' };

/** End users (sign-in to an app, their connected apps) get a plain frame; everyone else the back-office layout. */
function Frame({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  return isEndUserPath(pathname) ? <EndUserFrame>{children}</EndUserFrame> : <AppLayout>{children}</AppLayout>;
}

function Root() {
  const { i18n } = useTranslation();
  const locale = ANTD_LOCALES[(i18n.resolvedLanguage ?? 'en') as keyof typeof ANTD_LOCALES] ?? enUS;
  return (
    <ConfigProvider locale={locale} theme={{ token: THEME_TOKENS }}>
      <AntApp>
        <BrowserRouter>
          <Frame>
            <Routes>
              <Route path="/" element={<HomeRedirect />} />
              <Route path="/sign-in" element={<SignInPage />} />
              <Route path="/sign-up" element={<SignUpPage />} />
              <Route path="/confirm-email" element={<ConfirmEmailPage />} />
              <Route path="/no-access" element={<NoAccessPage />} />
              <Route path="/public/partners" element={<DirectoryPage />} />
              <Route path="/public/register" element={<RegisterPage />} />
              <Route path="/signin/:uid" element={<SignInFlowPage />} />
              <Route path="/my/apps" element={<MyAppsPage />} />

              <Route
                path="/school/apps"
                element={
                  <RequireRole roles={[...school]}>
                    <SchoolAppsPage />
                  </RequireRole>
                }
              />
              <Route
                path="/school/apps/:appId"
                element={
                  <RequireRole roles={[...school]}>
                    <SchoolAppPage />
                  </RequireRole>
                }
              />
              <Route
                path="/school/api-access"
                element={
                  <RequireRole roles={[...school]}>
                    <SchoolApiAccessPage />
                  </RequireRole>
                }
              />
              <Route
                path="/school/clients/:clientId"
                element={
                  <RequireRole roles={[...school]}>
                    <SchoolAppPage legacyClient />
                  </RequireRole>
                }
              />
              <Route
                path="/school/reads"
                element={
                  <RequireRole roles={[...school]}>
                    <SchoolReadsPage />
                  </RequireRole>
                }
              />
              <Route
                path="/school/disclosures"
                element={
                  <RequireRole roles={[...school, ...operator]}>
                    <SchoolDisclosuresPage />
                  </RequireRole>
                }
              />

              <Route
                path="/partner/profile"
                element={
                  <RequireRole roles={[...partner]}>
                    <PartnerProfilePage />
                  </RequireRole>
                }
              />
              <Route
                path="/partner/apps"
                element={
                  <RequireRole roles={[...partner]}>
                    <PartnerAppsPage />
                  </RequireRole>
                }
              />
              <Route
                path="/partner/apps/new"
                element={
                  <RequireRole roles={[...partner]}>
                    <PartnerAppFormPage />
                  </RequireRole>
                }
              />
              <Route
                path="/partner/apps/:appId"
                element={
                  <RequireRole roles={[...partner]}>
                    <PartnerAppPage />
                  </RequireRole>
                }
              />
              <Route
                path="/partner/developers"
                element={
                  <RequireRole roles={[...partner]}>
                    <DevelopersPage />
                  </RequireRole>
                }
              />
              <Route
                path="/partner/apps/:appId/edit"
                element={
                  <RequireRole roles={[...partner]}>
                    <PartnerAppFormPage />
                  </RequireRole>
                }
              />

              <Route
                path="/operator/dashboard"
                element={
                  <RequireRole roles={[...operator]}>
                    <DashboardPage />
                  </RequireRole>
                }
              />
              <Route
                path="/operator/review"
                element={
                  <RequireRole roles={[...operator]}>
                    <ReviewQueuePage />
                  </RequireRole>
                }
              />
              <Route
                path="/operator/apps/:appId"
                element={
                  <RequireRole roles={[...operator]}>
                    <OperatorAppPage />
                  </RequireRole>
                }
              />
              <Route
                path="/operator/partners"
                element={
                  <RequireRole roles={[...operator]}>
                    <PartnersPage />
                  </RequireRole>
                }
              />
              <Route
                path="/operator/legacy-clients"
                element={
                  <RequireRole roles={[...operator]}>
                    <LegacyClientsPage />
                  </RequireRole>
                }
              />
              <Route
                path="/operator/catalog"
                element={
                  <RequireRole roles={[...operator]}>
                    <CatalogPage />
                  </RequireRole>
                }
              />
              <Route
                path="/operator/mailbox"
                element={
                  <RequireRole roles={[...operator]}>
                    <MailboxPage />
                  </RequireRole>
                }
              />
              <Route
                path="/operator/audit"
                element={
                  <RequireRole roles={[...operator]}>
                    <AuditLogPage />
                  </RequireRole>
                }
              />
              <Route
                path="/operator/identity-providers"
                element={
                  <RequireRole roles={[...operator]}>
                    <IdentityProvidersPage />
                  </RequireRole>
                }
              />
              <Route
                path="/operator/ingestion-clients"
                element={
                  <RequireRole roles={[...operator]}>
                    <IngestionClientsPage />
                  </RequireRole>
                }
              />
              <Route
                path="/operator/readout"
                element={
                  <RequireRole roles={[...operator]}>
                    <ReadoutPage />
                  </RequireRole>
                }
              />
              <Route
                path="/operator/readout/runs/:runId"
                element={
                  <RequireRole roles={[...operator]}>
                    <ReadoutRunPage />
                  </RequireRole>
                }
              />
              <Route path="*" element={<NotFoundPage />} />
            </Routes>
          </Frame>
        </BrowserRouter>
      </AntApp>
    </ConfigProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <Root />
    </QueryClientProvider>
  </StrictMode>,
);
