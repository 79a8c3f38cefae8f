import { Button, Input } from 'antd';
import { useEffect, useId, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';

/** A school as a picker lists it. */
export interface PickerSchool {
  number: string;
  name: string;
  town: string | null;
}

/** Waits until typing pauses, so the search does not ask the server on every key. */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return v;
}

/** "001057 · Brugge": the number and town under a school's name. */
export function schoolLine(i: PickerSchool): string {
  return [i.number, i.town].filter(Boolean).join(' · ');
}

/**
 * The searchable school picker of both sign-ins (an app's, `/signin/<uid>`, and "My connected
 * apps"): a search box and the matching schools as large buttons. Which schools are listed is the
 * server's rule; `search` asks it. `error` renders a step's error under the list.
 */
export function SchoolPicker<T extends PickerSchool>({
  queryKey,
  search,
  onChoose,
  choosing,
  error,
  renderError,
}: {
  queryKey: readonly unknown[];
  search: (q: string) => Promise<{ items: T[] }>;
  onChoose: (school: T) => void;
  /** The number of the school being chosen (its button spins), if any. */
  choosing?: string | undefined;
  error?: unknown;
  renderError: (error: unknown) => ReactNode;
}) {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const query = useDebounced(q.trim(), 250);
  const searchId = useId();
  const results = useQuery({ queryKey: [...queryKey, query], queryFn: () => search(query), placeholderData: (previous) => previous });
  const items = results.data?.items ?? [];
  return (
    <>
      <label htmlFor={searchId} style={{ display: 'block', marginBottom: 4 }}>
        {t('signin.school.searchLabel')}
      </label>
      <Input.Search
        id={searchId}
        value={q}
        onChange={(e) => setQ(e.target.value)}
        placeholder={t('signin.school.searchPlaceholder')}
        allowClear
        autoFocus
        enterButton={false}
        autoComplete="off"
        loading={results.isFetching}
        data-testid="school-search"
      />
      <p aria-live="polite" style={{ margin: '8px 0' }} data-testid="school-count">
        {results.isSuccess && (items.length ? t('signin.school.found', { n: items.length }) : t('signin.school.noneFound'))}
      </p>
      {renderError(results.error)}
      <ul style={{ listStyle: 'none', padding: 0, margin: 0 }} aria-label={t('signin.school.listLabel')} data-testid="school-list">
        {items.map((i) => (
          <li key={i.number} style={{ marginBottom: 8 }}>
            <Button
              block
              size="large"
              style={{ height: 'auto', padding: '8px 12px', textAlign: 'left', display: 'block', whiteSpace: 'normal' }}
              onClick={() => onChoose(i)}
              loading={choosing === i.number}
              disabled={choosing !== undefined}
            >
              <span style={{ display: 'block', fontWeight: 600 }}>{i.name}</span>
              <span style={{ display: 'block', color: '#595959' }}>{schoolLine(i)}</span>
            </Button>
          </li>
        ))}
      </ul>
      {renderError(error)}
    </>
  );
}
