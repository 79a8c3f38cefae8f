import { useQuery } from '@tanstack/react-query';
import { Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api/client.ts';
import { itemsOf, type Item, type Res } from '../api/types.ts';
import { formatDate, formatNumber, known } from '../lib/format.ts';
import { ErrorAlert } from './common.tsx';
import { ReadsPerDay } from './charts/Reads.tsx';

type Daily = Res<'/api/v1/access-log/daily'>;
type Row = Item<Daily>;

/** The entity type an endpoint answers with (`/persons/{id}` → `persons`). */
const entityOf = (endpoint: string) => endpoint.split('/')[1] ?? '';

/**
 * What an app read: reads per day as a chart (with its table), then per day, institution, API and endpoint: the records of that institution it
 * received and their data categories (the server limits it to the reader's scope). Records an
 * answer embedded (expand) show as their own entity type under the endpoint that carried them.
 */
export function AccessLogTable({ appId }: { appId: string }) {
  const { t } = useTranslation();
  const log = useQuery({ queryKey: ['access-log', appId], queryFn: () => api.get<Daily>(`/access-log/daily${qs({ appId })}`) });
  return (
    <>
      <ReadsPerDay appId={appId} />
      <ErrorAlert error={log.error} />
      <Typography.Paragraph type="secondary" style={{ marginTop: 16 }}>
        {t('accessLog.intro')}
      </Typography.Paragraph>
      {/* Nothing read yet: a sentence, not seven empty columns squeezed onto a phone. */}
      {log.isSuccess && itemsOf(log.data).length === 0 ? (
        <Typography.Paragraph data-testid="access-log-empty">{t('accessLog.empty')}</Typography.Paragraph>
      ) : (
        <Table<Row>
          data-testid="access-log-table"
          rowKey={(r) => `${r.day}:${r.institutionNumber}:${r.api}:${r.endpoint}:${r.entity}`}
          size="small"
          loading={log.isLoading}
          dataSource={itemsOf(log.data)}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          locale={{ emptyText: t('accessLog.empty') }}
          columns={[
            { title: t('accessLog.day'), dataIndex: 'day', render: (d: string) => formatDate(`${d}T12:00:00`) },
            {
              title: t('accessLog.institution'),
              dataIndex: 'institutionNumber',
              render: (n: string | null, r) =>
                n ? (
                  <>
                    {n}{' '}
                    {r.sandbox && (
                      <Tag color="purple" data-testid="sandbox-tag">
                        {t('developers.sandboxTag')}
                      </Tag>
                    )}
                  </>
                ) : (
                  <Typography.Text type="secondary">{t(r.entity ? 'accessLog.noInstitution' : 'accessLog.nothingReleased')}</Typography.Text>
                ),
            },
            { title: t('accessLog.api'), dataIndex: 'api', render: (a: string | null) => (a ? known(`apis.${a}`, a) : '') },
            {
              title: t('accessLog.endpoint'),
              dataIndex: 'endpoint',
              render: (e: string, r) => (
                <>
                  <code>{e}</code>
                  {r.entity && r.entity !== entityOf(e) && <Tag style={{ marginLeft: 8 }}>{t('accessLog.embedded', { entity: r.entity })}</Tag>}
                </>
              ),
            },
            { title: t('accessLog.requests'), dataIndex: 'requests', align: 'right', render: (n: number) => formatNumber(n) },
            { title: t('accessLog.records'), dataIndex: 'records', align: 'right', render: (n: number) => formatNumber(n) },
            {
              title: t('accessLog.categories'),
              dataIndex: 'categories',
              render: (list: string[]) => list.map((c) => <Tag key={c}>{known(`categories.${c}`, c)}</Tag>),
            },
          ]}
        />
      )}
    </>
  );
}
