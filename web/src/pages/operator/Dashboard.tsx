import { useQuery } from '@tanstack/react-query';
import { Card, Col, Row, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../../api/client.ts';
import type { Res } from '../../api/types.ts';
import { ErrorAlert, PageTitle } from '../../components/common.tsx';
import { ChartFigure } from '../../components/charts/Charts.tsx';
import { longDay, PeriodPicker, readsSummary, shortDay } from '../../components/charts/Reads.tsx';
import { formatNumber } from '../../lib/format.ts';

type Dashboard = Res<'/api/v1/operator/dashboard'>;
type StatusRow = Dashboard['appsByStatus'][number];
type GrantRow = Dashboard['grants'][number];
type ReadRow = Dashboard['reads'][number];

/** The operator's overview (issue 14 point 9): apps by status, grants in force over time, reads per day. */
export function DashboardPage() {
  const { t, i18n } = useTranslation();
  const [days, setDays] = useState(30);
  const dashboard = useQuery({ queryKey: ['operator', 'dashboard', days], queryFn: () => api.get<Dashboard>(`/operator/dashboard${qs({ days })}`) });
  const language = i18n.resolvedLanguage ?? 'en';
  const d = dashboard.data;
  const day = (r: { day: string }) => shortDay(r.day, language);
  const withDays = (rows: { day: string }[]) => [...rows].reverse();

  return (
    <>
      <PageTitle extra={<PeriodPicker value={days} onChange={setDays} />}>{t('charts.dashboardTitle')}</PageTitle>
      <ErrorAlert error={dashboard.error} />
      {d && (
        <>
          <Typography.Paragraph type="secondary">{t('charts.timeZone', { timeZone: d.timeZone })}</Typography.Paragraph>
          <Row gutter={[16, 16]}>
            <Col xs={24} xl={12}>
              <Card size="small">
                <ChartFigure
                  testId="status-chart"
                  title={t('charts.statusTitle')}
                  summary={t('charts.statusSummary', {
                    total: formatNumber(d.appsByStatus.reduce((n, s) => n + s.count, 0)),
                    list: d.appsByStatus.map((s) => `${t(`status.${s.status}`)} ${formatNumber(s.count)}`).join(', '),
                  })}
                  kind="bar"
                  height={220}
                  data={d.appsByStatus.map((s) => ({ x: t(`status.${s.status}`), y: s.count }))}
                  format={formatNumber}
                  table={
                    <Table<StatusRow>
                      size="small"
                      data-testid="status-table"
                      rowKey="status"
                      pagination={false}
                      dataSource={d.appsByStatus}
                      columns={[
                        { title: t('charts.status'), dataIndex: 'status', render: (s: string) => t(`status.${s}`) },
                        { title: t('charts.apps'), dataIndex: 'count', align: 'right', render: (n: number) => formatNumber(n) },
                      ]}
                    />
                  }
                />
              </Card>
            </Col>
            <Col xs={24} xl={12}>
              <Card size="small">
                <ChartFigure
                  testId="grants-chart"
                  title={t('charts.grantsTitle')}
                  summary={t('charts.grantsSummary', {
                    now: formatNumber(d.grants.at(-1)?.inForce ?? 0),
                    given: formatNumber(d.grants.reduce((n, g) => n + g.given, 0)),
                  })}
                  note={t('charts.grantsNote')}
                  kind="line"
                  height={220}
                  data={d.grants.map((g) => ({ x: day(g), y: g.inForce }))}
                  format={formatNumber}
                  table={
                    <Table<GrantRow>
                      size="small"
                      data-testid="grants-table"
                      rowKey="day"
                      pagination={{ pageSize: 31, hideOnSinglePage: true }}
                      dataSource={withDays(d.grants) as GrantRow[]}
                      columns={[
                        { title: t('charts.day'), dataIndex: 'day', render: (v: string) => longDay(v) },
                        { title: t('charts.given'), dataIndex: 'given', align: 'right', render: (n: number) => formatNumber(n) },
                        { title: t('charts.inForce'), dataIndex: 'inForce', align: 'right', render: (n: number) => formatNumber(n) },
                      ]}
                    />
                  }
                />
              </Card>
            </Col>
            <Col xs={24}>
              <Card size="small">
                <ChartFigure
                  testId="reads-chart"
                  title={t('charts.readsTitle')}
                  summary={readsSummary(d.reads, t)}
                  note={t('charts.readsIntro')}
                  kind="column"
                  data={d.reads.map((r) => ({ x: day(r), y: r.requests }))}
                  format={formatNumber}
                  table={
                    <Table<ReadRow>
                      size="small"
                      data-testid="reads-table"
                      rowKey="day"
                      pagination={{ pageSize: 31, hideOnSinglePage: true }}
                      dataSource={withDays(d.reads) as ReadRow[]}
                      columns={[
                        { title: t('charts.day'), dataIndex: 'day', render: (v: string) => longDay(v) },
                        { title: t('charts.reads'), dataIndex: 'requests', align: 'right', render: (n: number) => formatNumber(n) },
                        { title: t('charts.records'), dataIndex: 'records', align: 'right', render: (n: number) => formatNumber(n) },
                      ]}
                    />
                  }
                />
              </Card>
            </Col>
          </Row>
        </>
      )}
    </>
  );
}
