import { useQuery } from '@tanstack/react-query';
import { Input, Space, Table, Tabs, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, qs } from '../../api/client.ts';
import { itemsOf, type Item, type Res } from '../../api/types.ts';
import { Check, ErrorAlert, PageTitle, StatusTag } from '../../components/common.tsx';
import { byText, formatDate, formatDateTime, known } from '../../lib/format.ts';
import { purposeFor, type Purposes } from '../../lib/purposes.ts';

type AppsAnswer = Res<'/api/v1/school/apps'>;
type AppRow = Item<AppsAnswer>;
type AccessAnswer = Res<'/api/v1/school/api-access'>;
type AccessRow = Item<AccessAnswer>;
type AccreditedAnswer = Res<'/api/v1/school/accredited-apps'>;
type AccreditedRow = Item<AccreditedAnswer>;
type SwitchInfo = AppRow['switch'];

/** The on/off state of an app for the admin's institutions, with the latest switch and its reason. */
export function SwitchStateTag({ info }: { info: SwitchInfo }) {
  const { t } = useTranslation();
  const color = { on: 'green', off: 'red', partly_off: 'orange', not_granted: 'default' }[info.state];
  return (
    <Space direction="vertical" size={0} data-testid="switch-state" data-state={info.state}>
      <Tag color={color}>{t(`magister.state.${info.state}`)}</Tag>
      {info.lastChange?.reason && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('magister.switch.lastReason', { reason: info.lastChange.reason })}
        </Typography.Text>
      )}
    </Space>
  );
}

const uniq = (values: string[]) => [...new Set(values)].sort((a, b) => a.localeCompare(b)).map((v) => ({ text: v, value: v }));

/**
 * Apps: the admin's apps (Informat manual §3.1: apps with access to their institutions, with the
 * on/off state) and the accredited apps to enable without an invitation (issue 14, Magister's flow).
 */
export function SchoolAppsPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const view = params.get('view') === 'accredited' ? 'accredited' : 'mine';
  return (
    <Tabs
      activeKey={view}
      onChange={(k) => setParams(k === 'accredited' ? { view: k } : {}, { replace: true })}
      items={[
        { key: 'mine', label: t('magister.tabs.mine'), children: <MyApps /> },
        { key: 'accredited', label: t('magister.tabs.accredited'), children: <AccreditedApps /> },
      ]}
    />
  );
}

/** The accredited apps: what each may read and why, searchable; open one to enable it. */
function AccreditedApps() {
  const { t, i18n } = useTranslation();
  const [q, setQ] = useState('');
  const needle = q.trim();
  const apps = useQuery({
    queryKey: ['school', 'accredited', needle],
    queryFn: () => api.get<AccreditedAnswer>(`/school/accredited-apps${qs({ q: needle || undefined })}`),
  });
  const columns: ColumnsType<AccreditedRow> = [
    {
      title: t('magister.accredited.app'),
      key: 'name',
      render: (_: unknown, r) => (
        <Space direction="vertical" size={0}>
          <Link to={`/school/apps/${r.id}`}>{r.name}</Link>
          <Typography.Text type="secondary">{r.description}</Typography.Text>
        </Space>
      ),
    },
    { title: t('magister.accredited.partner'), key: 'partner', render: (_: unknown, r) => r.partner.name },
    {
      title: t('magister.accredited.apis'),
      key: 'apis',
      render: (_: unknown, r) => (
        <Space direction="vertical">
          {r.apis.map((x) => (
            <div key={x.code}>
              <strong>{known(`apis.${x.code}`, x.name)}</strong>
              <div>
                {x.dataCategories.map((c: string) => (
                  <Tag key={c}>{known(`categories.${c}`, c)}</Tag>
                ))}
              </div>
              <div>{purposeFor(x.purposes as Purposes, i18n.language, x.purpose)}</div>
            </div>
          ))}
        </Space>
      ),
    },
    { title: t('magister.accredited.approvedAt'), key: 'approvedAt', render: (_: unknown, r) => formatDate(r.approvedAt) },
    { title: t('magister.accredited.state'), key: 'switch', render: (_: unknown, r) => <SwitchStateTag info={r.switch} /> },
    {
      title: '',
      key: 'open',
      render: (_: unknown, r) => (
        <Link to={`/school/apps/${r.id}`} aria-label={`${t('magister.accredited.open')} ${r.name}`}>
          {t('magister.accredited.open')}
        </Link>
      ),
    },
  ];
  return (
    <>
      <p>{t('magister.accredited.intro')}</p>
      <Input.Search
        aria-label={t('magister.accredited.search')}
        placeholder={t('magister.accredited.search')}
        allowClear
        onSearch={(v) => setQ(v)}
        onChange={(e) => {
          if (!e.target.value) setQ('');
        }}
        style={{ maxWidth: 480, marginBottom: 16 }}
        data-testid="accredited-search"
      />
      <ErrorAlert error={apps.error} />
      <Table<AccreditedRow>
        data-testid="accredited-apps-table"
        rowKey="id"
        loading={apps.isLoading}
        columns={columns}
        dataSource={itemsOf(apps.data)}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: t('magister.accredited.empty') }}
        scroll={{ x: true }}
      />
    </>
  );
}

/** The admin's apps: those with access (or switched off) in their institutions. */
function MyApps() {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const apps = useQuery({ queryKey: ['school', 'apps'], queryFn: () => api.get<AppsAnswer>('/school/apps') });
  const all = itemsOf(apps.data);
  const rows = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return needle ? all.filter((a: AppRow) => `${a.name} ${a.partner.name} ${a.clientId}`.toLowerCase().includes(needle)) : all;
  }, [all, q]);

  const columns: ColumnsType<AppRow> = [
    {
      title: t('school.apps.app'),
      dataIndex: 'name',
      sorter: (a, b) => byText(a.name, b.name),
      defaultSortOrder: 'ascend',
      render: (_: unknown, r) => <Link to={`/school/apps/${r.id}`}>{r.name}</Link>,
    },
    {
      title: t('school.apps.status'),
      dataIndex: 'status',
      filters: uniq(all.map((a: AppRow) => a.status)).map((f) => ({ ...f, text: t(`status.${f.value}`) })),
      onFilter: (v, r) => r.status === v,
      sorter: (a, b) => byText(a.status, b.status),
      render: (s: string) => <StatusTag status={s} />,
    },
    {
      title: t('school.apps.partner'),
      key: 'partner',
      filters: uniq(all.map((a: AppRow) => a.partner.name)),
      onFilter: (v, r) => r.partner.name === v,
      sorter: (a, b) => byText(a.partner.name, b.partner.name),
      render: (_: unknown, r) => r.partner.name,
    },
    {
      title: t('school.apps.client'),
      dataIndex: 'clientId',
      ellipsis: { showTitle: false },
      render: (c: string) => (
        <Tooltip title={c}>
          <code>{c}</code>
        </Tooltip>
      ),
    },
    {
      title: t('school.apps.active'),
      dataIndex: 'active',
      filters: [
        { text: t('common.yes'), value: true },
        { text: t('common.no'), value: false },
      ],
      onFilter: (v, r) => r.active === v,
      render: (a: boolean) => <Check value={a} />,
    },
    {
      title: t('school.apps.api'),
      key: 'apis',
      filters: uniq(all.flatMap((a: AppRow) => a.apis.map((x: { name: string }) => x.name))),
      onFilter: (v, r) => r.apis.some((x: { name: string }) => x.name === v),
      render: (_: unknown, r) => r.apis.map((x: { code: string; name: string }) => known(`apis.${x.code}`, x.name)).join(', '),
    },
    {
      title: t('school.apps.created'),
      dataIndex: 'createdAt',
      sorter: (a, b) => byText(String(a.createdAt), String(b.createdAt)),
      render: (d: string) => formatDateTime(d),
    },
    {
      title: t('school.apps.modified'),
      dataIndex: 'modifiedAt',
      sorter: (a, b) => byText(String(a.modifiedAt), String(b.modifiedAt)),
      render: (d: string) => formatDateTime(d),
    },
    {
      title: t('magister.accredited.state'),
      key: 'switch',
      filters: (['on', 'off', 'partly_off'] as const).map((v) => ({ text: t(`magister.state.${v}`), value: v })),
      onFilter: (v, r) => r.switch.state === v,
      render: (_: unknown, r) => <SwitchStateTag info={r.switch} />,
    },
  ];

  return (
    <>
      <PageTitle
        extra={
          <Input.Search
            aria-label={t('common.search')}
            placeholder={t('common.search')}
            allowClear
            onChange={(e) => setQ(e.target.value)}
            style={{ width: 280 }}
          />
        }
      >
        {t('school.apps.title')}
      </PageTitle>
      <p>{t('school.apps.intro')}</p>
      <ErrorAlert error={apps.error} />
      <Table<AppRow>
        data-testid="school-apps-table"
        rowKey="id"
        loading={apps.isLoading}
        columns={columns}
        dataSource={rows}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: t('school.apps.empty') }}
        showSorterTooltip={false}
      />
    </>
  );
}

/** API access (manual §3.2): every grant in the admin's institutions and access groups. */
export function SchoolApiAccessPage() {
  const { t } = useTranslation();
  const access = useQuery({ queryKey: ['school', 'api-access'], queryFn: () => api.get<AccessAnswer>('/school/api-access') });
  const all = itemsOf(access.data);
  const columns: ColumnsType<AccessRow> = [
    {
      title: t('school.access.api'),
      key: 'api',
      filters: uniq(all.map((r: AccessRow) => r.api.name)),
      onFilter: (v, r) => r.api.name === v,
      sorter: (a, b) => byText(a.api.name, b.api.name),
      render: (_: unknown, r) => known(`apis.${r.api.code}`, r.api.name),
    },
    {
      title: t('school.access.institution'),
      key: 'institution',
      sorter: (a, b) => byText(a.institution?.label, b.institution?.label),
      filters: uniq(all.flatMap((r: AccessRow) => (r.institution ? [r.institution.label] : []))),
      onFilter: (v, r) => r.institution?.label === v,
      render: (_: unknown, r) => r.institution?.label ?? '',
    },
    { title: t('school.access.accessGroup'), key: 'group', render: (_: unknown, r) => r.accessGroup?.name ?? '' },
    {
      title: t('school.access.client'),
      key: 'client',
      ellipsis: { showTitle: false },
      render: (_: unknown, r) =>
        r.app ? (
          <code>{r.client.id}</code>
        ) : (
          <Link to={`/school/clients/${r.client.id}`}>
            <code>{r.client.id}</code>
          </Link>
        ),
    },
    {
      title: t('school.access.app'),
      key: 'app',
      sorter: (a, b) => byText(a.app?.name, b.app?.name),
      render: (_: unknown, r) => (r.app ? <Link to={`/school/apps/${r.app.id}`}>{r.app.name}</Link> : <Tag>{t('school.access.noApp')}</Tag>),
    },
    { title: t('school.access.status'), key: 'status', render: (_: unknown, r) => (r.status ? <StatusTag status={r.status} /> : '') },
    {
      title: t('school.access.partner'),
      key: 'partner',
      filters: uniq(all.flatMap((r: AccessRow) => (r.partner ? [r.partner.name] : []))),
      onFilter: (v, r) => r.partner?.name === v,
      render: (_: unknown, r) => r.partner?.name ?? '',
    },
  ];
  return (
    <>
      <PageTitle>{t('school.access.title')}</PageTitle>
      <p>{t('school.access.intro')}</p>
      <ErrorAlert error={access.error} />
      <Space direction="vertical" style={{ width: '100%' }}>
        <Table<AccessRow>
          data-testid="school-access-table"
          rowKey={(r) => `${r.api.code}:${r.institution?.number ?? r.accessGroup?.id}:${r.client.id}`}
          loading={access.isLoading}
          columns={columns}
          dataSource={all}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          locale={{ emptyText: t('school.access.empty') }}
          showSorterTooltip={false}
        />
      </Space>
    </>
  );
}
