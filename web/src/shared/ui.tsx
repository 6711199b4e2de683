// Building blocks every page shares: the header, loading and error states, money, badges, async data.
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError, isNotAvailable } from './api';
import { LangSwitch, useLang, useT } from './i18n';
import { common } from './messages';
import { formatFen } from './money';
import { Link } from './router';

export interface NavItem {
  to: string;
  label: string;
  active?: boolean;
}

export function Header({
  title,
  home,
  nav,
  extra,
}: {
  title: string;
  home: string;
  nav: NavItem[];
  extra?: ReactNode;
}) {
  return (
    <header className="top">
      <Link to={home} className="brand">
        {title}
      </Link>
      <nav>
        {nav.map((n) => (
          <Link key={n.to} to={n.to} className={n.active ? 'active' : undefined}>
            {n.label}
          </Link>
        ))}
      </nav>
      <div className="top-extra">
        {extra}
        <LangSwitch />
      </div>
    </header>
  );
}

export function Loading() {
  const t = useT(common);
  return <p className="muted">{t('loading')}</p>;
}

/** An API error as a sentence in the page's language, with its stable code for support. */
export function ErrorNote({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const t = useT(common);
  if (isNotAvailable(error)) return <p className="notice not-available">{t('not_available')}</p>;
  const code = error instanceof ApiError ? error.code : 'network_error';
  const known = `err_${code}` in common ? t(`err_${code}` as keyof typeof common) : null;
  const message = known ?? (error instanceof Error ? error.message : String(error));
  return (
    <p className="notice error" role="alert">
      {t('error')}: {message} <code>{code}</code>
      {onRetry && (
        <button type="button" className="link" onClick={onRetry}>
          {t('retry')}
        </button>
      )}
    </p>
  );
}

export function Money({ fen }: { fen: number }) {
  return <span className="money">{formatFen(fen)}</span>;
}

export function Badge({ kind, children }: { kind: string; children: ReactNode }) {
  return <span className={`badge badge-${kind}`}>{children}</span>;
}

export function useTime(): (iso: string | null | undefined) => string {
  const { lang } = useLang();
  return useCallback(
    (iso) =>
      iso
        ? new Date(iso).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { dateStyle: 'short', timeStyle: 'short' })
        : '—',
    [lang],
  );
}

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Loads data for a page; `deps` decide when to load again. A stale answer never overwrites a newer one. */
export function useResource<T>(load: () => Promise<T>, deps: unknown[]): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  // `load` is a new closure on every render: `deps` (and reload) say when the data must be loaded again.
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (error: unknown) => mine === seq.current && setState({ error, loading: false }),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Shows loading / error / content for a resource. */
export function Show<T>({ res, children }: { res: Resource<T>; children: (data: T) => ReactNode }) {
  if (res.data !== undefined) return <>{children(res.data)}</>;
  if (res.error !== undefined) return <ErrorNote error={res.error} onRetry={res.reload} />;
  return <Loading />;
}

/** Runs a button's action once at a time and keeps its error for display. */
export function useAction(): {
  busy: boolean;
  error: unknown;
  run(action: () => Promise<unknown>): Promise<void>;
  clear(): void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(undefined) };
}
