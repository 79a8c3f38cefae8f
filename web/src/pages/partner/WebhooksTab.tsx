import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Form, Input, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import type { Res } from '../../api/types.ts';
import { ErrorAlert } from '../../components/common.tsx';
import { formatDateTime } from '../../lib/format.ts';

type Webhook = Res<'/api/v1/partner/apps/{appId}/webhook'>;
type Configured = Res<'/api/v1/partner/apps/{appId}/webhook', 'put'>;
type Deliveries = Res<'/api/v1/partner/apps/{appId}/webhook-deliveries'>;
type Delivery = Deliveries['data'][number];

const STATUS_COLOR: Record<Delivery['status'], string> = { pending: 'blue', delivered: 'green', failed: 'red', withheld: 'default' };

/**
 * The app's webhooks: the endpoint its events go to (with the signing secret shown once), and every
 * signed message of the app — its events and its client's SS 12000 notifications — with status, the
 * attempts and "send again".
 */
export function WebhooksTab({ appId }: { appId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [secret, setSecret] = useState<string | undefined>();
  const webhook = useQuery({ queryKey: ['partner', 'webhook', appId], queryFn: () => api.get<Webhook>(`/partner/apps/${appId}/webhook`) });
  const deliveries = useQuery({
    queryKey: ['partner', 'webhook-deliveries', appId],
    queryFn: () => api.get<Deliveries>(`/partner/apps/${appId}/webhook-deliveries`),
  });
  const save = useMutation({
    mutationFn: (body: { target: string; rotateSecret?: boolean }) => api.put<Configured>(`/partner/apps/${appId}/webhook`, body),
    onSuccess: async (r) => {
      setSecret(r.webhook.secret);
      await qc.invalidateQueries({ queryKey: ['partner', 'webhook', appId] });
    },
  });
  const remove = useMutation({
    mutationFn: () => api.delete<unknown>(`/partner/apps/${appId}/webhook`),
    onSuccess: async () => {
      setSecret(undefined);
      await qc.invalidateQueries({ queryKey: ['partner', 'webhook', appId] });
    },
  });
  const replay = useMutation({
    mutationFn: (id: string) => api.post<{ id: string }>(`/partner/apps/${appId}/webhook-deliveries/${id}/replay`, {}),
    onSuccess: async () => {
      void message.success(t('webhooks.replayed'));
      await qc.invalidateQueries({ queryKey: ['partner', 'webhook-deliveries', appId] });
    },
  });
  const current = webhook.data?.webhook ?? null;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card size="small" title={t('webhooks.endpointTitle')}>
        <Typography.Paragraph>{t('webhooks.endpointIntro')}</Typography.Paragraph>
        <ErrorAlert error={webhook.error ?? save.error ?? remove.error} />
        {secret && (
          <Alert
            type="warning"
            showIcon
            style={{ marginBottom: 16 }}
            title={t('webhooks.secretOnceTitle')}
            description={
              <>
                <p>{t('webhooks.secretOnceBody')}</p>
                <Typography.Text code copyable data-testid="webhook-secret">
                  {secret}
                </Typography.Text>
              </>
            }
            action={
              <Button size="small" onClick={() => setSecret(undefined)}>
                {t('webhooks.secretStored')}
              </Button>
            }
          />
        )}
        <Form
          layout="vertical"
          key={current?.target ?? 'none'}
          initialValues={{ target: current?.target ?? '' }}
          onFinish={(v: { target: string }) => save.mutate({ target: v.target.trim() })}
        >
          <Form.Item
            name="target"
            label={t('webhooks.target')}
            rules={[{ required: true, message: t('webhooks.targetRequired') }]}
            extra={t('webhooks.targetHelp')}
          >
            <Input placeholder="https://example.org/schoolgate-events" data-testid="webhook-target" />
          </Form.Item>
          <Space wrap>
            <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="webhook-save">
              {t('webhooks.save')}
            </Button>
            {current && (
              <>
                <Button onClick={() => save.mutate({ target: current.target, rotateSecret: true })} loading={save.isPending}>
                  {t('webhooks.rotate')}
                </Button>
                <Button danger onClick={() => remove.mutate()} loading={remove.isPending}>
                  {t('webhooks.remove')}
                </Button>
              </>
            )}
          </Space>
        </Form>
      </Card>
      <Card size="small" title={t('webhooks.deliveriesTitle')}>
        <Typography.Paragraph>{t('webhooks.deliveriesIntro')}</Typography.Paragraph>
        <ErrorAlert error={deliveries.error ?? replay.error} />
        <Table<Delivery>
          data-testid="webhook-deliveries"
          rowKey="id"
          size="small"
          loading={deliveries.isLoading}
          dataSource={deliveries.data?.data ?? []}
          pagination={false}
          scroll={{ x: true }}
          locale={{ emptyText: t('webhooks.empty') }}
          expandable={{
            expandedRowRender: (d) => (
              <Table
                size="small"
                rowKey={(a) => `${a.at}-${a.target}`}
                dataSource={d.attemptLog}
                pagination={false}
                columns={[
                  { title: t('webhooks.attemptAt'), dataIndex: 'at', render: (v: string) => formatDateTime(v) },
                  { title: t('webhooks.httpStatus'), dataIndex: 'statusCode', render: (v: number | null) => v ?? '—' },
                  { title: t('webhooks.duration'), dataIndex: 'durationMs', render: (v: number) => t('webhooks.ms', { count: v }) },
                  { title: t('webhooks.error'), dataIndex: 'error', render: (v: string | null) => v ?? '' },
                ]}
              />
            ),
          }}
          columns={[
            { title: t('webhooks.created'), dataIndex: 'createdAt', render: (v: string) => formatDateTime(v) },
            {
              title: t('webhooks.event'),
              key: 'event',
              render: (_: unknown, d) => (d.kind === 'subscription' ? t('webhooks.notification') : d.eventType),
            },
            {
              title: t('webhooks.status'),
              key: 'status',
              render: (_: unknown, d) => <Tag color={STATUS_COLOR[d.status]}>{t(`webhooks.statuses.${d.status}`)}</Tag>,
            },
            { title: t('webhooks.attempts'), dataIndex: 'attempts' },
            { title: t('webhooks.messageId'), dataIndex: 'id', render: (v: string) => <code style={{ fontSize: 12 }}>{v}</code> },
            {
              title: '',
              key: 'replay',
              render: (_: unknown, d) => (
                <Button size="small" onClick={() => replay.mutate(d.id)} loading={replay.isPending && replay.variables === d.id} data-testid="webhook-replay">
                  {t('webhooks.replay')}
                </Button>
              ),
            },
          ]}
        />
      </Card>
    </Space>
  );
}
