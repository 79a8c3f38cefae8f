import { useQuery } from '@tanstack/react-query';
import { Input, Space, Table, Tag, Tooltip } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api/client.ts';
import { itemsOf, type Item, type Res } from '../../api/types.ts';
import { Check, ErrorAlert, PageTitle, StatusTag } from '../../components/common.tsx';
import { byText, formatDateTime, known } from '../../lib/format.ts';

type AppsAnswer = Res<'/api/v1/school/apps'>;
type AppRow = Item<AppsAnswer>;
type AccessAnswer = Res<'/api/v1/school/api-access'>;
type AccessRow = Item<AccessAnswer>;

const uniq = (values: string[]) => [...new Set(values)].sort((a, b) => a.localeCompare(b)).map((v) => ({ text: v, value: v }));

/** Apps (Informat manual §3.1): the partner apps with access to the admin's institutions. */
export function SchoolAppsPage() {
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
