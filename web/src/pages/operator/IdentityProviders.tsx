import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Form, Input, Modal, Select, Space, Switch, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import { itemsOf, type Item, type Res } from '../../api/types.ts';
import { Check, ErrorAlert, PageTitle } from '../../components/common.tsx';
import { formatDateTime, known } from '../../lib/format.ts';
import { problemField, problemMessage } from '../../lib/problem.ts';

/** An upstream OpenID Connect provider of a school board, as the operator API answers it (the secret is never returned). */
type IdentityProvider = Item<Res<'/api/v1/operator/identity-providers'>>;
/** A school board (SS 12000 Huvudman) to choose from. */
type SchoolBoard = Item<Res<'/api/v1/operator/school-boards'>>;

interface IdpForm {
  boardId: string;
  displayName: string;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  personClaim: IdentityProvider['personClaim'];
  passwordAllowed: boolean;
}

const CLAIMS = ['eppn', 'email', 'civic_no'] as const;
const PATH = '/operator/identity-providers';

/** Operator: per school board, the upstream identity provider its people may sign in with (list, add, edit, delete). */
export function IdentityProvidersPage() {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['operator', 'idps'], queryFn: () => api.get<Res<'/api/v1/operator/identity-providers'>>(PATH) });
  const [editing, setEditing] = useState<IdentityProvider | 'new' | null>(null);
  const remove = useMutation({
    mutationFn: (id: string) => api.delete(`${PATH}/${id}`),
    onSuccess: async () => {
      void message.success(t('operator.idp.deleted'));
      await qc.invalidateQueries({ queryKey: ['operator', 'idps'] });
    },
  });
  const rows = itemsOf(list.data) as IdentityProvider[];
  return (
    <>
      <PageTitle
        extra={
          <Button type="primary" onClick={() => setEditing('new')}>
            {t('operator.idp.add')}
          </Button>
        }
      >
        {t('operator.idp.title')}
      </PageTitle>
      <p>{t('operator.idp.intro')}</p>
      <ErrorAlert error={list.error ?? remove.error} />
      <Table<IdentityProvider>
        data-testid="idp-table"
        rowKey="id"
        loading={list.isLoading}
        dataSource={rows}
        pagination={false}
        scroll={{ x: true }}
        // antd's placeholder grey (#bfbfbf) fails WCAG AA contrast; the description grey passes.
        locale={{ emptyText: <span style={{ color: '#595959' }}>{t('operator.idp.empty')}</span> }}
        columns={[
          { title: t('operator.idp.displayName'), dataIndex: 'displayName' },
          {
            title: t('operator.idp.board'),
            key: 'board',
            render: (_: unknown, r) => (
              <>
                {r.board.name}
                <div style={{ color: '#595959' }}>{r.institutionNumbers.join(', ')}</div>
              </>
            ),
          },
          { title: t('operator.idp.issuer'), dataIndex: 'issuer', render: (v: string) => <code>{v}</code> },
          { title: t('operator.idp.clientId'), dataIndex: 'clientId', render: (v: string) => <code>{v}</code> },
          {
            title: t('operator.idp.redirectUri'),
            dataIndex: 'redirectUri',
            render: (v: string) => (
              <Typography.Text code copyable={{ text: v, tooltips: [t('common.copy'), t('common.copied')] }}>
                {v}
              </Typography.Text>
            ),
          },
          { title: t('operator.idp.personClaim'), dataIndex: 'personClaim', render: (v: string) => known(`operator.idp.claims.${v}`, v) },
          { title: t('operator.idp.passwordAllowed'), dataIndex: 'passwordAllowed', render: (v: boolean) => <Check value={v} /> },
          { title: t('audit.when'), dataIndex: 'updatedAt', render: (v: string) => formatDateTime(v) },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, r) => (
              <Space>
                <Button size="small" onClick={() => setEditing(r)} aria-label={`${t('common.edit')} ${r.displayName}`}>
                  {t('common.edit')}
                </Button>
                <Button
                  size="small"
                  danger
                  aria-label={`${t('operator.idp.delete')} ${r.displayName}`}
                  onClick={() =>
                    modal.confirm({
                      title: t('operator.idp.deleteTitle', { name: r.displayName }),
                      content: t('operator.idp.deleteBody'),
                      okText: t('operator.idp.delete'),
                      okButtonProps: { danger: true },
                      cancelText: t('common.cancel'),
                      onOk: () => remove.mutateAsync(r.id),
                    })
                  }
                >
                  {t('operator.idp.delete')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      {editing && <IdpModal existing={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </>
  );
}

function IdpModal({ existing, onClose }: { existing: IdentityProvider | null; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [form] = Form.useForm<IdpForm>();
  const boards = useQuery({
    queryKey: ['operator', 'school-boards'],
    queryFn: () => api.get<Res<'/api/v1/operator/school-boards'>>('/operator/school-boards'),
  });
  const save = useMutation({
    mutationFn: (v: IdpForm) => {
      // An empty secret on edit keeps the stored one (it is never shown, so it cannot be pre-filled).
      const body = { ...v, clientSecret: v.clientSecret ? v.clientSecret : undefined };
      return existing ? api.patch(`${PATH}/${existing.id}`, body) : api.post(PATH, body);
    },
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['operator', 'idps'] });
      onClose();
    },
    onError: (e) => {
      const field = problemField(e);
      if (field) form.setFields([{ name: field as keyof IdpForm, errors: [problemMessage(t, e)] }]);
    },
  });
  const required = [{ required: true, message: t('validation.required') }];
  return (
    <Modal
      open
      title={existing ? t('operator.idp.editTitle') : t('operator.idp.addTitle')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      destroyOnHidden
    >
      <Card variant="borderless" styles={{ body: { padding: 0 } }}>
        <Form<IdpForm>
          form={form}
          layout="vertical"
          requiredMark={false}
          initialValues={existing ? { ...existing, boardId: existing.board.id, clientSecret: '' } : { personClaim: 'eppn', passwordAllowed: true }}
          onFinish={(v) => save.mutate(v)}
        >
          <Form.Item label={t('operator.idp.board')} name="boardId" extra={t('operator.idp.boardHint')} rules={required}>
            <Select
              aria-label={t('operator.idp.board')}
              showSearch={{ optionFilterProp: 'label' }}
              loading={boards.isLoading}
              options={(itemsOf(boards.data) as SchoolBoard[]).map((b) => ({
                value: b.id,
                label: `${b.name} (${b.institutionNumbers.join(', ')})`,
                // One provider per board: a board that has one is edited, not added again.
                disabled: Boolean(b.identityProviderId) && b.identityProviderId !== existing?.id,
              }))}
            />
          </Form.Item>
          <Form.Item label={t('operator.idp.displayName')} name="displayName" extra={t('operator.idp.displayNameHint')} rules={required}>
            <Input />
          </Form.Item>
          <Form.Item label={t('operator.idp.issuer')} name="issuer" extra={t('operator.idp.issuerHint')} rules={required}>
            <Input type="url" placeholder="https://" />
          </Form.Item>
          <Form.Item label={t('operator.idp.clientId')} name="clientId" rules={required}>
            <Input autoComplete="off" />
          </Form.Item>
          <Form.Item
            label={t('operator.idp.clientSecret')}
            name="clientSecret"
            extra={existing ? t('operator.idp.secretKeep') : undefined}
            rules={existing ? [] : required}
          >
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item label={t('operator.idp.personClaim')} name="personClaim" extra={t('operator.idp.personClaimHint')}>
            <Select aria-label={t('operator.idp.personClaim')} options={CLAIMS.map((c) => ({ value: c, label: t(`operator.idp.claims.${c}`) }))} />
          </Form.Item>
          <Form.Item label={t('operator.idp.passwordAllowed')} name="passwordAllowed" valuePropName="checked" extra={t('operator.idp.passwordAllowedHint')}>
            <Switch />
          </Form.Item>
          <ErrorAlert error={save.error} />
        </Form>
      </Card>
    </Modal>
  );
}
