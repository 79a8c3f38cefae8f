import { useQuery } from '@tanstack/react-query';
import { Select, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { Link } from 'react-router';
import { api, qs } from '../../api/client.ts';
import type { Res } from '../../api/types.ts';
import { formatDate, formatNumber } from '../../lib/format.ts';
import { ErrorAlert } from '../common.tsx';
import { ChartFigure, type Point } from './Charts.tsx';

type Reads = Res<'/api/v1/stats/reads'>;

/** The windows offered, in days up to today. */
export const PERIODS = [7, 30, 90, 365] as const;

const DAY_MS = 86_400_000;

/** Every day from `from` to `to` (YYYY-MM-DD, both included). */
export function daysOf(from: string, to: string): string[] {
  const out: string[] = [];
  for (let at = Date.parse(`${from}T00:00:00Z`); at <= Date.parse(`${to}T00:00:00Z`); at += DAY_MS) out.push(new Date(at).toISOString().slice(0, 10));
  return out;
}

/** A day as the axis shows it: short, in the reader's language ("10 Nov", "10 nov."). */
export function shortDay(day: string, language: string): string {
  return new Intl.DateTimeFormat(language, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
}

/** A day as the tables show it (noon, so no time zone moves it to another date). */
export const longDay = (day: string) => formatDate(`${day}T12:00:00`);

/** The period picker of the charts. */
export function PeriodPicker({ value, onChange }: { value: number; onChange: (days: number) => void }) {
  const { t } = useTranslation();
  return (
    <Select
      aria-label={t('charts.period')}
      value={value}
      onChange={onChange}
      style={{ width: 190 }}
      data-testid="chart-period"
      options={PERIODS.map((n) => ({ value: n, label: t('charts.lastDays', { n }) }))}
    />
  );
}

/** The sentence under a reads chart: total reads and records of the window, and its busiest day. */
export function readsSummary(days: { day: string; requests: number; records: number }[], t: TFunction): string {
  const total = days.reduce((n, r) => n + r.requests, 0);
  const count = formatNumber(days.length);
  if (total === 0) return t('charts.readsNone', { days: count });
  const busiest = [...days].sort((a, b) => b.requests - a.requests || a.day.localeCompare(b.day))[0]!;
  return t('charts.readsSummary', {
    reads: formatNumber(total),
    days: count,
    records: formatNumber(days.reduce((n, r) => n + r.records, 0)),
    day: longDay(busiest.day),
    max: formatNumber(busiest.requests),
  });
}

interface Row {
  key: string;
  day: string;
  appId: string | null;
  app: string;
  requests: number;
  records: number;
}

/**
 * Reads per day — of one app (`appId`), or of every app the reader may see, stacked per app
 * (`perApp`: the school admin's access log). The server scopes the numbers to the reader. The table
 * lists the days with reads; the summary names the total and the busiest day.
 */
export function ReadsPerDay({ appId, perApp = false, appLink }: { appId?: string; perApp?: boolean; appLink?: (appId: string) => string }) {
  const { t, i18n } = useTranslation();
  const [days, setDays] = useState(30);
  const reads = useQuery({
    queryKey: ['stats', 'reads', appId ?? null, days],
    queryFn: () => api.get<Reads>(`/stats/reads${qs({ appId, days })}`),
  });
  const language = i18n.resolvedLanguage ?? 'en';
  const answer = reads.data;
  const names = new Map((answer?.apps ?? []).map((a) => [a.id, a.name]));
  const nameOf = (id: string | null) => (id === null ? t('charts.noApp') : (names.get(id) ?? id));
  const rows: Row[] = (answer?.data ?? []).map((r) => ({ key: `${r.day}:${r.appId}`, ...r, app: nameOf(r.appId) }));
  const span = answer ? daysOf(answer.from, answer.to) : [];
  const perDay = new Map<string, number>();
  for (const r of rows) perDay.set(r.day, (perDay.get(r.day) ?? 0) + r.requests);
  const summary = readsSummary(
    span.map((day) => ({
      day,
      requests: perDay.get(day) ?? 0,
      records: rows.filter((r) => r.day === day).reduce((n, r) => n + r.records, 0),
    })),
    t,
  );

  // Every day on the axis, also without reads; per app, each app present in every day's stack.
  const series = perApp ? [...new Set(rows.map((r) => r.app))].sort((a, b) => a.localeCompare(b, language)) : [];
  const data: Point[] = span.flatMap((day) => {
    const x = shortDay(day, language);
    if (!perApp || series.length === 0) return [{ x, y: perDay.get(day) ?? 0 }];
    return series.map((s) => ({
      x,
      series: s,
      y: rows.filter((r) => r.day === day && r.app === s).reduce((n, r) => n + r.requests, 0),
    }));
  });

  const table = (
    <Table<Row>
      size="small"
      data-testid="reads-table"
      rowKey="key"
      dataSource={[...rows].sort((a, b) => b.day.localeCompare(a.day) || a.app.localeCompare(b.app, language))}
      pagination={{ pageSize: 31, hideOnSinglePage: true }}
      locale={{ emptyText: t('charts.readsNone', { days: formatNumber(span.length) }) }}
      columns={[
        { title: t('charts.day'), dataIndex: 'day', render: (d: string) => longDay(d) },
        ...(perApp
          ? [
              {
                title: t('charts.app'),
                dataIndex: 'app',
                render: (name: string, r: Row) => (r.appId && appLink ? <Link to={appLink(r.appId)}>{name}</Link> : name),
              },
            ]
          : []),
        { title: t('charts.reads'), dataIndex: 'requests', align: 'right' as const, render: (n: number) => formatNumber(n) },
        { title: t('charts.records'), dataIndex: 'records', align: 'right' as const, render: (n: number) => formatNumber(n) },
      ]}
    />
  );

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="small">
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Text type="secondary">
          {t('charts.readsIntro')} {answer && t('charts.timeZone', { timeZone: answer.timeZone })}
        </Typography.Text>
        <PeriodPicker value={days} onChange={setDays} />
      </Space>
      <ErrorAlert error={reads.error} />
      {answer && (
        <ChartFigure
          testId="reads-chart"
          title={t(perApp ? 'charts.perAppTitle' : 'charts.readsTitle')}
          summary={summary}
          kind="column"
          data={data}
          format={formatNumber}
          table={table}
        />
      )}
    </Space>
  );
}
