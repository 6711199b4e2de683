// Onboarding applications of both types. They move through their states on their own within
// applymentDelayMs (by the sandbox clock), in thirds; the sandbox skips ACCOUNT_NEED_VERIFY and signs for the
// applicant. A merchant_shortname starting with "REJECT" is rejected after the first third (for testing rejections).
import type { Ctx } from './context';
import { all, one, type Tx } from './db';
import { createSubMerchant } from './merchants';

export type ApplymentApi = 'ecommerce' | 'sub';

export interface ApplymentRow {
  applyment_id: number;
  api: ApplymentApi;
  sp_mchid: string;
  request_no: string;
  merchant_name: string;
  rejected: boolean;
  sub_mchid: string | null;
  created_ms: number;
}

export const REJECT_MARKER = 'REJECT';

/** How far along an application is: 0, 1, 2 (thirds of the delay passed) or 3 (finished). */
export function applymentStage(ctx: Ctx, row: ApplymentRow): 0 | 1 | 2 | 3 {
  const elapsed = ctx.clock.now() - row.created_ms;
  const delay = Math.max(1, ctx.settings.applymentDelayMs);
  if (elapsed >= delay) return 3;
  return Math.min(2, Math.floor((elapsed * 3) / delay)) as 0 | 1 | 2;
}

export async function applymentByRequestNo(
  tx: Tx,
  spMchid: string,
  api: ApplymentApi,
  requestNo: string,
): Promise<ApplymentRow | undefined> {
  return one<ApplymentRow>(tx, `select * from wx_applyments where sp_mchid = $1 and api = $2 and request_no = $3`, [
    spMchid,
    api,
    requestNo,
  ]);
}

export async function applymentById(
  tx: Tx,
  spMchid: string,
  api: ApplymentApi,
  id: number,
): Promise<ApplymentRow | undefined> {
  return one<ApplymentRow>(tx, `select * from wx_applyments where sp_mchid = $1 and api = $2 and applyment_id = $3`, [
    spMchid,
    api,
    id,
  ]);
}

export async function createApplyment(
  ctx: Ctx,
  tx: Tx,
  row: Omit<ApplymentRow, 'rejected' | 'sub_mchid' | 'created_ms'>,
): Promise<ApplymentRow> {
  const existing = await applymentByRequestNo(tx, row.sp_mchid, row.api, row.request_no);
  if (existing) return existing;
  const created: ApplymentRow = {
    ...row,
    rejected: row.merchant_name.startsWith(REJECT_MARKER),
    sub_mchid: null,
    created_ms: ctx.clock.now(),
  };
  await tx.query(
    `insert into wx_applyments (applyment_id, api, sp_mchid, request_no, merchant_name, rejected, created_ms)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [
      created.applyment_id,
      created.api,
      created.sp_mchid,
      created.request_no,
      created.merchant_name,
      created.rejected,
      created.created_ms,
    ],
  );
  return created;
}

/** Gives a finished application its sub-merchant (once), so it can take payments whether or not anyone asked. */
export async function materialize(ctx: Ctx, tx: Tx, row: ApplymentRow): Promise<ApplymentRow> {
  if (row.rejected || row.sub_mchid || applymentStage(ctx, row) < 3) return row;
  const subMchid = await createSubMerchant(
    tx,
    ctx.clock.now(),
    row.sp_mchid,
    row.merchant_name,
    `applyment:${row.applyment_id}`,
  );
  await tx.query(`update wx_applyments set sub_mchid = $2 where applyment_id = $1`, [row.applyment_id, subMchid]);
  return { ...row, sub_mchid: subMchid };
}

export async function finishDueApplyments(ctx: Ctx, tx: Tx): Promise<number> {
  const due = await all<ApplymentRow>(
    tx,
    `select * from wx_applyments where sub_mchid is null and not rejected and created_ms + $1 <= $2 limit 200`,
    [ctx.settings.applymentDelayMs, ctx.clock.now()],
  );
  for (const row of due) await materialize(ctx, tx, row);
  return due.length;
}

export function ecommerceStateJson(ctx: Ctx, row: ApplymentRow, signUrl: string): Record<string, unknown> {
  const stage = applymentStage(ctx, row);
  const base = { out_request_no: row.request_no, applyment_id: row.applyment_id };
  if (row.rejected && stage >= 1) {
    return {
      ...base,
      applyment_state: 'REJECTED',
      applyment_state_desc: '已驳回',
      sign_state: 'NOT_SIGNABLE',
      audit_detail: [
        { param_name: 'merchant_shortname', reject_reason: '商户简称不符合规范（沙箱：以 REJECT 开头的申请会被驳回）' },
      ],
    };
  }
  const states = [
    { applyment_state: 'CHECKING', applyment_state_desc: '资料校验中', sign_state: 'UNSIGNED' },
    { applyment_state: 'AUDITING', applyment_state_desc: '审核中', sign_state: 'UNSIGNED' },
    { applyment_state: 'NEED_SIGN', applyment_state_desc: '待签约', sign_state: 'UNSIGNED', sign_url: signUrl },
    { applyment_state: 'FINISH', applyment_state_desc: '完成', sign_state: 'SIGNED', sub_mchid: row.sub_mchid },
  ];
  return { ...base, ...states[stage], audit_detail: [] };
}

export function subStateJson(ctx: Ctx, row: ApplymentRow, signUrl: string): Record<string, unknown> {
  const stage = applymentStage(ctx, row);
  const base = { business_code: row.request_no, applyment_id: row.applyment_id };
  if (row.rejected && stage >= 1) {
    return {
      ...base,
      applyment_state: 'APPLYMENT_STATE_REJECTED',
      applyment_state_msg: '已驳回',
      audit_detail: [
        {
          field: 'merchant_shortname',
          field_name: '商户简称',
          reject_reason: '商户简称不符合规范（沙箱：以 REJECT 开头的申请会被驳回）',
        },
      ],
    };
  }
  const states = [
    { applyment_state: 'APPLYMENT_STATE_AUDITING', applyment_state_msg: '审核中' },
    { applyment_state: 'APPLYMENT_STATE_TO_BE_SIGNED', applyment_state_msg: '待签约', sign_url: signUrl },
    { applyment_state: 'APPLYMENT_STATE_SIGNING', applyment_state_msg: '开通权限中', sign_url: signUrl },
    { applyment_state: 'APPLYMENT_STATE_FINISHED', applyment_state_msg: '已完成', sub_mchid: row.sub_mchid },
  ];
  return { ...base, ...states[stage], audit_detail: [] };
}
