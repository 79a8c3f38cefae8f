import { Alert, Button, Typography } from 'antd';
import { useTranslation } from 'react-i18next';

/**
 * A client secret shown once, with its client id, right after it was created or rotated: only its
 * hash is stored, so this is the one moment it can be copied. `testId` prefixes the two values'
 * test ids (`<testId>-client-id`, `<testId>-secret`).
 */
export function SecretOnce({
  clientId,
  secret,
  note,
  testId,
  onDone,
}: {
  clientId: string;
  secret: string;
  note?: string;
  testId: string;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Alert
      type="warning"
      showIcon
      style={{ marginBottom: 16 }}
      title={t('partner.client.secretOnceTitle')}
      description={
        <>
          <p>{t('partner.client.secretOnceBody')}</p>
          <p>
            {t('common.label', { text: t('partner.app.clientId') })}{' '}
            <Typography.Text code copyable data-testid={`${testId}-client-id`}>
              {clientId}
            </Typography.Text>
          </p>
          <p>
            {t('common.label', { text: t('operator.legacy.secret') })}{' '}
            <Typography.Text code copyable data-testid={`${testId}-secret`}>
              {secret}
            </Typography.Text>
          </p>
          {note && <p>{note}</p>}
          <Button onClick={onDone}>{t('partner.client.secretStored')}</Button>
        </>
      }
    />
  );
}
