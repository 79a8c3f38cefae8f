import { Card, Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { known } from '../lib/format.ts';

/** One API an app asks for: its data categories and purpose, as the partner registered them. */
export function ApiRequestCard({ code, name, dataCategories, purpose }: { code: string; name: string; dataCategories: string[]; purpose: string }) {
  const { t } = useTranslation();
  return (
    <Card size="small" title={known(`apis.${code}`, name)}>
      <p>
        <strong>{t('common.label', { text: t('partner.form.dataCategories') })}</strong>{' '}
        {dataCategories.map((c) => (
          <Tag key={c}>{known(`categories.${c}`, c)}</Tag>
        ))}
      </p>
      <p>
        <strong>{t('common.label', { text: t('partner.form.purpose') })}</strong> {purpose}
      </p>
    </Card>
  );
}
