// Rollout waves: create one (a merchant list or a filter), then invite, launch, pause and resume it; its funnel.
import { useState, type FormEvent } from 'react';
import { listAll } from '../shared/api';
import { useT } from '../shared/i18n';
import { Link } from '../shared/router';
import { METHODS, type Merchant, type MethodName } from '../shared/types';
import { Badge, ErrorNote, Show, useAction, useResource, useTime } from '../shared/ui';
import { FunnelChart, type Funnel } from './Funnel';
import { ops } from './messages';
import { useApi } from './session';

export interface Wave {
  id: string;
  method: MethodName;
  name: string;
  status: 'scheduled' | 'launched' | 'paused';
  launch_at: string | null;
  effective_at: string;
  created_at: string;
  merchant_ids?: string[];
  funnel?: Funnel;
}

function NewWave({ onCreated }: { onCreated(id: string): void }) {
  const t = useT(ops);
  const api = useApi();
  const merchants = useResource(() => listAll<Merchant>(api, '/v1/merchants'), []);
  const [method, setMethod] = useState<MethodName>('wechatpay');
  const [name, setName] = useState('');
  const [mode, setMode] = useState<'list' | 'filter'>('list');
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [filter, setFilter] = useState({ category: '', tier: '', percent: '' });
  const [launchAt, setLaunchAt] = useState('');
  const action = useAction();
  const toggle = (id: string) =>
    setPicked((s) => (s.has(id) ? new Set([...s].filter((x) => x !== id)) : new Set([...s, id])));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const f = Object.fromEntries(
      Object.entries(filter)
        .filter(([, v]) => v.trim())
        .map(([k, v]) => [k, k === 'percent' ? Number(v) : v.trim()]),
    );
    const body = {
      method,
      name: name.trim(),
      ...(mode === 'list' ? { merchant_ids: [...picked] } : { filter: f }),
      ...(launchAt ? { launch_at: new Date(launchAt).toISOString() } : {}),
    };
    void action.run(async () => onCreated((await api.post<Wave>('/v1/rollout-waves', body)).id));
  };
  return (
    <form className="card new-wave" onSubmit={submit}>
      <div className="row">
        <label>
          {t('method')}
          <select name="method" value={method} onChange={(e) => setMethod(e.target.value as MethodName)}>
            {METHODS.map((m) => (
              <option key={m} value={m}>
                {t(`method_${m}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('wave_name')}
          <input name="name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          {t('launch_at')}
          <input
            name="launch_at"
            type="datetime-local"
            value={launchAt}
            onChange={(e) => setLaunchAt(e.target.value)}
          />
        </label>
      </div>
      <small className="muted">{t('launch_at_hint')}</small>
      <p className="row">
        <label className="inline">
          <input type="radio" name="mode" checked={mode === 'list'} onChange={() => setMode('list')} />{' '}
          {t('pick_merchants')}
        </label>
        <label className="inline">
          <input type="radio" name="mode" checked={mode === 'filter'} onChange={() => setMode('filter')} />{' '}
          {t('by_filter')}
        </label>
      </p>
      {mode === 'list' ? (
        <Show res={merchants}>
          {(rows) => (
            <div className="row merchant-picks">
              {rows.map((m) => (
                <label className="inline" key={m.id}>
                  <input type="checkbox" value={m.id} checked={picked.has(m.id)} onChange={() => toggle(m.id)} />{' '}
                  {m.name}
                </label>
              ))}
            </div>
          )}
        </Show>
      ) : (
        <div className="row">
          {(['category', 'tier', 'percent'] as const).map((k) => (
            <label key={k}>
              {t(k)}
              <input name={k} value={filter[k]} onChange={(e) => setFilter({ ...filter, [k]: e.target.value })} />
            </label>
          ))}
        </div>
      )}
      <p>
        <button type="submit" disabled={action.busy || (mode === 'list' && picked.size === 0)}>
          {t('create')}
        </button>
      </p>
      {action.error !== undefined && <ErrorNote error={action.error} />}
    </form>
  );
}

export function WavesPage() {
  const t = useT(ops);
  const time = useTime();
  const api = useApi();
  const res = useResource(() => api.get<{ data: Wave[] }>('/v1/rollout-waves'), []);
  const [created, setCreated] = useState<string | null>(null);
  return (
    <>
      <h1>{t('waves')}</h1>
      <Show res={res}>
        {({ data }) => (
          <div className="table-wrap">
            <table className="waves">
              <tbody>
                {data.map((w) => (
                  <tr key={w.id} data-wave-id={w.id} data-status={w.status}>
                    <td>
                      <Link to={`/ops/waves/${w.id}`}>{w.name}</Link>
                      <br />
                      <small>{t(`method_${w.method}`)}</small>
                    </td>
                    <td>
                      <Badge kind={w.status}>{t(`wave_${w.status}`)}</Badge>
                    </td>
                    <td>
                      {t('effective_at')}: {time(w.effective_at)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {data.length === 0 && <p className="muted">{t('empty')}</p>}
          </div>
        )}
      </Show>
      <h2>{t('new_wave')}</h2>
      {created && (
        <p className="notice ok">
          <Link to={`/ops/waves/${created}`}>{created}</Link>
        </p>
      )}
      {res.error === undefined && (
        <NewWave
          onCreated={(id) => {
            setCreated(id);
            res.reload();
          }}
        />
      )}
    </>
  );
}
