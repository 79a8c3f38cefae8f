import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Descriptions, Form, Input, Modal, Select, Space, Table, Tag } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, qs } from '../../api/client.ts';
import { itemsOf, type Item, type Res } from '../../api/types.ts';
import { ErrorAlert, Loading, PageTitle, StatusTag } from '../../components/common.tsx';
import { byText, formatDateTime, formatNumber, known } from '../../lib/format.ts';
import { ApiRequestCard } from '../../components/ApiRequestCard.tsx';
import { readerLanguage } from '../../lib/purposes.ts';
import { SecretOnce } from '../../components/SecretOnce.tsx';
import { ClientReportsTable } from '../../components/ClientReports.tsx';
import { AuditLog } from '../../components/AuditLog.tsx';

// The catalog screen lives in its own file; re-exported so the routes keep importing it from here.
export { CatalogPage } from './Catalog.tsx';
// The audit page lives with the shared audit log; exported here for the router.
export { AuditLogPage } from '../../components/AuditLog.tsx';

const STATUSES = ['draft', 'submitted', 'approved', 'rejected', 'suspended', 'archived'] as const;

type OpApps = Res<'/api/v1/operator/apps'>;
type OpApp = Item<OpApps>;
type OpAppDetail = Res<'/api/v1/operator/apps/{appId}'>;
type Partners = Res<'/api/v1/operator/partners'>;
type PartnerRow = Item<Partners>;
type Legacy = Res<'/api/v1/operator/legacy-clients'>;
type LegacyRow = Item<Legacy>;
type CreatedLegacy = Res<'/api/v1/operator/legacy-clients', 'post'>;
type Catalog = Res<'/api/v1/catalog/apis'>;
type Mailbox = Res<'/api/v1/dev/mailbox'>;
type MailRow = Item<Mailbox>;

/** The review queue: submitted apps first; other statuses with the filter. */
export function ReviewQueuePage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? 'submitted';
  const apps = useQuery({
    queryKey: ['operator', 'apps', status],
    queryFn: () => api.get<OpApps>(`/operator/apps${qs({ status: status === 'all' ? undefined : status })}`),
  });
  return (
    <>
      <PageTitle
        extra={
          <Select
            aria-label={t('operator.review.statusFilter')}
            value={status}
            style={{ width: 200 }}
            onChange={(s) => setParams({ status: s })}
            options={[{ value: 'all', label: t('common.all') }, ...STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))]}
          />
        }
      >
        {t('operator.review.title')}
      </PageTitle>
      <ErrorAlert error={apps.error} />
      <Table<OpApp>
        data-testid="review-table"
        rowKey="id"
        loading={apps.isLoading}
        dataSource={itemsOf(apps.data)}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: t('operator.review.empty') }}
        columns={[
          {
            title: t('partner.apps.name'),
            dataIndex: 'name',
            sorter: (a, b) => byText(a.name, b.name),
            render: (_: unknown, r) => <Link to={`/operator/apps/${r.id}`}>{r.name}</Link>,
          },
          { title: t('school.apps.partner'), key: 'partner', render: (_: unknown, r) => r.partner.name },
          { title: t('partner.apps.status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
          { title: t('partner.app.submittedAt'), dataIndex: 'submittedAt', render: (d: string | null) => formatDateTime(d) },
          { title: t('partner.apps.updated'), dataIndex: 'updatedAt', render: (d: string | null) => formatDateTime(d) },
        ]}
      />
    </>
  );
}

type Decision = 'approve' | 'reject' | 'suspend' | 'reapprove' | 'archive';
const DECISIONS: Record<string, Decision[]> = {
  submitted: ['approve', 'reject', 'archive'],
  approved: ['suspend', 'archive'],
  suspended: ['reapprove', 'archive'],
  draft: ['archive'],
  rejected: ['archive'],
  archived: [],
};

/** One submitted app's full request, with the review decisions its status allows. */
export function OperatorAppPage() {
  const { t, i18n } = useTranslation();
  const { appId = '' } = useParams();
  const qc = useQueryClient();
  const [decision, setDecision] = useState<Decision | null>(null);
  const [text, setText] = useState('');
  // Purposes and category texts in the page's language (the server picks, else another given one).
  const language = readerLanguage(i18n.language);
  const app = useQuery({
    queryKey: ['operator', 'app', appId, language],
    queryFn: () => api.get<OpAppDetail>(`/operator/apps/${appId}${qs({ language })}`),
    placeholderData: (previous) => previous,
  });
  const decide = useMutation({
    mutationFn: (d: Decision) => api.post(`/operator/apps/${appId}/${d}`, d === 'approve' || d === 'reapprove' ? { notes: text } : { reason: text }),
    onSuccess: async () => {
      setDecision(null);
      setText('');
      await qc.invalidateQueries({ queryKey: ['operator'] });
    },
  });
  if (app.isLoading) return <Loading />;
  if (app.error || !app.data) return <ErrorAlert error={app.error} />;
  const a = app.data;
  const needsText = decision === 'reject';
  return (
    <>
      <p style={{ marginBottom: 8 }}>
        <Link to="/operator/review">{t('operator.review.back')}</Link>
      </p>
      <PageTitle
        extra={
          <Space>
            <StatusTag status={a.status} />
            {(DECISIONS[a.status] ?? []).map((d) => (
              <Button
                key={d}
                type={d === 'approve' || d === 'reapprove' ? 'primary' : 'default'}
                danger={d === 'reject' || d === 'archive' || d === 'suspend'}
                onClick={() => setDecision(d)}
                data-testid={`decision-${d}`}
              >
                {t(`operator.review.${d}`)}
              </Button>
            ))}
          </Space>
        }
      >
        {a.name}
      </PageTitle>
      {decide.isSuccess && <Alert type="success" showIcon role="status" title={t('common.saved')} style={{ marginBottom: 16 }} />}
      <Descriptions column={1} bordered size="small">
        <Descriptions.Item label={t('school.app.partner')}>{a.partner?.name ?? ''}</Descriptions.Item>
        <Descriptions.Item label={t('partner.form.description')}>{a.description}</Descriptions.Item>
        <Descriptions.Item label={t('partner.form.contactEmail')}>{a.contactEmail}</Descriptions.Item>
        <Descriptions.Item label={t('partner.form.redirectUris')}>
          {a.redirectUris.map((u: string) => (
            <div key={u}>
              <code>{u}</code>
            </div>
          ))}
        </Descriptions.Item>
        <Descriptions.Item label={t('partner.app.clientId')}>{a.client?.id ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('partner.app.submittedAt')}>{formatDateTime(a.submittedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('partner.app.approvedAt')}>
          {a.accreditation ? `${formatDateTime(a.accreditation.approvedAt)} · ${a.accreditation.approvedBy?.name ?? ''}` : ''}
        </Descriptions.Item>
        {a.accreditation?.notes && <Descriptions.Item label={t('partner.app.notes')}>{a.accreditation.notes}</Descriptions.Item>}
        {a.rejectionReason && <Descriptions.Item label={t('operator.review.reason')}>{a.rejectionReason}</Descriptions.Item>}
        {a.statusReason && <Descriptions.Item label={t('partner.app.statusReason')}>{a.statusReason}</Descriptions.Item>}
      </Descriptions>
      <h2 style={{ fontSize: 18, marginTop: 24 }}>{t('partner.form.apis')}</h2>
      <Space direction="vertical" style={{ width: '100%' }}>
        {a.apis.map((x) => (
          <ApiRequestCard
            key={x.code}
            accessLevel={x.accessLevel}
            code={x.code}
            name={x.name}
            dataCategories={x.dataCategories}
            categories={x.categories}
            purpose={x.purpose}
            purposeLanguage={x.purposeLanguage}
            purposes={x.purposes}
          />
        ))}
      </Space>
      {a.client && (
        <>
          <h2 style={{ fontSize: 18, marginTop: 24 }}>{t('clientReports.tab')}</h2>
          <ClientReportsTable appId={appId} />
        </>
      )}
      {a.history.length > 0 && (
        <>
          <h2 style={{ fontSize: 18, marginTop: 24 }}>{t('operator.review.history')}</h2>
          <AuditLog appId={a.id} />
        </>
      )}
      <Modal
        open={decision !== null}
        title={decision ? t(`operator.review.${decision}`) : ''}
        okText={decision ? t(`operator.review.${decision}`) : ''}
        cancelText={t('common.cancel')}
        okButtonProps={{ disabled: needsText && !text.trim(), loading: decide.isPending, danger: decision !== 'approve' && decision !== 'reapprove' }}
        onOk={() => decision && decide.mutate(decision)}
        onCancel={() => setDecision(null)}
        destroyOnHidden
      >
        <label htmlFor="decision-text">{decision === 'approve' || decision === 'reapprove' ? t('operator.review.notes') : t('operator.review.reason')}</label>
        <Input.TextArea id="decision-text" rows={3} value={text} onChange={(e) => setText(e.target.value)} data-testid="decision-text" />
        <ErrorAlert error={decide.error} />
      </Modal>
    </>
  );
}

/** Partners with their apps and members. */
export function PartnersPage() {
  const { t } = useTranslation();
  const partners = useQuery({ queryKey: ['operator', 'partners'], queryFn: () => api.get<Partners>('/operator/partners') });
  return (
    <>
      <PageTitle>{t('operator.partners.title')}</PageTitle>
      <ErrorAlert error={partners.error} />
      <Table<PartnerRow>
        rowKey="id"
        loading={partners.isLoading}
        dataSource={itemsOf(partners.data)}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        columns={[
          { title: t('partner.profile.name'), dataIndex: 'name', sorter: (a, b) => byText(a.name, b.name) },
          { title: t('partner.profile.contactEmail'), dataIndex: 'contactEmail' },
          { title: t('operator.partners.members'), dataIndex: 'membersCount', render: (n: number) => formatNumber(n) },
          {
            title: t('operator.partners.apps'),
            key: 'apps',
            render: (_: unknown, r) => (
              <Space wrap>
                {r.apps.map((x) => (
                  <Link key={x.id} to={`/operator/apps/${x.id}`}>
                    {x.name} <StatusTag status={x.status} />
                  </Link>
                ))}
              </Space>
            ),
          },
          { title: t('partner.profile.public'), dataIndex: 'public', render: (p: boolean) => (p ? t('common.yes') : t('common.no')) },
          { title: t('partner.apps.created'), dataIndex: 'createdAt', render: (d: string) => formatDateTime(d) },
        ]}
      />
    </>
  );
}

interface GrantInput {
  apiCode: string;
  target: string;
}
const toGrants = (rows: GrantInput[]) =>
  rows.map((g) =>
    /^\d{6}$/.test(g.target.trim()) ? { apiCode: g.apiCode, institutionNumber: g.target.trim() } : { apiCode: g.apiCode, accessGroupId: g.target.trim() },
  );
type GrantRow = { apiCode: string; institutionNumber: string | null; accessGroupId: string | null };

/** Legacy clients: create (secret shown once), edit scopes, see which app claimed them. */
export function LegacyClientsPage() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['operator', 'legacy'], queryFn: () => api.get<Legacy>('/operator/legacy-clients') });
  const catalog = useQuery({ queryKey: ['catalog'], queryFn: () => api.get<Catalog>('/catalog/apis') });
  const [created, setCreated] = useState<CreatedLegacy | null>(null);
  const [editing, setEditing] = useState<LegacyRow | null>(null);
  const [form] = Form.useForm();
  const [editForm] = Form.useForm();
  const apiOptions = itemsOf(catalog.data).map((a) => ({ value: a.code, label: known(`apis.${a.code}`, a.name) }));
  const create = useMutation({
    mutationFn: (v: { name: string; grants?: GrantInput[] }) =>
      api.post<CreatedLegacy>('/operator/legacy-clients', { name: v.name, grants: toGrants(v.grants ?? []) }),
    onSuccess: async (r) => {
      setCreated(r);
      form.resetFields();
      await qc.invalidateQueries({ queryKey: ['operator', 'legacy'] });
    },
  });
  const update = useMutation({
    mutationFn: (v: { grants?: GrantInput[]; reason?: string }) =>
      api.put(`/operator/legacy-clients/${editing?.id}/grants`, { grants: toGrants(v.grants ?? []), reason: v.reason || undefined }),
    onSuccess: async () => {
      setEditing(null);
      await qc.invalidateQueries({ queryKey: ['operator', 'legacy'] });
    },
  });
  const grantFields = (
    <Form.List name="grants">
      {(fields, { add, remove }) => (
        <Space direction="vertical" style={{ width: '100%' }}>
          {fields.map((f) => (
            <Space key={f.key} align="start" wrap>
              <Form.Item name={[f.name, 'apiCode']} rules={[{ required: true, message: t('validation.required') }]} label={t('partner.form.api')}>
                <Select options={apiOptions} style={{ width: 180 }} aria-label={t('partner.form.api')} />
              </Form.Item>
              <Form.Item name={[f.name, 'target']} rules={[{ required: true, message: t('validation.required') }]} label={t('operator.legacy.target')}>
                <Input style={{ width: 320 }} placeholder="001057" />
              </Form.Item>
              <Button onClick={() => remove(f.name)} style={{ marginTop: 30 }}>
                {t('common.remove')}
              </Button>
            </Space>
          ))}
          <Button onClick={() => add({ apiCode: 'students', target: '' })}>{t('operator.legacy.addGrant')}</Button>
        </Space>
      )}
    </Form.List>
  );
  return (
    <>
      <PageTitle>{t('operator.legacy.title')}</PageTitle>
      <p>{t('operator.legacy.intro')}</p>
      {created && <SecretOnce clientId={created.clientId} secret={created.secret} testId="legacy" onDone={() => setCreated(null)} />}
      <ErrorAlert error={list.error} />
      <Table<LegacyRow>
        rowKey="id"
        loading={list.isLoading}
        dataSource={itemsOf(list.data)}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: t('operator.legacy.empty') }}
        columns={[
          { title: t('partner.app.clientId'), dataIndex: 'id', render: (id: string) => <code>{id}</code> },
          { title: t('partner.client.name'), dataIndex: 'name' },
          {
            title: t('operator.legacy.grants'),
            key: 'grants',
            render: (_: unknown, r) => (
              <Space wrap>
                {r.grants.map((g: GrantRow, i: number) => (
                  <Tag key={i}>
                    {known(`apis.${g.apiCode}`, g.apiCode)} · {g.institutionNumber ?? g.accessGroupId}
                  </Tag>
                ))}
              </Space>
            ),
          },
          {
            title: t('operator.legacy.claimedBy'),
            key: 'app',
            render: (_: unknown, r) =>
              r.app ? (
                <Link to={`/operator/apps/${r.app.id}`}>
                  {r.app.name} ({r.app.partner.name})
                </Link>
              ) : (
                t('operator.legacy.unclaimed')
              ),
          },
          {
            title: t('common.actions'),
            key: 'edit',
            render: (_: unknown, r) => (
              <Button
                size="small"
                onClick={() => {
                  setEditing(r);
                  editForm.setFieldsValue({
                    grants: r.grants.map((g: GrantRow) => ({ apiCode: g.apiCode, target: g.institutionNumber ?? g.accessGroupId })),
                    reason: '',
                  });
                }}
              >
                {t('operator.legacy.editScopes')}
              </Button>
            ),
          },
        ]}
      />
      <Card title={t('operator.legacy.create')} style={{ marginTop: 24, maxWidth: 900 }}>
        <Form form={form} layout="vertical" onFinish={(v) => create.mutate(v)}>
          <Form.Item label={t('partner.client.name')} name="name" rules={[{ required: true, message: t('validation.required') }]}>
            <Input />
          </Form.Item>
          {grantFields}
          <ErrorAlert error={create.error} />
          <Button type="primary" htmlType="submit" loading={create.isPending} style={{ marginTop: 16 }}>
            {t('operator.legacy.create')}
          </Button>
        </Form>
      </Card>
      <Modal
        open={editing !== null}
        title={t('operator.legacy.editScopes')}
        onCancel={() => setEditing(null)}
        onOk={() => editForm.submit()}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        width={900}
        forceRender
      >
        <Form form={editForm} layout="vertical" onFinish={(v) => update.mutate(v)}>
          {grantFields}
          <Form.Item label={t('school.access.reasonLabel')} name="reason" style={{ marginTop: 16 }}>
            <Input.TextArea rows={2} />
          </Form.Item>
          <ErrorAlert error={update.error} />
        </Form>
      </Modal>
    </>
  );
}

/** Mails kept instead of sent (no SMTP): the dev mailbox, outside production only. */
export function MailboxPage() {
  const { t } = useTranslation();
  const mails = useQuery({ queryKey: ['operator', 'mailbox'], queryFn: () => api.get<Mailbox>('/dev/mailbox?limit=200') });
  return (
    <>
      <PageTitle>{t('operator.mailbox.title')}</PageTitle>
      <Alert type="info" showIcon title={t('operator.mailbox.intro')} style={{ marginBottom: 16 }} />
      <ErrorAlert error={mails.error} />
      <Table<MailRow>
        data-testid="mailbox-table"
        rowKey="id"
        loading={mails.isLoading}
        dataSource={itemsOf(mails.data)}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        expandable={{
          expandedRowRender: (m) => (
            <>
              <pre style={{ whiteSpace: 'pre-wrap', margin: 0 }}>{m.text}</pre>
              {m.links.map((l) => (
                <div key={l}>
                  <a href={l}>{l}</a>
                </div>
              ))}
            </>
          ),
        }}
        columns={[
          { title: t('operator.mailbox.when'), dataIndex: 'createdAt', render: (d: string) => formatDateTime(d) },
          { title: t('operator.mailbox.to'), dataIndex: 'to' },
          { title: t('operator.mailbox.subject'), dataIndex: 'subject' },
          { title: t('operator.mailbox.status'), dataIndex: 'status' },
        ]}
      />
    </>
  );
}
