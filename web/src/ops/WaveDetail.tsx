// One wave: its actions (invite, launch, pause, resume), its funnel and its merchants' activation states.
import { useState } from 'react';
import { listAll } from '../shared/api';
import { useT } from '../shared/i18n';
import type { ActivationStatus, Merchant } from '../shared/types';
import { Badge, ErrorNote, Show, useAction, useResource, useTime } from '../shared/ui';
import { FunnelChart } from './Funnel';
import { ops } from './messages';
import { useApi } from './session';
import type { Wave } from './Waves';

interface Activation {
  merchant_id: string;
  status: ActivationStatus;
  agreement_version: string | null;
  accepted_at: string | null;
  live_at: string | null;
  reject_reasons: string[] | null;
}

export function WaveDetailPage({ waveId }: { waveId: string }) {
  const t = useT(ops);
  const time = useTime();
  const api = useApi();
  const id = encodeURIComponent(waveId);
  const res = useResource(async () => {
    const [wave, activations, merchants] = await Promise.all([
      api.get<Wave>(`/v1/rollout-waves/${id}`),
      api.get<{ data: Activation[] }>(`/v1/rollout-waves/${id}/activations`),
      listAll<Merchant>(api, '/v1/merchants'),
    ]);
    return { wave, activations: activations.data, names: new Map(merchants.map((m) => [m.id, m.name])) };
  }, [waveId]);
  const action = useAction();
  const [note, setNote] = useState<string | null>(null);
  const act = (verb: 'invite' | 'launch' | 'pause' | 'resume') =>
    action.run(async () => {
      const answer = await api.post<{ invited?: string[]; already_invited?: string[] }>(
        `/v1/rollout-waves/${id}/${verb}`,
      );
      setNote(
        verb === 'invite'
          ? t('invited_n', { n: answer.invited?.length ?? 0, m: answer.already_invited?.length ?? 0 })
          : null,
      );
      res.reload();
    });
  return (
    <Show res={res}>
      {({ wave, activations, names }) => (
        <>
          <h1>
            {wave.name} <Badge kind={wave.status}>{t(`wave_${wave.status}`)}</Badge>
          </h1>
          <p className="muted">
            {t(`method_${wave.method}`)} · {t('effective_at')}: {time(wave.effective_at)} · <code>{wave.id}</code>
          </p>
          <div className="row wave-actions">
            <button type="button" className="invite" disabled={action.busy} onClick={() => void act('invite')}>
              {t('invite')}
            </button>
            {wave.status === 'scheduled' && (
              <button type="button" className="launch" disabled={action.busy} onClick={() => void act('launch')}>
                {t('launch')}
              </button>
            )}
            {wave.status !== 'paused' ? (
              <button
                type="button"
                className="secondary pause"
                disabled={action.busy}
                onClick={() => void act('pause')}
              >
                {t('pause')}
              </button>
            ) : (
              <button type="button" className="resume" disabled={action.busy} onClick={() => void act('resume')}>
                {t('resume')}
              </button>
            )}
          </div>
          {note && <p className="notice ok">{note}</p>}
          {action.error !== undefined && <ErrorNote error={action.error} />}
          {wave.funnel && (
            <section className="card">
              <h2>{t('funnel')}</h2>
              <FunnelChart funnel={wave.funnel} />
            </section>
          )}
          <h2>{t('activations')}</h2>
          <div className="table-wrap">
            <table className="activations">
              <tbody>
                {(wave.merchant_ids ?? []).map((mid) => {
                  const a = activations.find((x) => x.merchant_id === mid);
                  const status: ActivationStatus = a?.status ?? 'not_invited';
                  return (
                    <tr key={mid} data-merchant-id={mid} data-status={status}>
                      <td>
                        {names.get(mid) ?? mid}
                        <br />
                        <small>
                          <code>{mid}</code>
                        </small>
                      </td>
                      <td>
                        <Badge kind={status}>{t(`activation_${status}`)}</Badge>
                        {a?.reject_reasons && <small> {a.reject_reasons.join('; ')}</small>}
                      </td>
                      <td>{a?.accepted_at ? time(a.accepted_at) : '—'}</td>
                      <td>{a?.live_at ? time(a.live_at) : '—'}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Show>
  );
}
