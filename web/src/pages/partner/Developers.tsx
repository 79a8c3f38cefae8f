import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App as AntApp, Button, Card, Collapse, Descriptions, Empty, Input, Popconfirm, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, callJson } from '../../api/client.ts';
import type { Res } from '../../api/types.ts';
import { ErrorAlert, Loading, PageTitle, StatusTag } from '../../components/common.tsx';
import { formatDateTime } from '../../lib/format.ts';

type DeveloperInfo = Res<'/api/v1/partner/developers'>;
type SandboxStatus = Res<'/api/v1/operator/sandbox'>;

/**
 * The developer portal (issue 14): both OpenAPI documents the server publishes — the SS 12000 data
 * API's and the OAuth/OIDC one built from the provider's discovery metadata — rendered as operation
 * lists with their parameters by a small renderer of Ant Design parts (no Swagger UI: it would
 * multiply the bundle and needs inline scripts/styles the CSP refuses), quick starts filled in
 * with the partner's own client id and URLs, the rate limit and the error codes taken from the
 * documents and the server, and the sandbox every approved app reads at once.
 */

/** The parts of an OpenAPI 3.1 document the renderer reads. */
interface OpenApiParameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
}
interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
  $ref?: string;
}
interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  description?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, { description?: string }>;
}
interface OpenApiDocument {
  info?: { title?: string; description?: string };
  paths?: Record<string, Record<string, OpenApiOperation>>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const METHOD_COLORS: Record<string, string> = { get: 'blue', post: 'green', put: 'orange', patch: 'gold', delete: 'red' };

/** Every operation of a document, in path order, with its method and path. */
export function operationsOf(doc: OpenApiDocument | undefined): { method: string; path: string; op: OpenApiOperation }[] {
  const out: { method: string; path: string; op: OpenApiOperation }[] = [];
  for (const [path, item] of Object.entries(doc?.paths ?? {})) {
    for (const method of METHODS) if (item[method]) out.push({ method, path, op: item[method] });
  }
  return out;
}

const typeOf = (s: JsonSchema | undefined): string => {
  if (!s) return '';
  if (s.$ref) return s.$ref.split('/').pop() ?? '';
  const base = Array.isArray(s.type) ? s.type.filter((x) => x !== 'null').join(' | ') : (s.type ?? '');
  if (base === 'array') return `${typeOf(s.items)}[]`;
  return s.format ? `${base} (${s.format})` : base;
};

interface ParamRow {
  key: string;
  name: string;
  in: string;
  required: boolean;
  type: string;
  values: string[];
  description: string;
}

/** The parameters of an operation plus the members of a form or JSON object body, as one table. */
function paramRows(op: OpenApiOperation): ParamRow[] {
  const rows: ParamRow[] = (op.parameters ?? []).map((p) => ({
    key: `${p.in}:${p.name}`,
    name: p.name,
    in: p.in,
    required: p.required === true,
    type: typeOf(p.schema),
    values: (p.schema?.enum ?? p.schema?.items?.enum ?? []).map(String),
    description: p.description ?? '',
  }));
  for (const [media, body] of Object.entries(op.requestBody?.content ?? {})) {
    const schema = body.schema;
    for (const [name, member] of Object.entries(schema?.properties ?? {})) {
      rows.push({
        key: `body:${name}`,
        name,
        in: media.includes('form') ? 'form' : 'body',
        required: schema?.required?.includes(name) === true,
        type: typeOf(member),
        values: (member.enum ?? member.items?.enum ?? []).map(String),
        description: member.description ?? '',
      });
    }
  }
  return rows;
}

/** One OpenAPI document as a list of operations; each opens to its parameters and responses. */
function Operations({ doc, testId }: { doc: OpenApiDocument; testId: string }) {
  const { t } = useTranslation();
  const ops = operationsOf(doc);
  return (
    <Collapse
      data-testid={testId}
      items={ops.map(({ method, path, op }) => ({
        key: `${method} ${path}`,
        label: (
          <Space wrap>
            <Tag color={METHOD_COLORS[method]}>{method.toUpperCase()}</Tag>
            <code data-testid="operation-path">{path}</code>
            <Typography.Text type="secondary">{op.summary}</Typography.Text>
          </Space>
        ),
        children: (
          <Space direction="vertical" style={{ width: '100%' }}>
            {op.description && <Typography.Paragraph style={{ whiteSpace: 'pre-wrap' }}>{op.description}</Typography.Paragraph>}
            <Typography.Title level={5}>{t('developers.parameters')}</Typography.Title>
            <Table<ParamRow>
              size="small"
              rowKey="key"
              pagination={false}
              dataSource={paramRows(op)}
              locale={{ emptyText: t('developers.noParameters') }}
              columns={[
                { title: t('developers.name'), dataIndex: 'name', render: (n: string) => <code>{n}</code> },
                { title: t('developers.in'), dataIndex: 'in' },
                { title: t('developers.required'), dataIndex: 'required', render: (r: boolean) => (r ? t('developers.yes') : '') },
                {
                  title: t('developers.type'),
                  key: 'type',
                  render: (_: unknown, r) => (
                    <>
                      {r.type}
                      {r.values.length > 0 && (
                        <div>
                          {r.values.map((v) => (
                            <Tag key={v}>{v}</Tag>
                          ))}
                        </div>
                      )}
                    </>
                  ),
                },
                { title: t('developers.description'), dataIndex: 'description' },
              ]}
            />
            <Typography.Title level={5}>{t('developers.responses')}</Typography.Title>
            <Descriptions size="small" column={1} bordered>
              {Object.entries(op.responses ?? {}).map(([status, r]) => (
                <Descriptions.Item key={status} label={status}>
                  {r.description}
                </Descriptions.Item>
              ))}
            </Descriptions>
          </Space>
        ),
      }))}
    />
  );
}

/** An OpenAPI document fetched from the server (same origin, so the CSP's connect-src allows it). */
function useOpenApi(url: string | undefined) {
  return useQuery({ queryKey: ['openapi', url], enabled: Boolean(url), queryFn: () => callJson<OpenApiDocument>('GET', url!) });
}

/** The error responses (status 4xx/5xx) a document declares, one line per status with its text. */
export function errorResponsesOf(doc: OpenApiDocument | undefined): { status: string; description: string }[] {
  const byStatus = new Map<string, string>();
  for (const { op } of operationsOf(doc)) {
    for (const [status, r] of Object.entries(op.responses ?? {})) {
      if (Number(status) >= 400 && !byStatus.has(status)) byStatus.set(status, r.description ?? '');
    }
  }
  return [...byStatus].sort(([a], [b]) => a.localeCompare(b)).map(([status, description]) => ({ status, description }));
}

function Code({ children, testId }: { children: string; testId?: string }) {
  return (
    <Typography.Paragraph copyable={{ text: children }}>
      <pre data-testid={testId} style={{ background: '#f5f5f5', padding: 12, overflowX: 'auto', margin: 0 }}>
        {children}
      </pre>
    </Typography.Paragraph>
  );
}

/** The three quick starts, with the chosen app's client id and this server's URLs. */
export function quickStarts(info: Pick<DeveloperInfo, 'tokenUrl' | 'dataApiBaseUrl' | 'issuer'>, clientId: string) {
  const insecure = info.issuer.startsWith('http://');
  const curl = [
    `CLIENT_ID=${clientId}`,
    'CLIENT_SECRET=...   # shown once on your app page',
    `TOKEN=$(curl -s -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials ${info.tokenUrl} | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
    `curl -s -H "Authorization: Bearer $TOKEN" "${info.dataApiBaseUrl}/organisations"`,
    `curl -s -H "Authorization: Bearer $TOKEN" "${info.dataApiBaseUrl}/persons?limit=10"`,
  ].join('\n');
  const javascript = [
    "import * as client from 'openid-client';",
    '',
    `const config = await client.discovery(new URL('${info.issuer}'), '${clientId}', process.env.CLIENT_SECRET${insecure ? ', undefined, { execute: [client.allowInsecureRequests] }' : ''});`,
    'const { access_token } = await client.clientCredentialsGrant(config);',
    '',
    `let url = '${info.dataApiBaseUrl}/persons?limit=100';`,
    'while (url) {',
    '  const res = await fetch(url, { headers: { Authorization: `Bearer ${access_token}` } });',
    '  if (!res.ok) throw new Error(`${res.status} ${(await res.json()).code}`);',
    '  const { data, pageToken } = await res.json();',
    '  for (const person of data) console.log(person.id, person.givenName, person.familyName);',
    `  url = pageToken ? \`${info.dataApiBaseUrl}/persons?pageToken=\${encodeURIComponent(pageToken)}\` : null;`,
    '}',
  ].join('\n');
  const python = [
    'import os',
    'import requests',
    '',
    `CLIENT_ID = "${clientId}"`,
    `token = requests.post("${info.tokenUrl}", data={"grant_type": "client_credentials"},`,
    '                      auth=(CLIENT_ID, os.environ["CLIENT_SECRET"])).json()["access_token"]',
    'headers = {"Authorization": f"Bearer {token}"}',
    '',
    'params = {"limit": 100}',
    'while True:',
    `    r = requests.get("${info.dataApiBaseUrl}/persons", params=params, headers=headers)`,
    '    r.raise_for_status()',
    '    body = r.json()',
    '    for person in body["data"]:',
    '        print(person["id"], person.get("givenName"), person.get("familyName"))',
    '    if "pageToken" not in body:',
    '        break',
    '    params = {"pageToken": body["pageToken"]}',
  ].join('\n');
  return { curl, javascript, python };
}

/** The partner's Developers page. */
export function DevelopersPage() {
  const { t } = useTranslation();
  const info = useQuery({ queryKey: ['partner', 'developers'], queryFn: () => api.get<DeveloperInfo>('/partner/developers') });
  const dataApi = useOpenApi(info.data?.dataApiOpenApiUrl ? new URL(info.data.dataApiOpenApiUrl).pathname : undefined);
  const oidc = useOpenApi(info.data?.oidcOpenApiUrl ? new URL(info.data.oidcOpenApiUrl).pathname : undefined);
  const [chosen, setChosen] = useState<string | undefined>();
  if (info.isLoading) return <Loading />;
  if (!info.data) return <ErrorAlert error={info.error} />;
  const d = info.data;
  const withClient = d.apps.filter((a) => a.clientId);
  const app = withClient.find((a) => a.id === chosen) ?? withClient.find((a) => a.status === 'approved') ?? withClient[0];
  const starts = quickStarts(d, app?.clientId ?? 'YOUR_CLIENT_ID');
  const oidcErrors = (['token', 'authorization', 'userinfo'] as const).flatMap((endpoint) => d.oidcErrors[endpoint].map((e) => ({ ...e, endpoint })));

  return (
    <>
      <PageTitle>{t('developers.title')}</PageTitle>
      <Typography.Paragraph>{t('developers.intro')}</Typography.Paragraph>
      {d.sandbox ? (
        <Alert
          data-testid="sandbox-alert"
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          title={
            <Space>
              <Tag color="purple">{t('developers.sandboxTag')}</Tag>
              {t('developers.sandboxTitle', { name: d.sandbox.name, number: d.sandbox.institutionNumber })}
            </Space>
          }
          description={t('developers.sandboxBody')}
        />
      ) : (
        <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('developers.noSandbox')} />
      )}
      <Card style={{ marginBottom: 16 }}>
        <Descriptions column={1} size="small">
          <Descriptions.Item label={t('developers.app')}>
            {withClient.length ? (
              <Select
                style={{ minWidth: 280 }}
                value={app?.id}
                onChange={setChosen}
                options={withClient.map((a) => ({ value: a.id, label: a.name }))}
                aria-label={t('developers.app')}
              />
            ) : (
              t('developers.noApps')
            )}
            {app && (
              <Space style={{ marginLeft: 8 }}>
                <StatusTag status={app.status} />
                {app.sandboxApis.length > 0 && <Tag color="purple">{t('developers.readsSandbox', { apis: app.sandboxApis.join(', ') })}</Tag>}
              </Space>
            )}
          </Descriptions.Item>
          <Descriptions.Item label={t('developers.clientId')}>
            <Typography.Text code copyable data-testid="client-id">
              {app?.clientId ?? 'YOUR_CLIENT_ID'}
            </Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('developers.tokenUrl')}>
            <Typography.Text code copyable>
              {d.tokenUrl}
            </Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('developers.baseUrl')}>
            <Typography.Text code copyable>
              {d.dataApiBaseUrl}
            </Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('developers.discovery')}>
            <Typography.Text code copyable>
              {d.discoveryUrl}
            </Typography.Text>
          </Descriptions.Item>
        </Descriptions>
      </Card>
      <Tabs
        items={[
          {
            key: 'quick',
            label: t('developers.quickStart'),
            children: (
              <>
                <Typography.Paragraph>{t('developers.quickStartIntro')}</Typography.Paragraph>
                <Tabs
                  items={[
                    { key: 'curl', label: 'curl', children: <Code testId="quickstart-curl">{starts.curl}</Code> },
                    { key: 'js', label: t('developers.javascript'), children: <Code testId="quickstart-js">{starts.javascript}</Code> },
                    { key: 'python', label: t('developers.python'), children: <Code testId="quickstart-python">{starts.python}</Code> },
                  ]}
                />
              </>
            ),
          },
          {
            key: 'data',
            label: t('developers.dataApi'),
            children: (
              <>
                <Typography.Paragraph>
                  {t('developers.dataApiIntro')}{' '}
                  <a href={d.dataApiOpenApiUrl} target="_blank" rel="noreferrer">
                    openapi.json
                  </a>
                </Typography.Paragraph>
                <ErrorAlert error={dataApi.error} />
                {dataApi.isLoading ? <Loading /> : dataApi.data ? <Operations doc={dataApi.data} testId="data-api-operations" /> : <Empty />}
              </>
            ),
          },
          {
            key: 'oidc',
            label: t('developers.oidc'),
            children: (
              <>
                <Typography.Paragraph>
                  {t('developers.oidcIntro')}{' '}
                  <a href={d.oidcOpenApiUrl} target="_blank" rel="noreferrer">
                    openapi.json
                  </a>
                </Typography.Paragraph>
                <ErrorAlert error={oidc.error} />
                {oidc.isLoading ? <Loading /> : oidc.data ? <Operations doc={oidc.data} testId="oidc-operations" /> : <Empty />}
              </>
            ),
          },
          {
            key: 'limits',
            label: t('developers.limitsAndErrors'),
            children: (
              <>
                <Typography.Title level={5}>{t('developers.rateLimit')}</Typography.Title>
                <Typography.Paragraph data-testid="rate-limit">{t('developers.rateLimitBody', { limit: d.rateLimitPerMinute })}</Typography.Paragraph>
                <Typography.Paragraph>
                  {t('developers.rateLimitHeaders')} <code>RateLimit-Limit</code>, <code>RateLimit-Remaining</code>, <code>RateLimit-Reset</code>,{' '}
                  <code>Retry-After</code>
                </Typography.Paragraph>
                <Typography.Title level={5}>{t('developers.errorsDataApi')}</Typography.Title>
                <Typography.Paragraph>{t('developers.errorsDataApiIntro')}</Typography.Paragraph>
                <Table
                  data-testid="data-api-errors"
                  size="small"
                  rowKey="status"
                  pagination={false}
                  dataSource={errorResponsesOf(dataApi.data)}
                  loading={dataApi.isLoading}
                  columns={[
                    { title: t('developers.status'), dataIndex: 'status' },
                    { title: t('developers.description'), dataIndex: 'description' },
                  ]}
                />
                <Typography.Title level={5} style={{ marginTop: 16 }}>
                  {t('developers.errorsOidc')}
                </Typography.Title>
                <Table
                  data-testid="oidc-errors"
                  size="small"
                  rowKey={(r) => `${r.endpoint}:${r.code}`}
                  pagination={false}
                  dataSource={oidcErrors}
                  columns={[
                    { title: t('developers.endpoint'), dataIndex: 'endpoint' },
                    { title: t('developers.status'), dataIndex: 'status' },
                    { title: t('developers.code'), dataIndex: 'code', render: (c: string) => <code>{c}</code> },
                  ]}
                />
              </>
            ),
          },
        ]}
      />
    </>
  );
}

/** The operator's control of the developer sandbox: what it is, create it, remove it with its grants. */
export function SandboxCard() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const { message } = AntApp.useApp();
  const [reason, setReason] = useState('');
  const status = useQuery({ queryKey: ['operator', 'sandbox'], queryFn: () => api.get<SandboxStatus>('/operator/sandbox') });
  const create = useMutation({
    mutationFn: () => api.post<SandboxStatus>('/operator/sandbox'),
    onSuccess: (s) => qc.setQueryData(['operator', 'sandbox'], s),
  });
  const remove = useMutation({
    mutationFn: () => api.delete<Res<'/api/v1/operator/sandbox', 'delete'>>('/operator/sandbox', reason ? { reason } : {}),
    onSuccess: async (s) => {
      qc.setQueryData(['operator', 'sandbox'], s);
      message.success(t('developers.sandboxRemoved', { count: s.removedGrants }));
    },
  });
  const s = status.data?.sandbox;
  return (
    <Card title={t('developers.sandboxOperatorTitle')} style={{ marginBottom: 16 }} data-testid="sandbox-card">
      <ErrorAlert error={status.error ?? create.error ?? remove.error} />
      {s ? (
        <Space direction="vertical" style={{ width: '100%' }}>
          <Space>
            <Tag color="purple">{t('developers.sandboxTag')}</Tag>
            {t('developers.sandboxTitle', { name: s.name, number: s.institutionNumber })}
          </Space>
          <Typography.Text>{t('developers.sandboxCounts', { clients: s.clients, grants: s.grants })}</Typography.Text>
          <Input placeholder={t('developers.reason')} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={4000} style={{ maxWidth: 480 }} />
          <Popconfirm title={t('developers.sandboxRemoveConfirm')} onConfirm={() => remove.mutate()} okButtonProps={{ danger: true }}>
            <Button danger loading={remove.isPending}>
              {t('developers.sandboxRemove')}
            </Button>
          </Popconfirm>
        </Space>
      ) : (
        <Space direction="vertical">
          <Typography.Text>
            {status.data?.removedAt ? t('developers.sandboxRemovedAt', { at: formatDateTime(status.data.removedAt) }) : t('developers.noSandbox')}
          </Typography.Text>
          <Button onClick={() => create.mutate()} loading={create.isPending}>
            {t('developers.sandboxCreate')}
          </Button>
        </Space>
      )}
    </Card>
  );
}
