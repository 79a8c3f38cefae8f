import { Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { readerLanguage } from '../lib/purposes.ts';

/**
 * A purpose as the server picked it for the reader: in another language than the page's (the
 * partner did not write it in the reader's), it says which, and the text carries its `lang` so a
 * screen reader pronounces it right.
 */
export function PurposeText({ text, language }: { text: string; language: string }) {
  const { t, i18n } = useTranslation();
  const other = language !== readerLanguage(i18n.language);
  return (
    <>
      <span lang={language}>{text}</span>
      {other && (
        <Typography.Text type="secondary" data-testid="purpose-language">
          {' '}
          {t('people.purposeIn', { language: t(`languages.${language}`) })}
        </Typography.Text>
      )}
    </>
  );
}
