import { useQuery } from '@tanstack/react-query';
import { Button, Empty, Input, List, Tag } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api, qs } from '../../api/client.ts';
import { itemsOf, type Item, type Res } from '../../api/types.ts';
import { ErrorAlert, Loading, PageTitle } from '../../components/common.tsx';
import { known } from '../../lib/format.ts';
import { DisclosureReportView, PeriodInputs, type DisclosureReport } from './ReportView.tsx';

type PersonsAnswer = Res<'/api/v1/school/persons'>;
type PersonRow = Item<PersonsAnswer>;

/**
 * `/school/disclosures` — "Data disclosed": a school admin (or the operator) finds a student,
 * guardian or staff member of their schools and sees which apps received which of their data
 * (GDPR Art. 15(1)(c)). The chosen person and period live in the URL, so a report can be shared.
 */
export function SchoolDisclosuresPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const personId = params.get('person');
  const q = params.get('q') ?? '';
  const [draft, setDraft] = useState(q);
  const set = (next: Record<string, string | null>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(next))
      if (v) p.set(k, v);
      else p.delete(k);
    setParams(p);
  };
  return (
    <>
      <PageTitle>{t('disclosures.title')}</PageTitle>
      {personId ? (
        <PersonReport
          personId={personId}
          from={params.get('from') ?? ''}
          to={params.get('to') ?? ''}
          onPeriod={(p) => set(p)}
          onBack={() => set({ person: null, from: null, to: null })}
        />
      ) : (
        <>
          <p>{t('disclosures.intro')}</p>
          <Input.Search
            aria-label={t('disclosures.searchLabel')}
            placeholder={t('disclosures.searchPlaceholder')}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onSearch={(v) => set({ q: v.trim() || null })}
            enterButton={t('disclosures.search')}
            allowClear
            style={{ maxWidth: 480, marginBottom: 16 }}
            data-testid="disclosure-search"
          />
          {q.trim().length >= 2 && <PersonResults q={q.trim()} onPick={(id) => set({ person: id })} />}
        </>
      )}
    </>
  );
}

function PersonResults({ q, onPick }: { q: string; onPick: (id: string) => void }) {
  const { t } = useTranslation();
  const persons = useQuery({ queryKey: ['school', 'persons', q], queryFn: () => api.get<PersonsAnswer>(`/school/persons${qs({ q })}`) });
  const rows = itemsOf(persons.data) as PersonRow[];
  if (persons.isLoading) return <Loading />;
  if (persons.error) return <ErrorAlert error={persons.error} />;
  if (rows.length === 0) return <Empty description={t('disclosures.noPersons')} />;
  return (
    <List
      data-testid="disclosure-persons"
      bordered
      dataSource={rows}
      renderItem={(p) => (
        <List.Item
          actions={[
            <Button key="open" type="link" onClick={() => onPick(p.id)} aria-label={t('disclosures.openFor', { name: p.displayName })}>
              {t('disclosures.open')}
            </Button>,
          ]}
        >
          <List.Item.Meta
            title={p.displayName}
            description={
              <>
                {p.roles.map((r) => (
                  <Tag key={r}>{known(`disclosures.roles.${r}`, r)}</Tag>
                ))}
                {p.institutions.map((i) => `${i.name} (${i.number})`).join(', ')}
              </>
            }
          />
        </List.Item>
      )}
    />
  );
}

function PersonReport({
  personId,
  from,
  to,
  onPeriod,
  onBack,
}: {
  personId: string;
  from: string;
  to: string;
  onPeriod: (p: { from: string; to: string }) => void;
  onBack: () => void;
}) {
  const { t } = useTranslation();
  const report = useQuery({
    queryKey: ['school', 'disclosures', personId, from, to],
    queryFn: () => api.get<DisclosureReport>(`/school/persons/${encodeURIComponent(personId)}/disclosures${qs({ from, to })}`),
  });
  return (
    <>
      <Button onClick={onBack} style={{ marginBottom: 12 }}>
        {t('disclosures.back')}
      </Button>
      {report.data && <h2 style={{ fontSize: 20 }}>{report.data.person.displayName}</h2>}
      <PeriodInputs from={from || report.data?.from || ''} to={to || report.data?.to || ''} onChange={onPeriod} />
      <ErrorAlert error={report.error} />
      {report.isLoading && <Loading />}
      {report.data && <DisclosureReportView report={report.data} audience="back_office" />}
    </>
  );
}
