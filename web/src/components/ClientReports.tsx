import { useQuery } from '@tanstack/react-query';
import { Segmented, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api/client.ts';
import { itemsOf, type Item, type Res } from '../api/types.ts';
import { formatDateTime, formatNumber } from '../lib/format.ts';
import { ErrorAlert } from './common.tsx';

type Reports = Res<'/api/v1/client-reports'>;
type Row = Item<Reports>;

const SEVERITY_COLOUR: Record<string, string> = { Info: 'blue', Warning: 'gold', Error: 'red' };

/**
 * What an app's client reported through the data API (`POST /log`, `POST /statistics`), newest
 * first. The server decides what the reader sees: the operator every report, a school admin those
 * concerning their institutions, naming only those (`school` says so to the reader).
 */
export function ClientReportsTable({ appId, school = false }: { appId: string; school?: boolean }) {
  const { t } = useTranslation();
  const [kind, setKind] = useState<'log' | 'statistics'>('log');
  const reports = useQuery({
    queryKey: ['client-reports', appId, kind],
    queryFn: () => api.get<Reports>(`/client-reports${qs({ appId, kind })}`),
  });
  return (
    <>
      <ErrorAlert error={reports.error} />
      <Typography.Paragraph type="secondary">
        {t('clientReports.intro')}
        {school && ` ${t('clientReports.yourInstitutions')}`}
      </Typography.Paragraph>
      <Segmented
        style={{ marginBottom: 12 }}
        value={kind}
        onChange={(v) => setKind(v as 'log' | 'statistics')}
        options={[
          { value: 'log', label: t('clientReports.log') },
          { value: 'statistics', label: t('clientReports.statistics') },
        ]}
      />
      <Table<Row>
        data-testid="client-reports-table"
        rowKey="id"
        size="small"
        loading={reports.isLoading}
        dataSource={itemsOf(reports.data)}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: t('clientReports.empty') }}
        columns={[
          { title: t('clientReports.receivedAt'), dataIndex: 'receivedAt', render: (d: string) => formatDateTime(d) },
          { title: t('clientReports.institutions'), dataIndex: 'institutionNumbers', render: (list: string[]) => list.join(', ') },
          { title: t('clientReports.resourceType'), dataIndex: 'resourceType', render: (r: string | null) => r ?? '' },
          ...(kind === 'log'
            ? [
                {
                  title: t('clientReports.severity'),
                  dataIndex: 'severityLevel',
                  render: (s: string | null) => (s ? <Tag color={SEVERITY_COLOUR[s]}>{t(`clientReports.severities.${s}`, s)}</Tag> : ''),
                },
                {
                  title: t('clientReports.message'),
                  key: 'message',
                  render: (_: unknown, r: Row) => (
                    <>
                      {r.messageType && <Typography.Text code>{r.messageType}</Typography.Text>} {r.message}
                      {r.resourceUrl && (
                        <div>
                          <Typography.Text type="secondary" style={{ wordBreak: 'break-all' }}>
                            {r.resourceUrl}
                          </Typography.Text>
                        </div>
                      )}
                    </>
                  ),
                },
              ]
            : [
                { title: t('clientReports.newCount'), dataIndex: 'newCount', align: 'right' as const, render: (n: number | null) => formatNumber(n) },
                { title: t('clientReports.updatedCount'), dataIndex: 'updatedCount', align: 'right' as const, render: (n: number | null) => formatNumber(n) },
                { title: t('clientReports.deletedCount'), dataIndex: 'deletedCount', align: 'right' as const, render: (n: number | null) => formatNumber(n) },
              ]),
          {
            title: t('clientReports.occurredAt'),
            dataIndex: 'timeOfOccurance',
            render: (d: string | null) => (d ? formatDateTime(d) : ''),
          },
        ]}
      />
    </>
  );
}
