import { useQuery } from '@tanstack/react-query';
import { Card, Empty, List, Space, Table, Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../../api/client.ts';
import { itemsOf, type Item, type Res } from '../../api/types.ts';
import { ErrorAlert, Loading, PageTitle } from '../../components/common.tsx';
import { byText, formatDate, known } from '../../lib/format.ts';
import { purposeFor } from '../../lib/purposes.ts';

type Partners = Res<'/api/v1/public/partners'>;
type Partner = Item<Partners>;
type Register = Res<'/api/v1/public/register'>;
type RegisterRow = Item<Register>;

/** The public directory: partners with an approved app, their apps and what each does. */
export function DirectoryPage() {
  const { t } = useTranslation();
  const partners = useQuery({ queryKey: ['public', 'partners'], queryFn: () => api.get<Partners>('/public/partners') });
  if (partners.isLoading) return <Loading />;
  const rows: Partner[] = itemsOf(partners.data);
  return (
    <>
      <PageTitle extra={<a href="/api/v1/public/partners">{t('public.asJson')}</a>}>{t('public.directory.title')}</PageTitle>
      <p>{t('public.directory.intro')}</p>
      <ErrorAlert error={partners.error} />
      {!rows.length && !partners.error && <Empty description={t('public.directory.empty')} />}
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        {rows.map((p) => (
          <Card
            key={p.id}
            title={<h2 style={{ fontSize: 18, margin: 0 }}>{p.name}</h2>}
            extra={
              p.website ? (
                <a href={p.website} rel="noopener noreferrer nofollow" target="_blank">
                  {t('public.website')}
                </a>
              ) : null
            }
          >
            {p.description && <p>{p.description}</p>}
            <List
              dataSource={p.apps}
              renderItem={(a) => (
                <List.Item>
                  <List.Item.Meta
                    title={a.name}
                    description={
                      <>
                        {a.description && <div>{a.description}</div>}
                        <Space wrap style={{ marginTop: 4 }}>
                          {a.apis.map((x) => (
                            <Tag key={x.code}>{known(`apis.${x.code}`, x.name)}</Tag>
                          ))}
                        </Space>
                      </>
                    }
                  />
                </List.Item>
              )}
            />
          </Card>
        ))}
      </Space>
    </>
  );
}

/** The purpose register: per approved app, the partner, APIs, data categories, purpose and approval date. */
export function RegisterPage() {
  const { t, i18n } = useTranslation();
  const language = i18n.language.slice(0, 2);
  // The server picks each purpose in the reader's language (else another the partner gave).
  const register = useQuery({ queryKey: ['public', 'register', language], queryFn: () => api.get<Register>(`/public/register${qs({ language })}`) });
  return (
    <>
      <PageTitle extra={<a href="/api/v1/public/register">{t('public.asJson')}</a>}>{t('public.register.title')}</PageTitle>
      <p>{t('public.register.intro')}</p>
      <ErrorAlert error={register.error} />
      <Table<RegisterRow>
        data-testid="register-table"
        rowKey={(r) => r.app.id}
        loading={register.isLoading}
        dataSource={itemsOf(register.data)}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: t('public.register.empty') }}
        columns={[
          {
            title: t('public.register.partner'),
            key: 'partner',
            sorter: (a, b) => byText(a.partner.name, b.partner.name),
            render: (_: unknown, r) => r.partner.name,
          },
          { title: t('public.register.app'), key: 'app', sorter: (a, b) => byText(a.app.name, b.app.name), render: (_: unknown, r) => r.app.name },
          {
            title: t('public.register.apis'),
            key: 'apis',
            render: (_: unknown, r) => (
              <Space direction="vertical">
                {r.apis.map((x) => (
                  <div key={x.code}>
                    <strong>{known(`apis.${x.code}`, x.name)}</strong>
                    <div>
                      {x.dataCategories.map((c) => (
                        <Tag key={c}>{known(`categories.${c}`, c)}</Tag>
                      ))}
                    </div>
                    <div>{purposeFor(x.purposes, language, x.purpose)}</div>
                  </div>
                ))}
              </Space>
            ),
          },
          { title: t('public.register.approved'), key: 'approvedAt', render: (_: unknown, r) => formatDate(r.approvedAt) },
        ]}
      />
    </>
  );
}
