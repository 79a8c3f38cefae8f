import { Card, Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { known } from '../lib/format.ts';
import { PURPOSE_LANGUAGES, type Purposes } from '../lib/purposes.ts';
import { PurposeText } from './PurposeText.tsx';

/** A data category with the catalog's name and description in the reader's language (the server picks them). */
export interface CategoryWithText {
  code: string;
  name: string;
  description: string;
}

/**
 * One API an app asks for: its data categories and purpose, as the partner registered them. Given
 * `categories`, each category shows its name and description in the reader's language; given
 * `purposes` and `purposeLanguage` (the reader's pick from the server), the purpose says when it is
 * in another language than the page's, and the other languages the partner wrote it in follow.
 */
export function ApiRequestCard({
  code,
  name,
  dataCategories,
  purpose,
  categories,
  purposeLanguage,
  purposes,
  accessLevel,
}: {
  accessLevel?: 'read' | 'read_write' | undefined;
  code: string;
  name: string;
  dataCategories: string[];
  purpose: string;
  categories?: CategoryWithText[] | undefined;
  purposeLanguage?: string | undefined;
  purposes?: Purposes | undefined;
}) {
  const { t } = useTranslation();
  const others = purposes && purposeLanguage ? PURPOSE_LANGUAGES.filter((l) => l !== purposeLanguage && purposes[l]) : [];
  return (
    <Card size="small" title={known(`apis.${code}`, name)} data-testid={`api-request-${code}`}>
      {accessLevel && (
        <p data-testid="request-access-level">
          <strong>{t('common.label', { text: t('writeAccess.label') })}</strong>{' '}
          <Tag color={accessLevel === 'read_write' ? 'orange' : undefined}>
            {t(accessLevel === 'read_write' ? 'writeAccess.readWrite' : 'writeAccess.read')}
          </Tag>
        </p>
      )}
      <p>
        <strong>{t('common.label', { text: t('partner.form.dataCategories') })}</strong>{' '}
        {!categories && dataCategories.map((c) => <Tag key={c}>{known(`categories.${c}`, c)}</Tag>)}
      </p>
      {categories && (
        <ul style={{ paddingInlineStart: 20 }} data-testid="request-categories">
          {categories.map((c) => (
            <li key={c.code}>
              <strong>{c.name}</strong>
              {c.description && <> – {c.description}</>}
            </li>
          ))}
        </ul>
      )}
      <p data-testid="request-purpose">
        <strong>{t('common.label', { text: t('partner.form.purpose') })}</strong>{' '}
        {purposeLanguage ? <PurposeText text={purpose} language={purposeLanguage} /> : purpose}
      </p>
      {others.length > 0 && (
        <div data-testid="request-purposes-other">
          <strong>{t('common.label', { text: t('people.otherLanguages') })}</strong>
          <ul style={{ paddingInlineStart: 20, marginBottom: 0 }}>
            {others.map((l) => (
              <li key={l}>
                {t('common.label', { text: t(`languages.${l}`) })} <span lang={l}>{purposes![l]}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </Card>
  );
}
