import { Fragment } from 'react';
import { Link } from 'react-router';

/** "Projects / shop / web": where this page sits; the last crumb is the page itself. */
export function Crumbs({ items }: { items: Array<{ label: string; to?: string }> }) {
  return (
    <ol className="flex flex-wrap items-center gap-1.5">
      {items.map((item, i) => (
        <Fragment key={`${item.label}-${i}`}>
          {i > 0 ? (
            <li aria-hidden="true" className="text-muted">
              /
            </li>
          ) : null}
          <li>
            {item.to ? (
              <Link to={item.to} className="text-muted hover:text-fg">
                {item.label}
              </Link>
            ) : (
              <span aria-current="page" className="text-fg">
                {item.label}
              </span>
            )}
          </li>
        </Fragment>
      ))}
    </ol>
  );
}
