// The payment-method catalogue: enable or disable a method platform-wide, pause or resume it.
import { useT } from '../shared/i18n';
import type { MethodName } from '../shared/types';
import { Badge, ErrorNote, Show, useAction, useResource, useTime } from '../shared/ui';
import { ops } from './messages';
import { useApi } from './session';

export interface CatalogueMethod {
  method: MethodName;
  enabled: boolean;
  paused: boolean;
  exposure_percent: number;
  min_client: { app: string; version: string } | null;
  updated_at: string;
}

export function MethodsPage() {
  const t = useT(ops);
  const time = useTime();
  const api = useApi();
  const res = useResource(() => api.get<{ data: CatalogueMethod[] }>('/v1/payment-methods'), []);
  const action = useAction();
  const patch = (m: CatalogueMethod, body: Partial<Pick<CatalogueMethod, 'enabled' | 'paused'>>) => {
    if (body.paused && !window.confirm(t('pause_confirm', { method: t(`method_${m.method}`) }))) return;
    void action.run(async () => {
      await api.patch(`/v1/payment-methods/${m.method}`, body);
      res.reload();
    });
  };
  return (
    <>
      <h1>{t('methods')}</h1>
      {action.error !== undefined && <ErrorNote error={action.error} />}
      <Show res={res}>
        {({ data }) => (
          <div className="table-wrap">
            <table className="catalogue">
              <thead>
                <tr>
                  <th>{t('method')}</th>
                  <th>{t('status')}</th>
                  <th>{t('exposure')}</th>
                  <th>{t('min_client')}</th>
                  <th>{t('actions')}</th>
                </tr>
              </thead>
              <tbody>
                {data.map((m) => (
                  <tr
                    key={m.method}
                    data-method={m.method}
                    data-enabled={String(m.enabled)}
                    data-paused={String(m.paused)}
                  >
                    <td>
                      <b>{t(`method_${m.method}`)}</b>
                      <br />
                      <small>{time(m.updated_at)}</small>
                    </td>
                    <td>
                      <Badge kind={m.enabled ? 'ok' : 'bad'}>{t(m.enabled ? 'enabled' : 'disabled')}</Badge>{' '}
                      <Badge kind={m.paused ? 'paused' : 'live'}>{t(m.paused ? 'paused' : 'running')}</Badge>
                    </td>
                    <td>{m.exposure_percent}%</td>
                    <td>{m.min_client ? `${m.min_client.app} ≥ ${m.min_client.version}` : '—'}</td>
                    <td className="row">
                      <button
                        type="button"
                        className="small secondary"
                        disabled={action.busy}
                        onClick={() => patch(m, { enabled: !m.enabled })}
                      >
                        {t(m.enabled ? 'disable' : 'enable')}
                      </button>
                      <button
                        type="button"
                        className={`small ${m.paused ? '' : 'secondary'} ${m.paused ? 'resume' : 'pause'}`}
                        disabled={action.busy}
                        onClick={() => patch(m, { paused: !m.paused })}
                      >
                        {t(m.paused ? 'resume' : 'pause')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
    </>
  );
}
