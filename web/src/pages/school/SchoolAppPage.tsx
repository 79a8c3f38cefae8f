import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Checkbox, Descriptions, Input, Space, Table, Tabs, Tag } from 'antd';
import type { TFunction } from 'i18next';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, qs } from '../../api/client.ts';
import { itemsOf, type Item, type Res } from '../../api/types.ts';
import { AccessLogTable } from '../../components/AccessLog.tsx';
import { ClientReportsTable } from '../../components/ClientReports.tsx';
import { AccessibleTransfer } from '../../components/AccessibleTransfer.tsx';
import { Check, ErrorAlert, Loading, PageTitle, StatusTag } from '../../components/common.tsx';
import { formatDate, formatDateTime, formatNumber, known } from '../../lib/format.ts';
import { purposeFor, type Purposes } from '../../lib/purposes.ts';
import { SwitchStateTag } from './SchoolApps.tsx';

type Detail = Res<'/api/v1/school/apps/{appId}'>;
type AccessAnswer = Res<'/api/v1/school/apps/{appId}/api-access'>;
type Entry = Item<AccessAnswer>;
type Target = { institutionNumber: string | null; accessGroupId: string | null; name: string; changeable?: boolean; accessLevel?: AccessLevel };
type AccessLevel = 'read' | 'read_write';
/** The level an API's grants are at as one choice (read-write when any of them is). */
const levelOfEntry = (e: { granted: Target[] }): AccessLevel => (e.granted.some((g) => g.accessLevel === 'read_write') ? 'read_write' : 'read');
type LogAnswer = Res<'/api/v1/school/apps/{appId}/log'>;
type LogRow = Item<LogAnswer>;

const keyOf = (x: Target) => (x.institutionNumber ?? x.accessGroupId) as string;
const labelOf = (x: Target) => (x.institutionNumber ? `${x.institutionNumber} - ${x.name}` : x.name);

/** The app page of the school back-office: tabs General, API access and Logs (manual §3.1, §4, §5). */
export function SchoolAppPage({ legacyClient = false }: { legacyClient?: boolean }) {
  const { t } = useTranslation();
  const { appId = '', clientId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const invitation = params.get('invitation') ?? undefined;
  const tab = params.get('tab') ?? (legacyClient ? 'access' : 'general');
  const q = qs({ invitation });
  const detail = useQuery({
    queryKey: ['school', 'app', appId, invitation],
    queryFn: () => api.get<Detail>(`/school/apps/${appId}${q}`),
    enabled: !legacyClient,
  });
  if (!legacyClient && detail.isLoading) return <Loading />;
  if (!legacyClient && detail.error) {
    return (
      <>
        <PageTitle>{t('school.app.title')}</PageTitle>
        <ErrorAlert error={detail.error} />
        <p style={{ marginTop: 16 }}>
          <Link to="/school/apps">{t('school.app.back')}</Link>
        </p>
      </>
    );
  }
  const app = detail.data;
  const accessPath = legacyClient ? `/school/clients/${clientId}/api-access` : `/school/apps/${appId}/api-access${q}`;
  const items = [
    ...(legacyClient ? [] : [{ key: 'general', label: t('school.app.tabGeneral'), children: <GeneralTab app={app} appId={appId} /> }]),
    {
      key: 'access',
      label: t('school.app.tabAccess'),
      children: <AccessTab path={accessPath} appId={legacyClient ? undefined : appId} invitation={invitation} />,
    },
    ...(legacyClient
      ? []
      : [
          { key: 'logs', label: t('school.app.tabLogs'), children: <LogsTab appId={appId} invitation={invitation} /> },
          { key: 'reads', label: t('accessLog.tab'), children: <AccessLogTable appId={appId} /> },
          { key: 'reports', label: t('clientReports.tab'), children: <ClientReportsTable appId={appId} school /> },
        ]),
  ];
  return (
    <>
      <p style={{ marginBottom: 8 }}>
        <Link to="/school/apps">{t('school.app.back')}</Link>
      </p>
      <PageTitle extra={app ? <StatusTag status={app.status} /> : undefined}>{legacyClient ? t('school.app.legacyTitle', { clientId }) : app?.name}</PageTitle>
      <Tabs
        activeKey={tab}
        onChange={(k) => {
          const next = new URLSearchParams(params);
          next.set('tab', k);
          setParams(next, { replace: true });
        }}
        items={items}
      />
    </>
  );
}

function GeneralTab({ app, appId }: { app: Detail | undefined; appId: string }) {
  const { t, i18n } = useTranslation();
  if (!app) return null;
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="general-tab">
      <SwitchCard app={app} appId={appId} />
      <Card title={t('magister.informed.title')} data-testid="approved-for">
        <Descriptions column={1} bordered size="small" style={{ marginBottom: 16 }}>
          <Descriptions.Item label={t('magister.informed.accreditedOn')}>{formatDate(app.accreditation.approvedAt)}</Descriptions.Item>
          {app.accreditation.notes && <Descriptions.Item label={t('magister.informed.notes')}>{app.accreditation.notes}</Descriptions.Item>}
        </Descriptions>
        <Space direction="vertical" style={{ width: '100%' }}>
          {app.apis.map((x) => (
            <ApprovedApi
              key={x.code}
              code={x.code}
              name={x.name}
              dataCategories={x.dataCategories}
              purpose={purposeFor(x.purposes as Purposes, i18n.language, x.purpose)}
            />
          ))}
        </Space>
      </Card>
      <Card title={t('school.app.details')}>
        <Descriptions column={1} bordered size="small">
          <Descriptions.Item label={t('school.app.partner')}>{app.partner.name}</Descriptions.Item>
          <Descriptions.Item label={t('school.app.name')}>{app.name}</Descriptions.Item>
          <Descriptions.Item label={t('school.app.description')}>{app.description}</Descriptions.Item>
        </Descriptions>
      </Card>
      <Card title={t('school.app.apiClient')}>
        <Descriptions column={1} bordered size="small">
          <Descriptions.Item label={t('school.app.clientId')}>
            <code>{app.client?.id ?? '—'}</code>
          </Descriptions.Item>
          <Descriptions.Item label={t('school.app.clientName')}>{app.client?.name ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('school.app.active')}>
            <Check value={app.active} />
          </Descriptions.Item>
          <Descriptions.Item label={t('school.app.apis')}>
            {app.apis.map((a: { code: string; name: string }) => (
              <Tag key={a.code}>{known(`apis.${a.code}`, a.name)}</Tag>
            ))}
          </Descriptions.Item>
        </Descriptions>
      </Card>
      <ConsentCounts app={app} />
      <Card title={t('school.app.contact')}>
        <Descriptions column={1} bordered size="small">
          <Descriptions.Item label={t('school.app.contactEmail')}>{app.contactEmail}</Descriptions.Item>
        </Descriptions>
      </Card>
    </Space>
  );
}

/** One API as the app was accredited for it: the data categories and the purpose. */
function ApprovedApi({ code, name, dataCategories, purpose }: { code: string; name: string; dataCategories: string[]; purpose: string }) {
  const { t } = useTranslation();
  return (
    <Card size="small" title={known(`apis.${code}`, name)} data-testid={`approved-${code}`}>
      <p>
        <strong>{t('common.label', { text: t('magister.informed.dataCategories') })}</strong>{' '}
        {dataCategories.map((c) => (
          <Tag key={c}>{known(`categories.${c}`, c)}</Tag>
        ))}
      </p>
      <p style={{ marginBottom: 0 }}>
        <strong>{t('common.label', { text: t('magister.informed.purpose') })}</strong> {purpose}
      </p>
    </Card>
  );
}

/**
 * The on/off switch for the admin's institutions (Magister's flow, seed 000): off suspends exactly
 * what the app holds there, on restores exactly that; an optional reason; confirmed first.
 */
function SwitchCard({ app, appId }: { app: Detail; appId: string }) {
  const { t } = useTranslation();
  const { modal } = App.useApp();
  const qc = useQueryClient();
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<'on' | 'off' | null>(null);
  const info = app.switch;
  const toggle = useMutation({
    mutationFn: (on: boolean) => api.put(`/school/apps/${appId}/switch`, { on, reason: reason.trim() || undefined }),
    onSuccess: async (_: unknown, on: boolean) => {
      setDone(on ? 'on' : 'off');
      setReason('');
      await qc.invalidateQueries({ queryKey: ['school'] });
    },
  });
  const ask = (on: boolean) =>
    modal.confirm({
      title: t(on ? 'magister.switch.confirmOnTitle' : 'magister.switch.confirmOffTitle', { app: app.name }),
      content: t(on ? 'magister.switch.confirmOnBody' : 'magister.switch.confirmOffBody'),
      okText: t(on ? 'magister.switch.switchOn' : 'magister.switch.switchOff'),
      okButtonProps: on ? {} : { danger: true },
      cancelText: t('common.cancel'),
      onOk: () => toggle.mutate(on),
    });
  const last = info.lastChange;
  return (
    <Card title={t('magister.switch.title')} data-testid="switch-card">
      <Space direction="vertical" style={{ width: '100%' }}>
        <SwitchStateTag info={info} />
        {last && (
          <span data-testid="switch-last">
            {t(last.on ? 'magister.switch.lastOn' : 'magister.switch.lastOff', { by: last.by, at: formatDateTime(last.at) })}
          </span>
        )}
        {info.state === 'not_granted' ? (
          <p>{t('magister.switch.notGrantedHint')}</p>
        ) : (
          <>
            <p>{t('magister.switch.intro')}</p>
            <label htmlFor="switch-reason">{t('magister.switch.reasonLabel')}</label>
            <Input.TextArea id="switch-reason" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} rows={2} />
            <Space>
              {info.state !== 'off' && (
                <Button danger onClick={() => ask(false)} loading={toggle.isPending} data-testid="switch-off">
                  {t('magister.switch.switchOff')}
                </Button>
              )}
              {info.state !== 'on' && (
                <Button type="primary" onClick={() => ask(true)} loading={toggle.isPending} data-testid="switch-on">
                  {t('magister.switch.switchOn')}
                </Button>
              )}
            </Space>
          </>
        )}
        {done && <Alert type="success" showIcon role="status" title={t(done === 'on' ? 'magister.switch.doneOn' : 'magister.switch.doneOff')} />}
        <ErrorAlert error={toggle.error} />
      </Space>
    </Card>
  );
}

/**
 * How many students of the admin's institutions allowed the app to sign them in ("Log in with
 * Schoolgate"), per institution. Read loosely: the field may be newer than the generated types.
 */
function ConsentCounts({ app }: { app: Detail }) {
  const { t } = useTranslation();
  const consents = (app as { consents?: { institutionNumber: string; count: number }[] }).consents;
  if (!consents) return null;
  return (
    <Card title={t('school.app.consentsTitle')} data-testid="consent-counts">
      <p>{t('school.app.consentsIntro')}</p>
      {consents.length === 0 ? (
        <p>{t('school.app.consentsNone')}</p>
      ) : (
        <Descriptions column={1} bordered size="small">
          {consents.map((c) => (
            <Descriptions.Item key={c.institutionNumber} label={c.institutionNumber}>
              {t('school.app.consentsCount', { n: formatNumber(c.count) })}
            </Descriptions.Item>
          ))}
        </Descriptions>
      )}
    </Card>
  );
}

/** Why Edit is disabled, in the user's language, naming the right needed. */
function reasonText(t: TFunction, entry: Entry): string {
  const reason = entry.notEditableReason as string | null;
  if (reason === 'insufficient_rights')
    return t('school.access.reason.insufficient_rights', {
      api: known(`apis.${entry.apiCode}`, entry.apiName),
      rights: entry.requiredRights.join(` ${t('common.or')} `),
    });
  return t(`school.access.reason.${reason ?? 'unknown'}`);
}

function AccessTab({ path, appId, invitation }: { path: string; appId?: string; invitation?: string }) {
  const { t, i18n } = useTranslation();
  const { modal } = App.useApp();
  const qc = useQueryClient();
  const access = useQuery({ queryKey: ['school', 'access', path], queryFn: () => api.get<AccessAnswer>(path) });
  const [editing, setEditing] = useState(false);
  const [targets, setTargets] = useState<Record<string, string[]>>({});
  // Write grants: the level the admin chose per API; read unless they tick read-write themselves.
  const [levels, setLevels] = useState<Record<string, AccessLevel>>({});
  const [reason, setReason] = useState('');
  const [saved, setSaved] = useState(false);
  const entries = itemsOf(access.data) as Entry[];

  const save = useMutation({
    mutationFn: async (changes: { entry: Entry; keys: string[] }[]) => {
      for (const { entry, keys } of changes) {
        const accessLevel = levels[entry.apiCode] ?? 'read';
        const body =
          entry.grantTarget === 'access_group'
            ? { accessGroupIds: keys, reason: reason || undefined, confirmRemoval: true, accessLevel }
            : { institutionNumbers: keys, reason: reason || undefined, confirmRemoval: true, accessLevel };
        await api.put(`/school/apps/${appId}/api-access/${entry.apiCode}${qs({ invitation })}`, body);
      }
    },
    onSuccess: async () => {
      setEditing(false);
      setSaved(true);
      setReason('');
      await qc.invalidateQueries({ queryKey: ['school'] });
    },
  });

  if (access.isLoading) return <Loading />;
  if (access.error) return <ErrorAlert error={access.error} />;

  const editable = entries.filter((e) => e.editable);
  const blocked = entries.filter((e) => !e.editable);
  const grantedRows = entries.flatMap((e) =>
    e.granted.map((g: Target) => ({
      key: `${e.apiCode}:${keyOf(g)}`,
      api: known(`apis.${e.apiCode}`, e.apiName),
      institution: g.institutionNumber ? labelOf(g) : '',
      group: g.accessGroupId ? g.name : '',
      level: g.accessLevel === 'read_write' ? t('writeAccess.readWrite') : t('writeAccess.read'),
    })),
  );

  function startEdit() {
    setTargets(Object.fromEntries(editable.map((e) => [e.apiCode, e.granted.map(keyOf)])));
    setLevels(Object.fromEntries(editable.map((e) => [e.apiCode, levelOfEntry(e)])));
    setSaved(false);
    setEditing(true);
  }

  function onSave() {
    const changes = editable
      .map((e) => ({ entry: e, keys: targets[e.apiCode] ?? [], before: e.granted.map(keyOf) as string[] }))
      .filter(
        (c) =>
          c.keys.length !== c.before.length ||
          c.keys.some((k) => !c.before.includes(k)) ||
          (c.keys.length > 0 && (levels[c.entry.apiCode] ?? 'read') !== levelOfEntry(c.entry)),
      );
    if (!changes.length) {
      setEditing(false);
      return;
    }
    const removed = changes.flatMap((c) =>
      c.entry.granted
        .filter((g: Target) => !c.keys.includes(keyOf(g)))
        .map((g: Target) => `${known(`apis.${c.entry.apiCode}`, c.entry.apiName)}: ${labelOf(g)}`),
    );
    if (removed.length) {
      modal.confirm({
        title: t('school.access.removeWarningTitle'),
        content: (
          <div data-testid="removal-warning">
            <p>{t('school.access.removeWarningBody')}</p>
            <ul>
              {removed.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          </div>
        ),
        okText: t('school.access.removeConfirm'),
        okButtonProps: { danger: true },
        cancelText: t('common.cancel'),
        onOk: () => save.mutate(changes),
      });
    } else save.mutate(changes);
  }

  const canEdit = Boolean(appId) && editable.length > 0;
  // One warning per distinct reason: a legacy client or a suspended app blocks every API for the same reason.
  const warnings: { text: string; reason: string | null; apiCodes: string[] }[] = [];
  for (const e of blocked) {
    const text = reasonText(t, e);
    const known = warnings.find((w) => w.text === text);
    if (known) known.apiCodes.push(e.apiCode);
    else warnings.push({ text, reason: e.notEditableReason as string | null, apiCodes: [e.apiCode] });
  }
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="access-tab">
      {warnings.map((w, i) => (
        <Alert
          key={w.text}
          id={`not-editable-${i}`}
          type="warning"
          showIcon
          title={w.text}
          data-testid={`not-editable-${w.apiCodes.join('-')}`}
          data-reason={w.reason}
        />
      ))}
      {saved && <Alert type="success" showIcon title={t('school.access.saved')} role="status" />}
      {!editing && (
        <>
          <Space>
            <Button
              type="primary"
              onClick={startEdit}
              disabled={!canEdit}
              aria-describedby={!canEdit ? (warnings.length ? 'not-editable-0' : 'edit-disabled-reason') : undefined}
            >
              {t('common.edit')}
            </Button>
            {/* The reason is said once: in the warning above when there is one. */}
            {!canEdit && !warnings.length && (
              <span id="edit-disabled-reason" data-testid="edit-disabled-reason">
                {t('school.access.reason.unknown')}
              </span>
            )}
          </Space>
          {entries
            .filter((e) => e.purpose !== null)
            .map((e) => (
              <ApprovedApi
                key={`approved-${e.apiCode}`}
                code={e.apiCode}
                name={e.apiName}
                dataCategories={e.dataCategories}
                purpose={purposeFor(e.purposes as Purposes, i18n.language, e.purpose ?? '')}
              />
            ))}
          {entries.some((e) => e.suspended.length > 0) && (
            <Alert
              type="warning"
              showIcon
              data-testid="suspended-targets"
              title={t('magister.informed.suspendedIn')}
              description={entries.flatMap((e) => e.suspended.map((g: Target) => `${known(`apis.${e.apiCode}`, e.apiName)}: ${labelOf(g)}`)).join(', ')}
            />
          )}
          <Table
            data-testid="app-access-table"
            rowKey="key"
            size="small"
            dataSource={grantedRows}
            pagination={false}
            locale={{ emptyText: t('school.access.noGrants') }}
            columns={[
              { title: t('school.access.api'), dataIndex: 'api' },
              { title: t('school.access.institution'), dataIndex: 'institution' },
              { title: t('school.access.accessGroup'), dataIndex: 'group' },
              { title: t('writeAccess.label'), dataIndex: 'level' },
            ]}
          />
        </>
      )}
      {editing && (
        <>
          {editable.map((e) => {
            const source = [...e.available.map((x: Target) => ({ ...x, changeable: true })), ...e.granted].map((x: Target) => ({
              key: keyOf(x),
              title: labelOf(x),
              disabled: x.changeable === false,
            }));
            const apiLabel = known(`apis.${e.apiCode}`, e.apiName);
            const count = ({ selectedCount, totalCount }: { selectedCount: number; totalCount: number }) =>
              selectedCount
                ? t('school.access.selectedCount', { selected: selectedCount, count: totalCount })
                : t('school.access.count', { count: totalCount });
            return (
              <Card key={e.apiCode} title={apiLabel} size="small">
                {e.purpose !== null && (
                  <p data-testid={`editor-approved-${e.apiCode}`}>
                    <strong>{t('common.label', { text: t('magister.informed.dataCategories') })}</strong>{' '}
                    {e.dataCategories.map((c: string) => (
                      <Tag key={c}>{known(`categories.${c}`, c)}</Tag>
                    ))}
                    <br />
                    <strong>{t('common.label', { text: t('magister.informed.purpose') })}</strong>{' '}
                    {purposeFor(e.purposes as Purposes, i18n.language, e.purpose ?? '')}
                  </p>
                )}
                <AccessibleTransfer
                  data-testid={`transfer-${e.apiCode}`}
                  dataSource={source}
                  targetKeys={targets[e.apiCode] ?? []}
                  onChange={(keys) => setTargets((prev) => ({ ...prev, [e.apiCode]: keys.map(String) }))}
                  render={(item) => item.title}
                  titles={[t('school.access.leftTitle'), t('school.access.rightTitle')]}
                  operations={['>', '<']}
                  showSearch
                  // Ant Design picks its singular unit for 0 ("0 item"): the count is said with the language's plural rules instead.
                  selectAllLabels={[count, count]}
                  locale={{
                    itemUnit: t('school.access.item'),
                    itemsUnit: t('school.access.items'),
                    notFoundContent: t('school.access.none'),
                    searchPlaceholder: t('common.search'),
                  }}
                  listStyle={{ width: 380, height: 320 }}
                />
                {e.requestedAccessLevel === 'read_write' ? (
                  <div style={{ marginTop: 12 }}>
                    <Checkbox
                      data-testid={`grant-read-write-${e.apiCode}`}
                      checked={(levels[e.apiCode] ?? 'read') === 'read_write'}
                      onChange={(ev) => setLevels((prev) => ({ ...prev, [e.apiCode]: ev.target.checked ? 'read_write' : 'read' }))}
                    >
                      {t('writeAccess.grantReadWrite')}
                    </Checkbox>
                    <p style={{ color: 'rgba(0,0,0,0.6)', marginBottom: 0 }}>{t('writeAccess.grantReadWriteHelp')}</p>
                  </div>
                ) : (
                  <p style={{ color: 'rgba(0,0,0,0.6)', marginTop: 12, marginBottom: 0 }}>{t('writeAccess.readOnlyRequested')}</p>
                )}
              </Card>
            );
          })}
          <label htmlFor="grant-reason">{t('school.access.reasonLabel')}</label>
          <Input.TextArea id="grant-reason" value={reason} onChange={(ev) => setReason(ev.target.value)} maxLength={2000} rows={2} />
          <ErrorAlert error={save.error} />
          <Space>
            <Button type="primary" onClick={onSave} loading={save.isPending}>
              {t('common.save')}
            </Button>
            <Button onClick={() => setEditing(false)}>{t('common.cancel')}</Button>
          </Space>
        </>
      )}
    </Space>
  );
}

function LogsTab({ appId, invitation }: { appId: string; invitation?: string }) {
  const { t } = useTranslation();
  const log = useQuery({ queryKey: ['school', 'log', appId], queryFn: () => api.get<LogAnswer>(`/school/apps/${appId}/log${qs({ invitation })}`) });
  if (log.error) return <ErrorAlert error={log.error} />;
  return (
    <Table<LogRow>
      data-testid="app-log-table"
      rowKey="id"
      loading={log.isLoading}
      dataSource={itemsOf(log.data)}
      pagination={{ pageSize: 50, hideOnSinglePage: true }}
      locale={{ emptyText: t('school.log.empty') }}
      columns={[
        { title: t('school.log.when'), dataIndex: 'at', render: (d: string) => formatDateTime(d) },
        { title: t('school.log.who'), dataIndex: 'actor' },
        {
          title: t('school.log.what'),
          key: 'changes',
          render: (_: unknown, r) => (
            <Space wrap>
              {r.action === 'grants.suspended' && <Tag color="red">{t('magister.log.suspended')}</Tag>}
              {r.action === 'grants.restored' && <Tag color="green">{t('magister.log.restored')}</Tag>}
              {r.changes.map((c: { change: string; apiCode: string; institutionNumber: string | null; accessGroupId: string | null }, i: number) => (
                <Tag key={i} color={c.change === 'added' ? 'green' : 'red'}>
                  {t(`school.log.${c.change}`)} · {known(`apis.${c.apiCode}`, c.apiCode)} · {c.institutionNumber ?? c.accessGroupId}
                </Tag>
              ))}
            </Space>
          ),
        },
        { title: t('school.log.why'), dataIndex: 'reason', render: (r: string | null) => r ?? '' },
      ]}
    />
  );
}
