import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Descriptions, Form, Input, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, ApiProblem } from '../../api/client.ts';
import { itemsOf, type Item, type Res } from '../../api/types.ts';
import { AccessLogTable } from '../../components/AccessLog.tsx';
import { ErrorAlert, Loading, PageTitle, StatusTag } from '../../components/common.tsx';
import { formatDateTime, known } from '../../lib/format.ts';
import { ApiRequestCard } from '../../components/ApiRequestCard.tsx';
import { AuditLog } from '../../components/AuditLog.tsx';
import { purposeFor, type Purposes } from '../../lib/purposes.ts';
import { WebhooksTab } from './WebhooksTab.tsx';

type PartnerApp = Res<'/api/v1/partner/apps/{appId}'>;
type Client = Res<'/api/v1/partner/apps/{appId}/client'>;
type SecretCreated = Res<'/api/v1/partner/apps/{appId}/client/secrets', 'post'>;
type Invitations = Res<'/api/v1/partner/apps/{appId}/invitations'>;
type Invitation = Item<Invitations>;
type Grants = Res<'/api/v1/partner/apps/{appId}/grants'>;
type Grant = Item<Grants>;

/** A partner's app: details and actions, client and secrets, invitations, grants and the log. */
export function PartnerAppPage() {
  const { t } = useTranslation();
  const { appId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const qc = useQueryClient();
  const { modal } = App.useApp();
  const app = useQuery({ queryKey: ['partner', 'app', appId], queryFn: () => api.get<PartnerApp>(`/partner/apps/${appId}`) });
  const action = useMutation({
    mutationFn: (what: 'submit' | 'archive') => api.post<PartnerApp>(`/partner/apps/${appId}/${what}`, {}),
    onSuccess: async (a) => {
      qc.setQueryData(['partner', 'app', appId], a);
      await qc.invalidateQueries({ queryKey: ['partner', 'apps'] });
    },
  });
  if (app.isLoading) return <Loading />;
  if (app.error || !app.data) return <ErrorAlert error={app.error} />;
  const a = app.data;
  const tab = params.get('tab') ?? 'overview';
  return (
    <>
      <p style={{ marginBottom: 8 }}>
        <Link to="/partner/apps">{t('partner.app.back')}</Link>
      </p>
      <PageTitle
        extra={
          <Space>
            <StatusTag status={a.status} />
            {a.editable !== 'none' && (
              <Link to={`/partner/apps/${appId}/edit`}>
                <Button>{t('common.edit')}</Button>
              </Link>
            )}
            {a.status === 'draft' && (
              <Button type="primary" onClick={() => action.mutate('submit')} loading={action.isPending} data-testid="submit-app">
                {t('partner.app.submit')}
              </Button>
            )}
            {a.status !== 'archived' && (
              <Button
                danger
                onClick={() =>
                  modal.confirm({
                    title: t('partner.app.archiveConfirm'),
                    okText: t('partner.app.archive'),
                    cancelText: t('common.cancel'),
                    okButtonProps: { danger: true },
                    onOk: () => action.mutate('archive'),
                  })
                }
              >
                {t('partner.app.archive')}
              </Button>
            )}
          </Space>
        }
      >
        {a.name}
      </PageTitle>
      <ErrorAlert error={action.error} />
      {a.status === 'submitted' && <Alert type="info" showIcon title={t('partner.app.inReview')} style={{ marginBottom: 16 }} />}
      {a.status === 'rejected' && a.rejectionReason && (
        <Alert type="error" showIcon title={t('partner.app.rejected', { reason: a.rejectionReason })} style={{ marginBottom: 16 }} />
      )}
      <Tabs
        activeKey={tab}
        onChange={(k) => setParams({ tab: k }, { replace: true })}
        items={[
          { key: 'overview', label: t('partner.app.tabOverview'), children: <Overview app={a} /> },
          { key: 'client', label: t('partner.app.tabClient'), children: <ClientTab app={a} /> },
          { key: 'invitations', label: t('partner.app.tabInvitations'), children: <InvitationsTab app={a} /> },
          { key: 'grants', label: t('partner.app.tabGrants'), children: <GrantsTab appId={appId} /> },
          { key: 'log', label: t('partner.app.tabLog'), children: <LogTab appId={appId} /> },
          { key: 'reads', label: t('accessLog.tab'), children: <AccessLogTable appId={appId} /> },
          { key: 'webhooks', label: t('webhooks.tab'), children: <WebhooksTab appId={appId} /> },
        ]}
      />
    </>
  );
}

function Overview({ app }: { app: PartnerApp }) {
  const { t, i18n } = useTranslation();
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Descriptions column={1} bordered size="small">
        <Descriptions.Item label={t('partner.form.description')}>{app.description}</Descriptions.Item>
        <Descriptions.Item label={t('partner.form.contactEmail')}>{app.contactEmail}</Descriptions.Item>
        <Descriptions.Item label={t('partner.form.redirectUris')}>
          {app.redirectUris.map((u: string) => (
            <div key={u}>
              <code>{u}</code>
            </div>
          ))}
        </Descriptions.Item>
        <Descriptions.Item label={t('partner.form.clientType')}>
          {app.clientType === 'public' ? t('partner.form.clientTypePublic') : t('partner.form.clientTypeConfidential')}
        </Descriptions.Item>
        <Descriptions.Item label={t('partner.app.clientId')}>
          {app.clientId ? (
            <Typography.Text code copyable>
              {app.clientId}
            </Typography.Text>
          ) : (
            '—'
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('partner.app.submittedAt')}>{formatDateTime(app.submittedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('partner.app.approvedAt')}>{formatDateTime(app.approvedAt)}</Descriptions.Item>
        {app.accreditationNotes && <Descriptions.Item label={t('partner.app.notes')}>{app.accreditationNotes}</Descriptions.Item>}
        {app.statusReason && <Descriptions.Item label={t('partner.app.statusReason')}>{app.statusReason}</Descriptions.Item>}
      </Descriptions>
      {app.apis.map(
        (x: { apiCode: string; apiName: string; dataCategories: string[]; purposes: Purposes; purpose: string; accessLevel: 'read' | 'read_write' }) => (
          <ApiRequestCard
            key={x.apiCode}
            accessLevel={x.accessLevel}
            code={x.apiCode}
            name={x.apiName}
            dataCategories={x.dataCategories}
            purpose={purposeFor(x.purposes, i18n.language, x.purpose)}
          />
        ),
      )}
    </Space>
  );
}

function ClientTab({ app }: { app: PartnerApp }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [created, setCreated] = useState<SecretCreated | null>(null);
  const client = useQuery({
    queryKey: ['partner', 'client', app.id],
    queryFn: async () => {
      try {
        return await api.get<Client>(`/partner/apps/${app.id}/client`);
      } catch (e) {
        if (e instanceof ApiProblem && e.status === 404 && e.code !== 'app_not_found') return null;
        throw e;
      }
    },
  });
  const rotate = useMutation({
    mutationFn: () => api.post<SecretCreated>(`/partner/apps/${app.id}/client/secrets`, {}),
    onSuccess: async (s) => {
      setCreated(s);
      await qc.invalidateQueries({ queryKey: ['partner', 'client', app.id] });
    },
  });
  const link = useMutation({
    mutationFn: (v: { clientId: string; clientSecret: string }) => api.post<Client>(`/partner/apps/${app.id}/client/link`, v),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['partner'] });
    },
  });
  if (client.isLoading) return <Loading />;
  const c = client.data;
  const secrets = c?.secrets ?? [];
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <ErrorAlert error={client.error} />
      {c && (
        <Card title={t('partner.client.title')}>
          <Descriptions column={1} bordered size="small">
            <Descriptions.Item label={t('partner.app.clientId')}>
              <Typography.Text code copyable data-testid="client-id">
                {c.clientId}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('partner.client.name')}>{c.name}</Descriptions.Item>
            <Descriptions.Item label={t('partner.client.origin')}>{t(`partner.client.origin_${c.origin}`)}</Descriptions.Item>
          </Descriptions>
          {created && (
            <Alert
              type="warning"
              showIcon
              style={{ marginTop: 16 }}
              data-testid="secret-once"
              title={t('partner.client.secretOnceTitle')}
              description={
                <>
                  <p>{t('partner.client.secretOnceBody')}</p>
                  <Typography.Text code copyable={{ text: created.clientSecret, tooltips: [t('common.copy'), t('common.copied')] }} data-testid="client-secret">
                    {created.clientSecret}
                  </Typography.Text>
                  {created.previousSecret && (
                    <p style={{ marginTop: 8 }} data-testid="overlap">
                      {t('partner.client.overlap', { hint: created.previousSecret.hint, date: formatDateTime(created.previousSecret.expiresAt) })}
                    </p>
                  )}
                  <Button style={{ marginTop: 8 }} onClick={() => setCreated(null)}>
                    {t('partner.client.secretStored')}
                  </Button>
                </>
              }
            />
          )}
          {app.clientType === 'public' ? (
            // A public client (mobile or single-page app) cannot keep a secret: it signs people in with PKCE only.
            <Alert type="info" showIcon style={{ marginTop: 16 }} title={t('partner.client.publicNoSecret')} data-testid="public-no-secret" />
          ) : (
            <>
              <h2 style={{ fontSize: 16, marginTop: 16 }}>{t('partner.client.secrets')}</h2>
              <Table
                data-testid="secrets-table"
                rowKey="id"
                size="small"
                pagination={false}
                dataSource={secrets}
                locale={{ emptyText: t('partner.client.noSecrets') }}
                columns={[
                  { title: t('partner.client.hint'), dataIndex: 'hint', render: (h: string) => <code>…{h}</code> },
                  { title: t('partner.client.created'), dataIndex: 'createdAt', render: (d: string) => formatDateTime(d) },
                  {
                    title: t('partner.client.lastUsed'),
                    dataIndex: 'lastUsedAt',
                    render: (d: string | null) => (d ? formatDateTime(d) : t('partner.client.never')),
                  },
                  {
                    title: t('partner.client.expires'),
                    dataIndex: 'expiresAt',
                    render: (d: string | null) => (d ? formatDateTime(d) : t('partner.client.noExpiry')),
                  },
                ]}
              />
              <ErrorAlert error={rotate.error} />
              <Button type="primary" style={{ marginTop: 16 }} onClick={() => rotate.mutate()} loading={rotate.isPending} data-testid="new-secret">
                {secrets.length ? t('partner.client.rotate') : t('partner.client.createSecret')}
              </Button>
              {secrets.length > 0 && <p style={{ marginTop: 8 }}>{t('partner.client.rotateHint')}</p>}
            </>
          )}
        </Card>
      )}
      {!c && <Alert type="info" showIcon title={app.status === 'approved' ? t('partner.client.noClient') : t('partner.client.notApproved')} />}
      {!c && (
        <Card title={t('partner.link.title')}>
          <p>{t('partner.link.intro')}</p>
          <Form layout="vertical" onFinish={(v: { clientId: string; clientSecret: string }) => link.mutate(v)} style={{ maxWidth: 560 }}>
            <Form.Item label={t('partner.link.clientId')} name="clientId" rules={[{ required: true, message: t('validation.required') }]}>
              <Input autoComplete="off" />
            </Form.Item>
            <Form.Item label={t('partner.link.clientSecret')} name="clientSecret" rules={[{ required: true, message: t('validation.required') }]}>
              <Input.Password autoComplete="off" />
            </Form.Item>
            <ErrorAlert error={link.error} />
            {link.isSuccess && <Alert type="success" showIcon role="status" title={t('partner.link.done')} />}
            <Button htmlType="submit" loading={link.isPending} style={{ marginTop: 8 }}>
              {t('partner.link.submit')}
            </Button>
          </Form>
        </Card>
      )}
    </Space>
  );
}

function InvitationsTab({ app }: { app: PartnerApp }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [emails, setEmails] = useState<string[]>([]);
  const approved = app.status === 'approved';
  const list = useQuery({
    queryKey: ['partner', 'invitations', app.id],
    queryFn: () => api.get<Invitations>(`/partner/apps/${app.id}/invitations`),
    enabled: approved,
  });
  const invite = useMutation({
    mutationFn: () => api.post<Invitations>(`/partner/apps/${app.id}/invitations`, { emails }),
    onSuccess: async () => {
      setEmails([]);
      await qc.invalidateQueries({ queryKey: ['partner', 'invitations', app.id] });
      await qc.invalidateQueries({ queryKey: ['partner', 'log', app.id] });
    },
  });
  if (!approved) return <Alert type="info" showIcon title={t('errors.app_not_approved')} />;
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Card title={t('partner.invite.title')}>
        <p>{t('partner.invite.intro')}</p>
        <label htmlFor="invite-emails">{t('partner.invite.emails')}</label>
        <Select
          id="invite-emails"
          mode="tags"
          open={false}
          value={emails}
          onChange={setEmails}
          tokenSeparators={[',', ' ', ';']}
          style={{ width: '100%', marginTop: 4 }}
          placeholder={t('partner.invite.placeholder')}
          aria-label={t('partner.invite.emails')}
          data-testid="invite-emails"
        />
        <ErrorAlert error={invite.error} />
        {invite.isSuccess && <Alert type="success" showIcon role="status" title={t('partner.invite.sent')} style={{ marginTop: 8 }} />}
        <Button
          type="primary"
          style={{ marginTop: 12 }}
          disabled={!emails.length}
          loading={invite.isPending}
          onClick={() => invite.mutate()}
          data-testid="send-invitations"
        >
          {t('partner.invite.send')}
        </Button>
      </Card>
      <ErrorAlert error={list.error} />
      <Table<Invitation>
        data-testid="invitations-table"
        rowKey="id"
        size="small"
        loading={list.isLoading}
        dataSource={itemsOf(list.data)}
        pagination={false}
        locale={{ emptyText: t('partner.invite.empty') }}
        columns={[
          { title: t('partner.invite.email'), dataIndex: 'email' },
          {
            title: t('partner.invite.link'),
            dataIndex: 'link',
            render: (l: string) => (
              <Typography.Text copyable={{ text: l, tooltips: [t('common.copy'), t('common.copied')] }}>
                <code data-testid="invitation-link" style={{ wordBreak: 'break-all', fontSize: 12 }}>
                  {l}
                </code>
              </Typography.Text>
            ),
          },
          { title: t('partner.invite.created'), dataIndex: 'createdAt', render: (d: string) => formatDateTime(d) },
          {
            title: t('partner.invite.expires'),
            key: 'expires',
            render: (_: unknown, r) => (
              <>
                {formatDateTime(r.expiresAt)} {r.expired && <Tag color="red">{t('partner.invite.expired')}</Tag>}
              </>
            ),
          },
        ]}
      />
    </Space>
  );
}

function GrantsTab({ appId }: { appId: string }) {
  const { t } = useTranslation();
  const grants = useQuery({ queryKey: ['partner', 'grants', appId], queryFn: () => api.get<Grants>(`/partner/apps/${appId}/grants`) });
  return (
    <>
      <ErrorAlert error={grants.error} />
      <Table<Grant>
        data-testid="grants-table"
        rowKey="id"
        size="small"
        loading={grants.isLoading}
        dataSource={itemsOf(grants.data)}
        pagination={false}
        locale={{ emptyText: t('partner.grants.empty') }}
        columns={[
          { title: t('school.access.api'), key: 'api', render: (_: unknown, r) => known(`apis.${r.apiCode}`, r.apiName) },
          {
            title: t('school.access.institution'),
            key: 'inst',
            render: (_: unknown, r) =>
              r.institutionNumber ? (
                <>
                  {`${r.institutionNumber} - ${r.institutionName ?? ''}`}{' '}
                  {r.sandbox && (
                    <Tag color="purple" data-testid="sandbox-tag">
                      {t('developers.sandboxGrant')}
                    </Tag>
                  )}
                </>
              ) : (
                ''
              ),
          },
          { title: t('school.access.accessGroup'), key: 'group', render: (_: unknown, r) => r.accessGroupName ?? '' },
          { title: t('partner.grants.since'), dataIndex: 'grantedAt', render: (d: string) => formatDateTime(d) },
          { title: t('school.log.why'), dataIndex: 'reason', render: (r: string | null) => r ?? '' },
        ]}
      />
    </>
  );
}

function LogTab({ appId }: { appId: string }) {
  return <AuditLog appId={appId} testId="partner-log-table" />;
}
