import { Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { PageTitle } from '../../components/common.tsx';
import { ReadsPerDay } from '../../components/charts/Reads.tsx';

/**
 * The school admin's access log across apps: which apps read data of their institutions, per day
 * (issue 14 point 9). Each app's reads in detail are on its page, under Access log.
 */
export function SchoolReadsPage() {
  const { t } = useTranslation();
  return (
    <>
      <PageTitle>{t('charts.schoolTitle')}</PageTitle>
      <Typography.Paragraph type="secondary">{t('charts.schoolIntro')}</Typography.Paragraph>
      <ReadsPerDay perApp appLink={(id) => `/school/apps/${id}?tab=reads`} />
    </>
  );
}
