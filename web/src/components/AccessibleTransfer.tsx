import { Transfer, type TransferProps } from 'antd';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';

interface Item {
  key: string;
  title: string;
  disabled?: boolean;
}

/**
 * Ant Design's Transfer with an accessible name on every control: its item checkboxes, the
 * select-all checkbox and the search field of each list carry no label of their own, so they are
 * named here from the item text and the list title (WCAG 4.1.2), and kept named as the lists change.
 */
export function AccessibleTransfer(props: TransferProps<Item> & { titles: [string, string] }) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDivElement>(null);
  const [leftTitle, rightTitle] = props.titles;
  useEffect(() => {
    const root = ref.current;
    if (!root) return;
    const name = () => {
      const [toRight, toLeft] = root.querySelectorAll('.ant-transfer-operation button, .ant-transfer-actions button');
      toRight?.setAttribute('aria-label', t('school.access.moveRight', { list: rightTitle }));
      toLeft?.setAttribute('aria-label', t('school.access.moveLeft', { list: leftTitle }));
      root.querySelectorAll('.ant-transfer-section, .ant-transfer-list').forEach((list, i) => {
        const title = i === 0 ? leftTitle : rightTitle;
        list.querySelector('.ant-transfer-list-header input[type=checkbox]')?.setAttribute('aria-label', t('school.access.selectAll', { list: title }));
        list
          .querySelector('.ant-transfer-list-search input, .ant-transfer-list-body-search-wrapper input')
          ?.setAttribute('aria-label', t('school.access.searchIn', { list: title }));
        list.querySelectorAll('.ant-transfer-list-content-item').forEach((item) => {
          const text = item.querySelector('.ant-transfer-list-content-item-text')?.textContent?.trim() ?? item.textContent?.trim() ?? '';
          const box = item.querySelector('input[type=checkbox]');
          if (box && box.getAttribute('aria-label') !== text) box.setAttribute('aria-label', text);
        });
      });
    };
    name();
    const observer = new MutationObserver(name);
    observer.observe(root, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, [leftTitle, rightTitle, t]);
  return (
    <div ref={ref}>
      <Transfer<Item> {...props} />
    </div>
  );
}
