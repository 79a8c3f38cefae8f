import { useQuery } from '@tanstack/react-query';
import { Table } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api/client.ts';
import { itemsOf, type Item, type Res } from '../api/types.ts';
import { formatDate, formatNumber } from '../lib/format.ts';
import { ErrorAlert } from './common.tsx';

type Daily = Res<'/api/v1/access-log/daily'>;
type Row = Item<Daily>;

/** What an app read, per day, institution and endpoint, and how much (the server limits it to the reader's scope). */
export function AccessLogTable({ appId }: { appId: string }) {
  const { t } = useTranslation();
  const log = useQuery({ queryKey: ['access-log', appId], queryFn: () => api.get<Daily>(`/access-log/daily${qs({ appId })}`) });
  return (
    <>
      <ErrorAlert error={log.error} />
      <Table<Row>
        data-testid="access-log-table"
        rowKey={(r) => `${r.day}:${r.institutionNumber}:${r.endpoint}`}
        size="small"
        loading={log.isLoading}
        dataSource={itemsOf(log.data)}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: t('accessLog.empty') }}
        columns={[
          { title: t('accessLog.day'), dataIndex: 'day', render: (d: string) => formatDate(`${d}T12:00:00`) },
          { title: t('accessLog.institution'), dataIndex: 'institutionNumber' },
          { title: t('accessLog.endpoint'), dataIndex: 'endpoint', render: (e: string) => <code>{e}</code> },
          { title: t('accessLog.requests'), dataIndex: 'requests', align: 'right', render: (n: number) => formatNumber(n) },
          { title: t('accessLog.records'), dataIndex: 'records', align: 'right', render: (n: number) => formatNumber(n) },
        ]}
      />
    </>
  );
}
