import { useQuery } from '@tanstack/react-query';
import { Descriptions, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import { itemsOf, type Item, type Res } from '../../api/types.ts';
import { ErrorAlert, PageTitle } from '../../components/common.tsx';
import { SandboxCard } from '../partner/Developers.tsx';
import { textIn } from '../../lib/purposes.ts';

type Catalog = Res<'/api/v1/catalog/apis'>;
type CatalogApi = Item<Catalog>;
type Categories = Res<'/api/v1/catalog/data-categories'>;
type Category = Item<Categories>;
type Texts = CatalogApi['names'];

const LANGUAGES = ['en', 'nl', 'fr', 'sv'] as const;

/** The text in the reader's language (the catalog file gives every language; the one fallback rule otherwise: src/lib/purposes.ts). */
function useLocalized() {
  const { i18n } = useTranslation();
  return (texts: Texts) => textIn(texts, i18n.resolvedLanguage ?? 'en').text;
}

/** A name and description in each of the four languages, as the catalog file declares them. */
function Translations({ names, descriptions }: { names: Texts; descriptions: Texts }) {
  const { t } = useTranslation();
  return (
    <Descriptions size="small" column={1} bordered>
      {LANGUAGES.map((l) => (
        <Descriptions.Item key={l} label={t(`languages.${l}`)}>
          <Typography.Text strong>{names[l]}</Typography.Text>
          <br />
          {descriptions[l]}
        </Descriptions.Item>
      ))}
    </Descriptions>
  );
}

/**
 * The operator's view of the deployment's API catalog (the catalog file as synchronised at start):
 * per API its names and descriptions, grant target, the rights that may grant it, its data categories
 * and where its data is served; then the data categories themselves.
 */
export function CatalogPage() {
  const { t } = useTranslation();
  const localized = useLocalized();
  const catalog = useQuery({ queryKey: ['catalog'], queryFn: () => api.get<Catalog>('/catalog/apis') });
  const categories = useQuery({ queryKey: ['catalog', 'data-categories'], queryFn: () => api.get<Categories>('/catalog/data-categories') });
  const byCode = new Map(itemsOf(categories.data).map((c) => [c.code, c]));
  return (
    <>
      <PageTitle>{t('operator.catalog.title')}</PageTitle>
      <SandboxCard />
      <Typography.Paragraph type="secondary">{t('operator.catalog.intro')}</Typography.Paragraph>
      <ErrorAlert error={catalog.error ?? categories.error} />
      <Table<CatalogApi>
        data-testid="catalog-apis"
        rowKey="code"
        loading={catalog.isLoading}
        dataSource={itemsOf(catalog.data)}
        pagination={false}
        expandable={{ expandedRowRender: (r) => <Translations names={r.names} descriptions={r.descriptions} /> }}
        columns={[
          {
            title: t('operator.catalog.api'),
            key: 'name',
            render: (_: unknown, r) => (
              <Space direction="vertical" size={0}>
                <Typography.Text strong>{localized(r.names)}</Typography.Text>
                <Typography.Text type="secondary">{localized(r.descriptions)}</Typography.Text>
              </Space>
            ),
          },
          { title: t('operator.catalog.code'), dataIndex: 'code', render: (c: string) => <code>{c}</code> },
          { title: t('operator.catalog.target'), dataIndex: 'grantTarget', render: (g: string) => t(`operator.catalog.target_${g}`) },
          { title: t('operator.catalog.rights'), dataIndex: 'requiredRights', render: (r: string[]) => r.join(` ${t('common.or')} `) },
          {
            title: t('operator.catalog.dataCategories'),
            dataIndex: 'dataCategories',
            render: (codes: string[]) =>
              codes.map((code) => {
                const c = byCode.get(code);
                return (
                  <Tooltip key={code} title={c ? localized(c.descriptions) : undefined}>
                    <Tag>{c ? localized(c.names) : code}</Tag>
                  </Tooltip>
                );
              }),
          },
          {
            title: t('operator.catalog.servedAt'),
            key: 'served',
            render: (_: unknown, r) =>
              r.baseUrl && r.openapiUrl ? (
                <Space direction="vertical" size={0}>
                  <Typography.Text copyable={{ text: r.baseUrl }}>
                    <code>{r.baseUrl}</code>
                  </Typography.Text>
                  <a href={r.openapiUrl} target="_blank" rel="noreferrer">
                    {t('operator.catalog.openapi')}
                  </a>
                </Space>
              ) : (
                <Typography.Text type="secondary">{t('operator.catalog.notServed')}</Typography.Text>
              ),
          },
        ]}
      />
      <Typography.Title level={4} style={{ marginTop: 24 }}>
        {t('operator.catalog.categoriesTitle')}
      </Typography.Title>
      <Table<Category>
        data-testid="catalog-categories"
        rowKey="code"
        loading={categories.isLoading}
        dataSource={itemsOf(categories.data)}
        pagination={false}
        expandable={{ expandedRowRender: (c) => <Translations names={c.names} descriptions={c.descriptions} /> }}
        columns={[
          { title: t('operator.catalog.category'), key: 'name', render: (_: unknown, c) => localized(c.names) },
          { title: t('operator.catalog.code'), dataIndex: 'code', render: (c: string) => <code>{c}</code> },
          { title: t('operator.catalog.description'), key: 'description', render: (_: unknown, c) => localized(c.descriptions) },
          {
            title: t('operator.catalog.fields'),
            dataIndex: 'fields',
            render: (fields: Category['fields']) =>
              fields.length === 0 ? (
                <Typography.Text type="secondary">{t('operator.catalog.noFields')}</Typography.Text>
              ) : (
                fields.map((f) => <Tag key={`${f.entity}.${f.field}`}>{`${f.entity}.${f.field}`}</Tag>)
              ),
          },
        ]}
      />
    </>
  );
}
