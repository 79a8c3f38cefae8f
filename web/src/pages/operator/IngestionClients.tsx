import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Form, Input, Modal, Space, Table } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import { itemsOf, type Item, type Res } from '../../api/types.ts';
import { ErrorAlert, PageTitle } from '../../components/common.tsx';
import { SecretOnce } from '../../components/SecretOnce.tsx';
import { formatDateTime } from '../../lib/format.ts';

type IngestionClients = Res<'/api/v1/operator/ingestion-clients'>;
type IngestionClient = Item<IngestionClients>;
type Created = Res<'/api/v1/operator/ingestion-clients', 'post'>;
type Rotated = Res<'/api/v1/operator/ingestion-clients/{clientId}/secrets', 'post'>;

/**
 * Ingestion clients: the SIS side's loaders of SS 12000 data. Create (secret shown once), rotate
 * the secret with an overlap, revoke with a reason.
 */
export function IngestionClientsPage() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['operator', 'ingestion-clients'], queryFn: () => api.get<IngestionClients>('/operator/ingestion-clients') });
  const [shown, setShown] = useState<{ clientId: string; secret: string; note?: string } | null>(null);
  const [revoking, setRevoking] = useState<IngestionClient | null>(null);
  const [form] = Form.useForm<{ name: string }>();
  const [revokeForm] = Form.useForm<{ reason?: string }>();
  const refresh = () => qc.invalidateQueries({ queryKey: ['operator', 'ingestion-clients'] });

  const create = useMutation({
    mutationFn: (v: { name: string }) => api.post<Created>('/operator/ingestion-clients', v),
    onSuccess: async (r) => {
      setShown({ clientId: r.clientId, secret: r.secret });
      form.resetFields();
      await refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: (clientId: string) => api.post<Rotated>(`/operator/ingestion-clients/${clientId}/secrets`),
    onSuccess: async (r) => {
      setShown({
        clientId: r.clientId,
        secret: r.secret,
        note: r.previousSecret ? t('partner.client.overlap', { hint: r.previousSecret.hint, date: formatDateTime(r.previousSecret.expiresAt) }) : undefined,
      });
      await refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (v: { clientId: string; reason?: string }) =>
      api.delete(`/operator/ingestion-clients/${v.clientId}${v.reason ? `?reason=${encodeURIComponent(v.reason)}` : ''}`),
    onSuccess: async () => {
      setRevoking(null);
      revokeForm.resetFields();
      await refresh();
    },
  });

  return (
    <>
      <PageTitle>{t('operator.ingestion.title')}</PageTitle>
      <p>{t('operator.ingestion.intro')}</p>
      {shown && <SecretOnce {...shown} testId="ingestion" onDone={() => setShown(null)} />}
      <ErrorAlert error={list.error ?? rotate.error} />
      <Table<IngestionClient>
        rowKey="id"
        loading={list.isLoading}
        dataSource={itemsOf(list.data)}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: t('operator.ingestion.empty') }}
        columns={[
          { title: t('partner.client.name'), dataIndex: 'name' },
          { title: t('partner.app.clientId'), dataIndex: 'id', render: (id: string) => <code>{id}</code> },
          {
            title: t('partner.client.secrets'),
            key: 'secrets',
            render: (_: unknown, r) => (
              <Space direction="vertical" size={0}>
                {r.secrets.map((s) => (
                  <span key={`${s.hint}-${String(s.createdAt)}`}>
                    …{s.hint} · {t('common.label', { text: t('partner.client.lastUsed') })}{' '}
                    {s.lastUsedAt ? formatDateTime(s.lastUsedAt) : t('partner.client.never')} ·{' '}
                    {s.expiresAt ? `${t('common.label', { text: t('partner.client.expires') })} ${formatDateTime(s.expiresAt)}` : t('partner.client.noExpiry')}
                  </span>
                ))}
              </Space>
            ),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, r) => (
              <Space wrap>
                <Button
                  onClick={() => rotate.mutate(r.id)}
                  loading={rotate.isPending && rotate.variables === r.id}
                  aria-label={`${t('common.label', { text: t('partner.client.rotate') })} ${r.name}`}
                >
                  {t('partner.client.rotate')}
                </Button>
                <Button danger onClick={() => setRevoking(r)} aria-label={`${t('common.label', { text: t('operator.ingestion.revoke') })} ${r.name}`}>
                  {t('operator.ingestion.revoke')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <Card title={t('operator.ingestion.create')} style={{ marginTop: 24, maxWidth: 600 }}>
        <ErrorAlert error={create.error} />
        <Form form={form} layout="vertical" onFinish={(v) => create.mutate(v)}>
          <Form.Item name="name" label={t('partner.client.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
            <Input maxLength={200} placeholder="IST nightly loader" />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={create.isPending}>
            {t('operator.ingestion.create')}
          </Button>
        </Form>
      </Card>
      <Modal
        open={revoking !== null}
        title={t('operator.ingestion.revokeTitle', { name: revoking?.name ?? '' })}
        onCancel={() => setRevoking(null)}
        onOk={() => revokeForm.submit()}
        okText={t('operator.ingestion.revoke')}
        okButtonProps={{ danger: true, loading: revoke.isPending }}
        cancelText={t('common.cancel')}
        forceRender
      >
        <p>{t('operator.ingestion.revokeBody')}</p>
        <ErrorAlert error={revoke.error} />
        <Form form={revokeForm} layout="vertical" onFinish={(v) => revoking && revoke.mutate({ clientId: revoking.id, reason: v.reason?.trim() || undefined })}>
          <Form.Item name="reason" label={t('operator.ingestion.reason')}>
            <Input.TextArea rows={2} maxLength={1000} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
