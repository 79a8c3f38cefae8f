import { Card, Empty, Space, Tag, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Res } from '../../api/types.ts';
import { formatDate, formatDateTime, formatNumber, known } from '../../lib/format.ts';

/** A disclosure report as both GET /school/persons/:id/disclosures and GET /my/disclosures answer. */
export type DisclosureReport = Res<'/api/v1/my/disclosures'>;
type Entry = DisclosureReport['apps'][number]['entries'][number];

/** One label and value (a definition list reads well on a phone and to screen readers). */
function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt style={{ color: '#595959', marginTop: 8 }}>{label}</dt>
      <dd style={{ margin: 0, overflowWrap: 'anywhere' }}>{children}</dd>
    </>
  );
}

/** The grant an entry was read under, in words. */
function GrantText({ grant, audience }: { grant: Entry['grant']; audience: 'back_office' | 'end_user' }) {
  const { t } = useTranslation();
  if (grant.target === 'end_user_consent') return <>{t(audience === 'end_user' ? 'disclosures.grants.ownConsent' : 'disclosures.grants.consent')}</>;
  if (grant.active) {
    const text =
      grant.target === 'access_group'
        ? t('disclosures.grants.accessGroup', { group: grant.accessGroup?.name ?? '', date: formatDateTime(grant.grantedAt) })
        : t('disclosures.grants.institution', { date: formatDateTime(grant.grantedAt) });
    return (
      <>
        <Tag>{t('disclosures.grants.active')}</Tag>
        {text}
        {grant.grantedBy ? ` ${t('disclosures.grants.by', { name: grant.grantedBy })}` : ''}
      </>
    );
  }
  return (
    <>
      <Tag>{t('disclosures.grants.inactive')}</Tag>
      {grant.revokedAt ? t('disclosures.grants.revoked', { date: formatDateTime(grant.revokedAt) }) : t('disclosures.grants.gone')}
      {grant.revokedBy ? ` ${t('disclosures.grants.by', { name: grant.revokedBy })}` : ''}
    </>
  );
}

/**
 * The report as cards (one per app, one section per API and school): readable at phone width, where
 * a table of seven columns would not be. Used in the school back-office and in "My connected apps".
 */
export function DisclosureReportView({ report, audience }: { report: DisclosureReport; audience: 'back_office' | 'end_user' }) {
  const { t } = useTranslation();
  return (
    <div data-testid="disclosure-report">
      <p>
        {t('disclosures.period', { from: formatDate(`${report.from}T12:00:00Z`), to: formatDate(`${report.to}T12:00:00Z`) })}
        {report.institutions.length > 0 && (
          <>
            <br />
            {t('disclosures.covers', { list: report.institutions.map((i) => `${i.name} (${i.number})`).join(', ') })}
          </>
        )}
      </p>
      <Typography.Paragraph type="secondary">{t('disclosures.meaning')}</Typography.Paragraph>
      {report.apps.length === 0 && <Empty description={t('disclosures.none')} />}
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        {report.apps.map((a) => {
          const headingId = `disclosure-${a.clientId ?? a.app.id ?? a.app.name}`;
          return (
            <Card
              key={headingId}
              data-testid="disclosure-app"
              role="region"
              aria-labelledby={headingId}
              title={
                <h2 id={headingId} style={{ fontSize: 17, margin: 0, whiteSpace: 'normal' }}>
                  {a.app.name}
                </h2>
              }
            >
              {a.app.partnerName && <p style={{ marginTop: 0 }}>{t('disclosures.madeBy', { partner: a.app.partnerName })}</p>}
              {a.entries.map((e) => (
                <section
                  key={`${e.api}:${e.institution.number}:${e.grant.target}`}
                  data-testid="disclosure-entry"
                  style={{ borderTop: '1px solid #f0f0f0', paddingTop: 8, marginTop: 8 }}
                >
                  <h3 style={{ fontSize: 15, margin: 0 }}>
                    {t('disclosures.entryTitle', {
                      api: e.api ? known(`apis.${e.api}`, e.api) : t('disclosures.noApi'),
                      school: e.institution.name,
                      number: e.institution.number,
                    })}
                  </h3>
                  <dl style={{ margin: 0 }}>
                    <Fact label={t('disclosures.when')}>{t('disclosures.span', { first: formatDateTime(e.firstAt), last: formatDateTime(e.lastAt) })}</Fact>
                    <Fact label={t('disclosures.requests')}>{formatNumber(e.requests)}</Fact>
                    <Fact label={t('disclosures.grant')}>
                      <GrantText grant={e.grant} audience={audience} />
                    </Fact>
                    <Fact label={t('disclosures.endpoints')}>
                      {e.endpoints.map((p) => (
                        <code key={p} style={{ marginInlineEnd: 8, display: 'inline-block' }}>
                          {p}
                        </code>
                      ))}
                    </Fact>
                  </dl>
                  <h4 style={{ fontSize: 14, marginTop: 12, marginBottom: 4 }}>{t('disclosures.categories')}</h4>
                  <ul style={{ paddingInlineStart: 20, margin: 0 }}>
                    {e.categories.map((c) => (
                      <li key={c.category} data-testid="disclosure-category" data-category={c.category}>
                        <strong>{known(`categories.${c.category}`, c.category)}</strong>
                        <div>
                          <Typography.Text type="secondary">
                            {t('disclosures.categoryLine', { first: formatDateTime(c.firstAt), last: formatDateTime(c.lastAt), n: formatNumber(c.requests) })}
                          </Typography.Text>
                        </div>
                      </li>
                    ))}
                  </ul>
                </section>
              ))}
            </Card>
          );
        })}
      </Space>
    </div>
  );
}

/** The period inputs of a report (native date inputs: usable on a phone, no date library). */
export function PeriodInputs({ from, to, onChange }: { from: string; to: string; onChange: (p: { from: string; to: string }) => void }) {
  const { t } = useTranslation();
  const style = { padding: '4px 8px', border: '1px solid #d9d9d9', borderRadius: 6, font: 'inherit' };
  return (
    <div style={{ display: 'flex', gap: 12, flexWrap: 'wrap', marginBottom: 12 }}>
      <label>
        {t('disclosures.from')}{' '}
        <input
          type="date"
          value={from}
          max={to || undefined}
          onChange={(e) => onChange({ from: e.target.value, to })}
          style={style}
          data-testid="disclosure-from"
        />
      </label>
      <label>
        {t('disclosures.to')}{' '}
        <input
          type="date"
          value={to}
          min={from || undefined}
          onChange={(e) => onChange({ from, to: e.target.value })}
          style={style}
          data-testid="disclosure-to"
        />
      </label>
    </div>
  );
}
