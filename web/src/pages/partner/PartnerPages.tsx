import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Checkbox, Form, Input, Radio, Select, Space, Switch, Table } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiProblem } from '../../api/client.ts';
import { itemsOf, type Body, type Item, type Res } from '../../api/types.ts';
import { ErrorAlert, Loading, PageTitle, StatusTag } from '../../components/common.tsx';
import { byText, formatDateTime, known } from '../../lib/format.ts';
import { PURPOSE_LANGUAGES, type Purposes } from '../../lib/purposes.ts';
import { problemField, problemMessage } from '../../lib/problem.ts';
import { useSession } from '../../session.tsx';

type Profile = Res<'/api/v1/partner/profile'>;
type AppsAnswer = Res<'/api/v1/partner/apps'>;
type PartnerApp = Item<AppsAnswer>;
type Catalog = Res<'/api/v1/catalog/apis'>;
type CatalogApi = Item<Catalog>;
type AppInput = Body<'/api/v1/partner/apps', 'post'>;
type AppPatch = Body<'/api/v1/partner/apps/{appId}', 'patch'>;

/** The partner profile; saving it the first time creates the partner. */
export function PartnerProfilePage() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [form] = Form.useForm();
  const profile = useQuery({
    queryKey: ['partner', 'profile'],
    queryFn: async () => {
      try {
        return await api.get<Profile>('/partner/profile');
      } catch (e) {
        if (e instanceof ApiProblem && e.status === 404) return null;
        throw e;
      }
    },
  });
  useEffect(() => {
    if (profile.data) form.setFieldsValue(profile.data);
  }, [profile.data, form]);
  const save = useMutation({
    mutationFn: (body: Body<'/api/v1/partner/profile', 'put'>) => api.put<Profile>('/partner/profile', body),
    onSuccess: async (p) => {
      qc.setQueryData(['partner', 'profile'], p);
      await qc.invalidateQueries({ queryKey: ['session'] });
    },
    onError: (e) => {
      const field = problemField(e);
      if (field) form.setFields([{ name: field.split('.'), errors: [problemMessage(t, e)] }]);
    },
  });
  if (profile.isLoading) return <Loading />;
  return (
    <>
      <PageTitle>{t('partner.profile.title')}</PageTitle>
      {!profile.data && <Alert type="info" showIcon title={t('partner.profile.createFirst')} style={{ marginBottom: 16 }} />}
      <ErrorAlert error={profile.error} />
      <Card style={{ maxWidth: 720 }}>
        <Form form={form} layout="vertical" initialValues={{ public: true }} onFinish={(v) => save.mutate({ ...v, website: v.website || null })}>
          <Form.Item label={t('partner.profile.name')} name="name" rules={[{ required: true, message: t('validation.required') }]}>
            <Input />
          </Form.Item>
          <Form.Item label={t('partner.profile.description')} name="description">
            <Input.TextArea rows={3} />
          </Form.Item>
          <Form.Item label={t('partner.profile.website')} name="website">
            <Input type="url" placeholder="https://" />
          </Form.Item>
          <Form.Item label={t('partner.profile.contactEmail')} name="contactEmail" rules={[{ required: true, type: 'email', message: t('validation.email') }]}>
            <Input type="email" />
          </Form.Item>
          <Form.Item label={t('partner.profile.public')} name="public" valuePropName="checked">
            <Switch />
          </Form.Item>
          <ErrorAlert error={save.error} />
          {save.isSuccess && <Alert type="success" showIcon role="status" title={t('common.saved')} />}
          <Button type="primary" htmlType="submit" loading={save.isPending} style={{ marginTop: 16 }}>
            {t('common.save')}
          </Button>
        </Form>
      </Card>
      {profile.data && (
        <Card title={t('partner.profile.members')} style={{ maxWidth: 720, marginTop: 16 }}>
          <ul>
            {profile.data.members.map((m: { userId: string; displayName: string; email: string }) => (
              <li key={m.userId}>
                {m.displayName} &lt;{m.email}&gt;
              </li>
            ))}
          </ul>
        </Card>
      )}
    </>
  );
}

/** The partner's apps with their status. */
export function PartnerAppsPage() {
  const { t } = useTranslation();
  const session = useSession();
  const apps = useQuery({ queryKey: ['partner', 'apps'], queryFn: () => api.get<AppsAnswer>('/partner/apps'), enabled: Boolean(session.data?.user.partnerId) });
  if (session.data && !session.data.user.partnerId) {
    return (
      <>
        <PageTitle>{t('partner.apps.title')}</PageTitle>
        <Alert type="info" showIcon title={t('partner.profile.createFirst')} action={<Link to="/partner/profile">{t('nav.profile')}</Link>} />
      </>
    );
  }
  const columns: ColumnsType<PartnerApp> = [
    {
      title: t('partner.apps.name'),
      dataIndex: 'name',
      sorter: (a, b) => byText(a.name, b.name),
      render: (_: unknown, r) => <Link to={`/partner/apps/${r.id}`}>{r.name}</Link>,
    },
    { title: t('partner.apps.status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
    {
      title: t('partner.apps.apis'),
      key: 'apis',
      render: (_: unknown, r) => r.apis.map((a: { apiCode: string; apiName: string }) => known(`apis.${a.apiCode}`, a.apiName)).join(', '),
    },
    {
      title: t('partner.apps.created'),
      dataIndex: 'createdAt',
      sorter: (a, b) => byText(String(a.createdAt), String(b.createdAt)),
      render: (d: string) => formatDateTime(d),
    },
    { title: t('partner.apps.updated'), dataIndex: 'updatedAt', render: (d: string) => formatDateTime(d) },
  ];
  return (
    <>
      <PageTitle
        extra={
          <Link to="/partner/apps/new">
            <Button type="primary">{t('partner.apps.register')}</Button>
          </Link>
        }
      >
        {t('partner.apps.title')}
      </PageTitle>
      <ErrorAlert error={apps.error} />
      <Table<PartnerApp>
        data-testid="partner-apps-table"
        rowKey="id"
        loading={apps.isLoading}
        columns={columns}
        dataSource={itemsOf(apps.data)}
        pagination={false}
        locale={{ emptyText: t('partner.apps.empty') }}
      />
    </>
  );
}

interface FormApi {
  apiCode: string;
  dataCategories: string[];
  /** The purpose per language; at least one is given. */
  purposes: Purposes;
  /** Read, or read and write (issue 17, write grants). */
  accessLevel?: 'read' | 'read_write';
}

/** The purposes as sent: only the languages filled in. */
const givenPurposes = (p: Purposes | undefined): Purposes =>
  Object.fromEntries(PURPOSE_LANGUAGES.flatMap((l) => (p?.[l]?.trim() ? [[l, p[l]!.trim()]] : []))) as Purposes;
interface AppFormValues {
  name: string;
  description: string;
  contactEmail: string;
  redirectUris: string[];
  apis: FormApi[];
  /** Sent along; a server that does not know the field yet ignores it. */
  clientType?: 'confidential' | 'public';
}

/** Register a new app, or edit one (all fields while draft/rejected; description and contact once approved). */
export function PartnerAppFormPage() {
  const { t } = useTranslation();
  const { appId } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [form] = Form.useForm<AppFormValues>();
  const catalog = useQuery({ queryKey: ['catalog'], queryFn: () => api.get<Catalog>('/catalog/apis') });
  const existing = useQuery({ queryKey: ['partner', 'app', appId], queryFn: () => api.get<PartnerApp>(`/partner/apps/${appId}`), enabled: Boolean(appId) });
  const apis = itemsOf(catalog.data) as CatalogApi[];
  const limited = existing.data?.editable === 'description_and_contact';
  useEffect(() => {
    if (existing.data) {
      const a = existing.data;
      form.setFieldsValue({
        name: a.name,
        description: a.description,
        contactEmail: a.contactEmail,
        redirectUris: a.redirectUris,
        clientType: (a as { clientType?: 'confidential' | 'public' }).clientType ?? 'confidential',
        apis: a.apis.map((x: FormApi) => ({
          apiCode: x.apiCode,
          dataCategories: x.dataCategories,
          purposes: x.purposes,
          accessLevel: x.accessLevel ?? 'read',
        })),
      });
    }
  }, [existing.data, form]);
  const save = useMutation({
    mutationFn: (v: AppFormValues) => {
      const full: AppInput = {
        ...v,
        redirectUris: v.redirectUris ?? [],
        apis: (v.apis ?? []).map((x) => ({
          apiCode: x.apiCode,
          dataCategories: x.dataCategories,
          purposes: givenPurposes(x.purposes),
          accessLevel: x.accessLevel ?? 'read',
        })),
      };
      const patch: AppPatch = limited ? { description: v.description, contactEmail: v.contactEmail } : (full as AppPatch);
      return appId ? api.patch<PartnerApp>(`/partner/apps/${appId}`, patch) : api.post<PartnerApp>('/partner/apps', full);
    },
    onSuccess: async (app) => {
      await qc.invalidateQueries({ queryKey: ['partner'] });
      navigate(`/partner/apps/${app.id}`);
    },
    onError: (e) => {
      const field = problemField(e);
      if (field) form.setFields([{ name: field.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) as never, errors: [problemMessage(t, e)] }]);
    },
  });
  if (appId && existing.isLoading) return <Loading />;
  return (
    <>
      <PageTitle>{appId ? t('partner.form.editTitle') : t('partner.form.newTitle')}</PageTitle>
      {limited && <Alert type="info" showIcon title={t('partner.form.limited')} style={{ marginBottom: 16 }} />}
      <Card style={{ maxWidth: 900 }}>
        <Form<AppFormValues>
          form={form}
          layout="vertical"
          initialValues={{ apis: [], redirectUris: [], clientType: 'confidential' }}
          onFinish={(v) => save.mutate(v)}
        >
          <Form.Item label={t('partner.form.name')} name="name" rules={[{ required: true, message: t('validation.required') }]}>
            <Input disabled={limited} />
          </Form.Item>
          <Form.Item label={t('partner.form.description')} name="description">
            <Input.TextArea rows={3} />
          </Form.Item>
          <Form.Item label={t('partner.form.contactEmail')} name="contactEmail" rules={[{ required: true, type: 'email', message: t('validation.email') }]}>
            <Input type="email" />
          </Form.Item>
          <Form.Item label={t('partner.form.redirectUris')} name="redirectUris" extra={t('partner.form.redirectUrisHint')}>
            <Select mode="tags" open={false} disabled={limited} aria-label={t('partner.form.redirectUris')} tokenSeparators={[' ', ',']} />
          </Form.Item>
          <Form.Item label={t('partner.form.clientType')} name="clientType" extra={t('partner.form.clientTypeHint')}>
            <Radio.Group disabled={limited} data-testid="client-type">
              <Space direction="vertical">
                <Radio value="confidential">
                  <strong>{t('partner.form.clientTypeConfidential')}</strong> — {t('partner.form.clientTypeConfidentialHint')}
                </Radio>
                <Radio value="public">
                  <strong>{t('partner.form.clientTypePublic')}</strong> — {t('partner.form.clientTypePublicHint')}
                </Radio>
              </Space>
            </Radio.Group>
          </Form.Item>
          <h2 style={{ fontSize: 18 }}>{t('partner.form.apis')}</h2>
          <Form.List name="apis">
            {(fields, { add, remove }) => (
              <Space direction="vertical" style={{ width: '100%' }}>
                {fields.map((field, index) => (
                  <ApiFields key={field.key} index={index} name={field.name} apis={apis} disabled={limited} onRemove={() => remove(field.name)} />
                ))}
                {!limited && (
                  <Button onClick={() => add({ apiCode: undefined, dataCategories: ['identity'], purposes: {}, accessLevel: 'read' })} data-testid="add-api">
                    {t('partner.form.addApi')}
                  </Button>
                )}
              </Space>
            )}
          </Form.List>
          <ErrorAlert error={save.error} />
          <Space style={{ marginTop: 16 }}>
            <Button type="primary" htmlType="submit" loading={save.isPending}>
              {t('common.save')}
            </Button>
            <Button onClick={() => navigate(-1)}>{t('common.cancel')}</Button>
          </Space>
        </Form>
      </Card>
    </>
  );
}

function ApiFields({ index, name, apis, disabled, onRemove }: { index: number; name: number; apis: CatalogApi[]; disabled: boolean; onRemove: () => void }) {
  const { t } = useTranslation();
  const form = Form.useFormInstance<AppFormValues>();
  const code = Form.useWatch(['apis', name, 'apiCode'], form);
  const api = apis.find((a) => a.code === code);
  return (
    <Card
      size="small"
      title={t('partner.form.apiN', { n: index + 1 })}
      extra={
        !disabled && (
          <Button size="small" danger onClick={onRemove}>
            {t('common.remove')}
          </Button>
        )
      }
    >
      <Form.Item label={t('partner.form.api')} name={[name, 'apiCode']} rules={[{ required: true, message: t('validation.required') }]}>
        <Select
          disabled={disabled}
          aria-label={t('partner.form.api')}
          options={apis.map((a) => ({ value: a.code, label: known(`apis.${a.code}`, a.name) }))}
          onChange={() => form.setFieldValue(['apis', name, 'dataCategories'], ['identity'])}
        />
      </Form.Item>
      <Form.Item label={t('partner.form.dataCategories')} name={[name, 'dataCategories']}>
        <Checkbox.Group
          disabled={disabled || !api}
          options={(api?.dataCategories ?? []).map((c: string) => ({ value: c, label: known(`categories.${c}`, c), disabled: c === 'identity' }))}
        />
      </Form.Item>
      <Form.Item label={t('writeAccess.requestLabel')} name={[name, 'accessLevel']} extra={t('writeAccess.requestHelp')} initialValue="read">
        <Radio.Group
          disabled={disabled}
          data-testid={`access-level-${index}`}
          options={[
            { value: 'read', label: t('writeAccess.read') },
            { value: 'read_write', label: t('writeAccess.readWrite') },
          ]}
        />
      </Form.Item>
      <fieldset style={{ border: 0, margin: 0, padding: 0 }} data-testid={`purposes-${index}`}>
        <legend style={{ fontSize: 14, marginBottom: 4 }}>{t('partnerPurposes.legend')}</legend>
        <p style={{ color: 'rgba(0,0,0,0.6)' }}>{t('partnerPurposes.hint')}</p>
        {PURPOSE_LANGUAGES.map((l) => (
          <Form.Item
            key={l}
            label={t(`languages.${l}`)}
            name={[name, 'purposes', l]}
            dependencies={PURPOSE_LANGUAGES.filter((o) => o !== l).map((o) => ['apis', name, 'purposes', o])}
            rules={
              // At least one language: said once, at the first field.
              l === PURPOSE_LANGUAGES[0]
                ? [
                    {
                      validator: async () => {
                        const given = givenPurposes(form.getFieldValue(['apis', name, 'purposes']) as Purposes | undefined);
                        if (Object.keys(given).length === 0) throw new Error(t('partnerPurposes.atLeastOne'));
                      },
                    },
                  ]
                : []
            }
          >
            <Input.TextArea rows={2} disabled={disabled} maxLength={4000} />
          </Form.Item>
        ))}
      </fieldset>
    </Card>
  );
}
