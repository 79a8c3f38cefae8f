import { useQuery } from '@tanstack/react-query';
import { Button, DatePicker, Form, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api/client.ts';
import { itemsOf, type Item, type Res } from '../api/types.ts';
import { formatDateTime } from '../lib/format.ts';
import { ErrorAlert, PageTitle } from './common.tsx';

/*
 * The audit log in words, shared by the operator's audit page, the operator's app history and the
 * partner's app log: the server words each entry (sentence, labelled field changes) in the language
 * asked for, completes the filters by name and streams the same filters as CSV.
 */

type Audit = Res<'/api/v1/audit-log'>;
type AuditRow = Item<Audit>;
type Suggestions = Res<'/api/v1/audit-log/suggestions'>;
type SuggestField = 'app' | 'partner' | 'institution' | 'actor';

/** The filters the server takes (ids and numbers, chosen by name through the autocomplete). */
export type AuditFilterValues = Partial<Record<'action' | 'appId' | 'partnerId' | 'institution' | 'actor' | 'from' | 'to', string>>;

/** An entry's changed fields as "label: before → after" lines; an invitation's link can be copied again. */
export function AuditDetails({ entry }: { entry: Pick<AuditRow, 'after' | 'changes'> }) {
  const { t } = useTranslation();
  const after = entry.after as Record<string, unknown> | null | undefined;
  const link = after && typeof after === 'object' && typeof after.link === 'string' ? after.link : null;
  const changes = entry.changes.filter((c) => c.field !== 'link');
  if (!changes.length && !link) return null;
  return (
    <div data-testid="audit-changes" style={{ fontSize: 12, wordBreak: 'break-word' }}>
      {changes.map((c) => (
        <div key={c.field}>
          {t('common.label', { text: c.label })}{' '}
          {c.before !== null && c.after !== null ? (
            <>
              <Typography.Text delete type="secondary">
                {c.before}
              </Typography.Text>{' '}
              → {c.after}
            </>
          ) : (
            (c.after ?? c.before)
          )}
        </div>
      ))}
      {link && <Typography.Text copyable={{ text: link, tooltips: [t('common.copy'), t('common.copied')] }}>{t('audit.invitationLink')}</Typography.Text>}
    </div>
  );
}

/** A table of audit entries in words: when, who, what happened (the server's sentence) and the changes. */
export function AuditTable({ rows, loading, testId = 'audit-table' }: { rows: AuditRow[]; loading?: boolean; testId?: string }) {
  const { t } = useTranslation();
  return (
    <Table<AuditRow>
      data-testid={testId}
      rowKey="id"
      size="small"
      loading={loading}
      dataSource={rows}
      pagination={false}
      scroll={{ x: 'max-content' }}
      locale={{ emptyText: t('audit.empty') }}
      columns={[
        { title: t('audit.when'), dataIndex: 'at', width: 150, render: (d: string) => formatDateTime(d) },
        {
          title: t('audit.whatHappened'),
          key: 'sentence',
          render: (_: unknown, r) => (
            <div style={{ minWidth: 260, maxWidth: 560 }}>
              <Tag>{r.actionLabel}</Tag>
              <div data-testid="audit-sentence">{r.sentence}</div>
            </div>
          ),
        },
        { title: t('audit.who'), key: 'actor', render: (_: unknown, r) => <span style={{ wordBreak: 'break-word' }}>{r.actor.label}</span> },
        { title: t('audit.details'), key: 'details', render: (_: unknown, r) => <AuditDetails entry={r} /> },
      ]}
    />
  );
}

interface Picked {
  value: string;
  label: string;
}

/** A filter chosen by name: the server suggests what the reader may see; the filter takes the id. */
function SuggestSelect({ field, label, value, onChange }: { field: SuggestField; label: string; value?: Picked; onChange?: (v: Picked | undefined) => void }) {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const options = useQuery({
    queryKey: ['audit', 'suggestions', field, q],
    queryFn: () => api.get<Suggestions>(`/audit-log/suggestions${qs({ field, q })}`),
    staleTime: 30_000,
  });
  return (
    <Select<Picked>
      aria-label={label}
      data-testid={`audit-filter-${field}`}
      style={{ width: 200 }}
      allowClear
      labelInValue
      value={value}
      onChange={(v) => onChange?.(v ? { value: v.value, label: String(v.label) } : undefined)}
      placeholder={t('audit.typeToSearch')}
      loading={options.isFetching}
      notFoundContent={options.isFetching ? null : t('audit.noMatches')}
      showSearch={{ filterOption: false, onSearch: setQ }}
      options={itemsOf(options.data).map((o) => ({ value: o.value, label: o.label }))}
    />
  );
}

interface FilterForm {
  action?: string;
  app?: Picked;
  partner?: Picked;
  institution?: Picked;
  actor?: Picked;
  range?: [{ toISOString(): string } | null, { toISOString(): string } | null] | null;
}

/**
 * The audit log with filters by name, a period, paging and a CSV download of what the filters
 * select. `appId` fixes the app (an app's own log), hiding the app and partner filters.
 */
export function AuditLog({ appId, testId }: { appId?: string; testId?: string }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'en';
  const [filters, setFilters] = useState<AuditFilterValues>({ appId });
  const [pages, setPages] = useState<string[]>([]);
  const cursor = pages[pages.length - 1];
  const log = useQuery({
    queryKey: ['audit', filters, cursor, lang],
    queryFn: () => api.get<Audit>(`/audit-log${qs({ ...filters, cursor, lang })}`),
  });
  return (
    <>
      <Form<FilterForm>
        layout="inline"
        style={{ marginBottom: 16, rowGap: 8 }}
        onFinish={(v) => {
          setPages([]);
          setFilters({
            action: v.action || undefined,
            appId: appId ?? v.app?.value,
            partnerId: v.partner?.value,
            institution: v.institution?.value,
            actor: v.actor?.value,
            from: v.range?.[0]?.toISOString(),
            to: v.range?.[1]?.toISOString(),
          });
        }}
      >
        {!appId && (
          <Form.Item label={t('audit.app')} name="app">
            <SuggestSelect field="app" label={t('audit.app')} />
          </Form.Item>
        )}
        {!appId && (
          <Form.Item label={t('audit.partner')} name="partner">
            <SuggestSelect field="partner" label={t('audit.partner')} />
          </Form.Item>
        )}
        <Form.Item label={t('audit.institution')} name="institution">
          <SuggestSelect field="institution" label={t('audit.institution')} />
        </Form.Item>
        <Form.Item label={t('audit.who')} name="actor">
          <SuggestSelect field="actor" label={t('audit.who')} />
        </Form.Item>
        <Form.Item label={t('audit.period')} name="range">
          <DatePicker.RangePicker showTime aria-label={t('audit.period')} />
        </Form.Item>
        <Form.Item label={t('audit.action')} name="action" tooltip={t('audit.actionHelp')}>
          <Input style={{ width: 140 }} placeholder="grants.*" />
        </Form.Item>
        <Space wrap>
          <Button type="primary" htmlType="submit">
            {t('audit.filter')}
          </Button>
          <Button href={`/api/v1/audit-log/export${qs({ ...filters, lang })}`} download="audit-log.csv" data-testid="audit-export">
            {t('audit.downloadCsv')}
          </Button>
        </Space>
      </Form>
      <ErrorAlert error={log.error} />
      <AuditTable rows={itemsOf(log.data)} loading={log.isLoading} testId={testId} />
      <Space style={{ marginTop: 8 }}>
        <Button disabled={!pages.length} onClick={() => setPages((p) => p.slice(0, -1))}>
          {t('common.newer')}
        </Button>
        <Button disabled={!log.data?.nextCursor} onClick={() => setPages((p) => [...p, String(log.data?.nextCursor)])}>
          {t('common.older')}
        </Button>
      </Space>
    </>
  );
}

/** The operator's audit page: everything, filtered by name. */
export function AuditLogPage() {
  const { t } = useTranslation();
  return (
    <>
      <PageTitle>{t('audit.title')}</PageTitle>
      <AuditLog />
    </>
  );
}
