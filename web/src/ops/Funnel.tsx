// A wave's funnel as plain SVG bars: invited → accepted → applied → live → first payment.
import { useT } from '../shared/i18n';
import { formatFen } from '../shared/money';
import { ops } from './messages';

export interface Funnel {
  invited: number;
  accepted: number;
  applying: number;
  live: number;
  first_payment: number;
  gmv_total: number;
  gmv_method: number;
  gmv_share_bp: number;
}

const STAGES = ['invited', 'accepted', 'applying', 'live', 'first_payment'] as const;
const BAR_HEIGHT = 26;
const GAP = 8;
const LABEL_WIDTH = 110;
const CHART_WIDTH = 480;

export function FunnelChart({ funnel }: { funnel: Funnel }) {
  const t = useT(ops);
  const top = Math.max(1, funnel.invited);
  const barSpace = CHART_WIDTH - LABEL_WIDTH - 50;
  const height = STAGES.length * (BAR_HEIGHT + GAP);
  const share = `${Math.trunc(funnel.gmv_share_bp / 100)}.${String(funnel.gmv_share_bp % 100).padStart(2, '0')}%`;
  return (
    <figure className="funnel">
      <svg viewBox={`0 0 ${CHART_WIDTH} ${height}`} role="img" aria-label={t('funnel')}>
        {STAGES.map((stage, i) => {
          const count = funnel[stage];
          const y = i * (BAR_HEIGHT + GAP);
          const width = Math.max(count > 0 ? 2 : 0, Math.round((count / top) * barSpace));
          return (
            <g key={stage} data-stage={stage} data-count={count}>
              <text x={0} y={y + BAR_HEIGHT / 2 + 4}>
                {t(`f_${stage}`)}
              </text>
              <rect x={LABEL_WIDTH} y={y} width={width} height={BAR_HEIGHT} rx={3} opacity={1 - i * 0.12} />
              <text x={LABEL_WIDTH + width + 6} y={y + BAR_HEIGHT / 2 + 4}>
                {count}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="muted">
        {t('gmv_share', { p: share, a: formatFen(funnel.gmv_method), b: formatFen(funnel.gmv_total) })}
      </figcaption>
    </figure>
  );
}
