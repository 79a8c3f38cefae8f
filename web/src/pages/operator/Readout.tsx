import { useQuery } from '@tanstack/react-query';
import { Alert, Card, Descriptions, Select, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, qs } from '../../api/client.ts';
import type { Res } from '../../api/types.ts';
import { ChartFigure } from '../../components/charts/Charts.tsx';
import { ErrorAlert, Loading, PageTitle } from '../../components/common.tsx';
import { formatDateTime, formatNumber } from '../../lib/format.ts';
import i18n from '../../i18n.ts';

type Runs = Res<'/api/v1/operator/readout/runs'>;
type Run = Runs['data'][number];
type Customers = Res<'/api/v1/operator/readout/customers'>;
type Detail = Res<'/api/v1/operator/readout/runs/{runId}'>;
type CategoryRow = Detail['categories'][number];
type WarningRow = Detail['warnings'][number];
/** A row of the change table: added, updated (none for memberships) and removed. */
type ChangeRow = { what: string; added: number; updated: number | null; removed: number; renamed?: number };

/** The readout's categories in the order of its report. */
const CATEGORIES = ['schools', 'students', 'staff', 'guardians', 'groups', 'memberships'] as const;
type Category = (typeof CATEGORIES)[number];
/** antd's small labels are too light for WCAG AA contrast (3.4:1): darker grey, 7:1. */
const DESCRIPTION_STYLES = { label: { color: '#595959' } };
/** Runs the chart shows, the newest last. */
const CHART_RUNS = 30;

const STATUS_COLOURS: Record<string, string> = { running: 'blue', succeeded: 'green', failed: 'red' };
// Colours whose text meets WCAG AA contrast (see styles.css).
const CHANGE_COLOURS: Record<string, string> = { first_run: 'purple', changed: 'blue', no_change: 'default' };

/** A duration in the reader's language: seconds under two minutes, else minutes and seconds. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  const lang = i18n.resolvedLanguage ?? 'en';
  const unit = (value: number, u: 'second' | 'minute', digits = 0) =>
    new Intl.NumberFormat(lang, { style: 'unit', unit: u, unitDisplay: 'short', maximumFractionDigits: digits }).format(value);
  if (ms < 120_000) return unit(ms / 1000, 'second', ms < 10_000 ? 1 : 0);
  return `${unit(Math.floor(ms / 60_000), 'minute')} ${unit(Math.round((ms % 60_000) / 1000), 'second')}`;
}

function StatusOf({ status }: { status: string }) {
  const { t } = useTranslation();
  return <Tag color={STATUS_COLOURS[status] ?? 'default'}>{t(`readout.statuses.${status}`, status)}</Tag>;
}

/** How the run read the source (full or the changes) and what its files changed. */
function ModeOf({ run }: { run: Pick<Run, 'mode' | 'change'> }) {
  const { t } = useTranslation();
  return (
    <Space size={4} wrap>
      {run.mode && <Tag>{t(`readout.modes.${run.mode}`, run.mode)}</Tag>}
      {run.change && <Tag color={CHANGE_COLOURS[run.change]}>{t(`readout.changes.${run.change}`, run.change)}</Tag>}
    </Space>
  );
}

/**
 * The readout's runs for the operator (issue 13 point 6): per customer, a chart of the kept counts
 * over the last runs and the list of runs (time, how the source was read, what changed, status,
 * duration, kept counts), each opening its report.
 */
export function ReadoutPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const customers = useQuery({ queryKey: ['operator', 'readout', 'customers'], queryFn: () => api.get<Customers>('/operator/readout/customers') });
  // The customer run last comes first.
  const known = [...(customers.data?.data ?? [])].sort((a, b) => b.lastRun.startedAt.localeCompare(a.lastRun.startedAt));
  const customer = params.get('customer') ?? known[0]?.customer;
  const category = (CATEGORIES as readonly string[]).includes(params.get('category') ?? '') ? (params.get('category') as Category) : 'students';
  const runs = useQuery({
    queryKey: ['operator', 'readout', 'runs', customer],
    queryFn: () => api.get<Runs>(`/operator/readout/runs${qs({ customer, limit: 100 })}`),
    enabled: customer !== undefined,
  });
  const history = useQuery({
    queryKey: ['operator', 'readout', 'runs', customer, 'succeeded'],
    queryFn: () => api.get<Runs>(`/operator/readout/runs${qs({ customer, status: 'succeeded', limit: CHART_RUNS })}`),
    enabled: customer !== undefined,
  });
  const set = (key: string, value: string) => setParams((p) => ({ ...Object.fromEntries(p), [key]: value }));
  const points = [...(history.data?.data ?? [])].reverse().filter((r) => r.kept);
  const label = (r: Run) => formatDateTime(r.startedAt);
  const latest = points.at(-1);
  const categoryName = t(`readout.categories.${category}`);

  return (
    <>
      <PageTitle
        extra={
          known.length > 0 && (
            <Select
              aria-label={t('readout.customer')}
              data-testid="readout-customer"
              value={customer}
              style={{ minWidth: 180, maxWidth: '100%' }}
              onChange={(c: string) => setParams({ customer: c })}
              options={known.map((c) => ({ value: c.customer, label: c.customer }))}
            />
          )
        }
      >
        {t('readout.title')}
      </PageTitle>
      <Typography.Paragraph type="secondary">{t('readout.intro')}</Typography.Paragraph>
      <ErrorAlert error={customers.error ?? runs.error ?? history.error} />
      {customers.isLoading && <Loading />}
      {customers.data && known.length === 0 && <Alert type="info" showIcon title={t('readout.noRuns')} data-testid="readout-empty" />}
      {customer !== undefined && (
        <Space direction="vertical" size="middle" style={{ width: '100%' }}>
          <Card size="small">
            <Space wrap style={{ marginBottom: 8 }}>
              <Typography.Text>{t('common.label', { text: t('readout.chartCategory') })}</Typography.Text>
              <Select
                aria-label={t('readout.chartCategory')}
                data-testid="readout-category"
                value={category}
                style={{ minWidth: 160 }}
                onChange={(c: string) => set('category', c)}
                options={CATEGORIES.map((c) => ({ value: c, label: t(`readout.categories.${c}`) }))}
              />
            </Space>
            {history.data && (
              <ChartFigure
                testId="readout-chart"
                title={t('readout.chartTitle', { category: categoryName })}
                summary={
                  latest
                    ? t('readout.chartSummary', {
                        count: points.length,
                        runs: formatNumber(points.length),
                        category: categoryName,
                        first: formatNumber(points[0]!.kept![category]),
                        last: formatNumber(latest.kept![category]),
                      })
                    : t('readout.chartNone')
                }
                kind="line"
                height={220}
                data={points.map((r) => ({ x: label(r), y: r.kept![category] }))}
                format={formatNumber}
                table={
                  <Table<Run>
                    size="small"
                    data-testid="readout-chart-rows"
                    rowKey="id"
                    scroll={{ x: 'max-content' }}
                    pagination={{ pageSize: CHART_RUNS, hideOnSinglePage: true }}
                    dataSource={[...points].reverse()}
                    columns={[
                      { title: t('readout.startedAt'), dataIndex: 'startedAt', render: (_: string, r) => label(r) },
                      ...CATEGORIES.map((c) => ({
                        title: t(`readout.categories.${c}`),
                        key: c,
                        align: 'right' as const,
                        render: (_: unknown, r: Run) => formatNumber(r.kept?.[c]),
                      })),
                    ]}
                  />
                }
              />
            )}
          </Card>
          <Table<Run>
            data-testid="readout-runs"
            rowKey="id"
            size="small"
            scroll={{ x: 'max-content' }}
            loading={runs.isLoading}
            dataSource={runs.data?.data ?? []}
            pagination={{ pageSize: 25, hideOnSinglePage: true }}
            locale={{ emptyText: t('readout.noRuns') }}
            columns={[
              {
                title: t('readout.startedAt'),
                dataIndex: 'startedAt',
                render: (_: string, r) => <Link to={`/operator/readout/runs/${r.id}`}>{formatDateTime(r.startedAt)}</Link>,
              },
              { title: t('readout.mode'), key: 'mode', render: (_: unknown, r) => <ModeOf run={r} /> },
              {
                title: t('readout.status'),
                dataIndex: 'status',
                render: (s: string, r) => (
                  <Space size={4} wrap>
                    <StatusOf status={s} />
                    {r.warningCount > 0 && <Tag color="orange">{t('readout.warningCount', { count: r.warningCount, n: formatNumber(r.warningCount) })}</Tag>}
                  </Space>
                ),
              },
              { title: t('readout.duration'), dataIndex: 'durationMs', align: 'right', render: (ms: number | null) => formatDuration(ms) },
              ...CATEGORIES.map((c) => ({
                title: t(`readout.categories.${c}`),
                key: c,
                align: 'right' as const,
                render: (_: unknown, r: Run) => formatNumber(r.kept?.[c]),
              })),
            ]}
          />
        </Space>
      )}
    </>
  );
}

/** One run's report: what was kept and excluded by which rule, the change, the warnings and the files. */
export function ReadoutRunPage() {
  const { t } = useTranslation();
  const { runId } = useParams();
  const detail = useQuery({ queryKey: ['operator', 'readout', 'run', runId], queryFn: () => api.get<Detail>(`/operator/readout/runs/${runId}`) });
  const d = detail.data;
  if (detail.isLoading) return <Loading />;
  if (!d) return <ErrorAlert error={detail.error} />;
  const run = d.run;
  const delta = d.delta;
  const signed = (n: number) => (n > 0 ? `+${formatNumber(n)}` : n < 0 ? `−${formatNumber(-n)}` : '±0');
  return (
    <>
      <PageTitle>{t('readout.runTitle', { customer: run.customer, started: formatDateTime(run.startedAt) })}</PageTitle>
      <Typography.Paragraph>
        <Link to={`/operator/readout${qs({ customer: run.customer })}`}>{t('readout.back')}</Link>
      </Typography.Paragraph>
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <Card size="small">
          <Descriptions size="small" column={{ xs: 1, md: 2 }} styles={DESCRIPTION_STYLES} data-testid="readout-run-facts">
            <Descriptions.Item label={t('readout.status')}>
              <StatusOf status={run.status} />
            </Descriptions.Item>
            <Descriptions.Item label={t('readout.mode')}>
              <ModeOf run={run} />
            </Descriptions.Item>
            <Descriptions.Item label={t('readout.startedAt')}>{formatDateTime(run.startedAt)}</Descriptions.Item>
            <Descriptions.Item label={t('readout.finishedAt')}>{formatDateTime(run.finishedAt)}</Descriptions.Item>
            <Descriptions.Item label={t('readout.duration')}>
              {formatDuration(run.durationMs)}
              {d.fetchMs !== null &&
                d.processMs !== null &&
                ` (${t('readout.split', { fetch: formatDuration(d.fetchMs), process: formatDuration(d.processMs) })})`}
            </Descriptions.Item>
            <Descriptions.Item label={t('readout.trigger')}>{t(`readout.triggers.${String(run.trigger)}`, String(run.trigger))}</Descriptions.Item>
            {d.today && <Descriptions.Item label={t('readout.today')}>{d.today}</Descriptions.Item>}
            {d.fallbackReason && <Descriptions.Item label={t('readout.fallbackReason')}>{d.fallbackReason}</Descriptions.Item>}
            {run.outputPath && (
              <Descriptions.Item label={t('readout.outputPath')}>
                <Typography.Text code copyable>
                  {run.outputPath}
                </Typography.Text>
              </Descriptions.Item>
            )}
          </Descriptions>
          {run.error && <Alert type="error" showIcon title={t('readout.failed')} description={run.error} data-testid="readout-run-error" />}
        </Card>

        {d.categories.length > 0 && (
          <Card size="small" title={t('readout.countsTitle')}>
            <Table<CategoryRow>
              data-testid="readout-counts"
              rowKey="category"
              size="small"
              pagination={false}
              scroll={{ x: 'max-content' }}
              dataSource={d.categories}
              columns={[
                { title: '', dataIndex: 'category', render: (c: string) => t(`readout.categories.${c}`, c) },
                { title: t('readout.kept'), dataIndex: 'kept', align: 'right', render: (n: number) => formatNumber(n) },
                {
                  title: t('readout.sinceLast'),
                  key: 'since',
                  align: 'right',
                  render: (_: unknown, r) => (r.keptBefore === null ? '' : signed(r.kept - r.keptBefore)),
                },
                { title: t('readout.excluded'), dataIndex: 'excluded', align: 'right', render: (n: number) => formatNumber(n) },
                {
                  title: t('readout.byRule'),
                  key: 'rules',
                  render: (_: unknown, r) =>
                    r.rules.length === 0 ? (
                      '—'
                    ) : (
                      <ul className="plain-list" style={{ margin: 0, paddingLeft: 0, listStyle: 'none' }}>
                        {r.rules.map((x: CategoryRow['rules'][number]) => (
                          <li key={x.rule}>
                            <Typography.Text code>{x.rule}</Typography.Text> {formatNumber(x.excluded)}
                          </li>
                        ))}
                      </ul>
                    ),
                },
              ]}
            />
            {d.output && (
              <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
                {t('readout.written', {
                  schools: formatNumber(d.output.schools),
                  people: formatNumber(d.output.people),
                  teams: formatNumber(d.output.teams),
                  memberships: formatNumber(d.output.memberships),
                })}
              </Typography.Paragraph>
            )}
          </Card>
        )}

        {delta && (
          <Card size="small" title={t('readout.changeTitle')}>
            {d.previous && (
              <Typography.Paragraph type="secondary">
                {t('readout.against')} <Link to={`/operator/readout/runs/${d.previous.id}`}>{formatDateTime(d.previous.startedAt)}</Link>
              </Typography.Paragraph>
            )}
            {delta.firstRun ? (
              <Typography.Paragraph data-testid="readout-first-run">{t('readout.firstRun')}</Typography.Paragraph>
            ) : (
              <Table<ChangeRow>
                data-testid="readout-change"
                rowKey="what"
                size="small"
                pagination={false}
                scroll={{ x: 'max-content' }}
                dataSource={[
                  { what: t('readout.people'), added: delta.people.added, updated: delta.people.updated, removed: delta.people.removed },
                  { what: t('readout.categories.schools'), added: delta.schools.added, updated: delta.schools.updated, removed: delta.schools.removed },
                  {
                    what: t('readout.teams'),
                    added: delta.teams.created,
                    updated: delta.teams.updated,
                    removed: delta.teams.removed,
                    renamed: delta.teams.renamed,
                  },
                  { what: t('readout.categories.memberships'), added: delta.memberships.added, updated: null, removed: delta.memberships.removed },
                ]}
                columns={[
                  { title: '', dataIndex: 'what' },
                  { title: t('readout.added'), dataIndex: 'added', align: 'right', render: (n: number) => formatNumber(n) },
                  {
                    title: t('readout.updated'),
                    dataIndex: 'updated',
                    align: 'right',
                    render: (n: number | null, r) =>
                      n === null ? '—' : r.renamed ? t('readout.updatedRenamed', { n: formatNumber(n), renamed: formatNumber(r.renamed) }) : formatNumber(n),
                  },
                  { title: t('readout.removed'), dataIndex: 'removed', align: 'right', render: (n: number) => formatNumber(n) },
                ]}
              />
            )}
          </Card>
        )}

        <Card size="small" title={t('readout.warningsTitle')}>
          <Table<WarningRow>
            data-testid="readout-warnings"
            rowKey={(w) => `${w.code}:${w.message}`}
            size="small"
            pagination={false}
            scroll={{ x: 'max-content' }}
            dataSource={d.warnings}
            locale={{ emptyText: t('readout.noWarnings') }}
            columns={[
              { title: t('readout.warning'), dataIndex: 'code', render: (c: string) => <Typography.Text code>{c}</Typography.Text> },
              { title: t('readout.count'), dataIndex: 'count', align: 'right', render: (n: number) => formatNumber(n) },
              { title: t('readout.what'), dataIndex: 'message' },
              { title: t('readout.affects'), dataIndex: 'affects', render: (a: string[]) => (a.length ? a.join('; ') : '—') },
              {
                title: t('readout.examples'),
                dataIndex: 'examples',
                render: (e: string[]) =>
                  e.length
                    ? e.map((x) => (
                        <Typography.Text code key={x}>
                          {x}
                        </Typography.Text>
                      ))
                    : '—',
              },
            ]}
          />
          {d.notes.length > 0 && (
            <details style={{ marginTop: 8 }}>
              <summary>{t('readout.notes', { n: formatNumber(d.notes.length) })}</summary>
              <ul data-testid="readout-notes">
                {d.notes.map((n: string, i: number) => (
                  <li key={i}>{n}</li>
                ))}
              </ul>
            </details>
          )}
        </Card>

        {d.files.length > 0 && (
          <Card size="small" title={t('readout.filesTitle')}>
            <Table
              data-testid="readout-files"
              rowKey="name"
              size="small"
              pagination={false}
              dataSource={d.files}
              columns={[
                { title: t('readout.file'), dataIndex: 'name', render: (n: string) => <Typography.Text code>{n}</Typography.Text> },
                { title: t('readout.rows'), dataIndex: 'rows', align: 'right', render: (n: number) => formatNumber(n) },
              ]}
            />
          </Card>
        )}

        {d.source && (
          <Card size="small" title={t('readout.sourceTitle')}>
            <Descriptions size="small" column={{ xs: 1, md: 2 }} styles={DESCRIPTION_STYLES}>
              <Descriptions.Item label={t('readout.requests')}>{formatNumber(d.source.requests)}</Descriptions.Item>
              <Descriptions.Item label={t('readout.retries')}>{formatNumber(d.source.retries)}</Descriptions.Item>
              <Descriptions.Item label={t('readout.pages')}>{formatNumber(d.source.pages)}</Descriptions.Item>
              <Descriptions.Item label={t('readout.records')}>{formatNumber(d.source.records)}</Descriptions.Item>
              {d.source.tokenAuth && (
                <Descriptions.Item label={t('readout.tokenAuth')}>
                  {d.source.tokenAuth.used} ({d.source.tokenAuth.how})
                </Descriptions.Item>
              )}
              {d.source.changed && (
                <Descriptions.Item label={t('readout.changedRecords')}>
                  {Object.entries(d.source.changed)
                    .map(([e, n]) => `${e} ${formatNumber(n)}`)
                    .join(', ')}
                </Descriptions.Item>
              )}
              {d.source.deleted && (
                <Descriptions.Item label={t('readout.deletedRecords')}>
                  {Object.entries(d.source.deleted)
                    .map(([e, n]) => `${e} ${formatNumber(n)}`)
                    .join(', ')}
                </Descriptions.Item>
              )}
            </Descriptions>
          </Card>
        )}
      </Space>
    </>
  );
}
