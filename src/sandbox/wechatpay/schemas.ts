// Request bodies of the emulated API v3 (field names as WeChat Pay's). Unknown fields are accepted, as the
// gateway ignores what it does not use; wrong types and missing fields are 400 PARAM_ERROR.
import { Type } from 'typebox';

const Str = (min = 1, max = 256) => Type.String({ minLength: min, maxLength: max });
const Fen = Type.Integer({ minimum: 1, maximum: 100_000_000_000 });

export const SettleInfo = Type.Object({
  profit_sharing: Type.Optional(Type.Boolean()),
  subsidy_amount: Type.Optional(Type.Integer({ minimum: 0 })),
});

const partnerCommon = {
  sp_appid: Str(1, 32),
  sp_mchid: Str(1, 32),
  sub_appid: Type.Optional(Str(1, 32)),
  sub_mchid: Str(1, 32),
  description: Str(1, 127),
  out_trade_no: Str(6, 32),
  time_expire: Type.Optional(Str(1, 64)),
  attach: Type.Optional(Type.String({ maxLength: 128 })),
  notify_url: Str(1, 256),
  goods_tag: Type.Optional(Type.String()),
  amount: Type.Object({ total: Fen, currency: Type.Optional(Type.Literal('CNY')) }),
  settle_info: Type.Optional(SettleInfo),
  scene_info: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
};

export const PartnerNativeBody = Type.Object(partnerCommon);

export const PartnerJsapiBody = Type.Object({
  ...partnerCommon,
  payer: Type.Object({ sp_openid: Type.Optional(Str(1, 128)), sub_openid: Type.Optional(Str(1, 128)) }),
});

export const PartnerH5Body = Type.Object({
  ...partnerCommon,
  scene_info: Type.Object({
    payer_client_ip: Str(1, 45),
    h5_info: Type.Object({ type: Str(1, 32) }),
  }),
});

export const PartnerQuery = Type.Object({ sp_mchid: Str(1, 32), sub_mchid: Str(1, 32) });
export const PartnerCloseBody = Type.Object({ sp_mchid: Str(1, 32), sub_mchid: Str(1, 32) });

export const CombineSubOrder = Type.Object({
  mchid: Str(1, 32),
  attach: Str(1, 128),
  amount: Type.Object({ total_amount: Fen, currency: Type.Optional(Type.Literal('CNY')) }),
  out_trade_no: Str(6, 32),
  sub_mchid: Str(1, 32),
  sub_appid: Type.Optional(Str(1, 32)),
  description: Str(1, 127),
  settle_info: Type.Optional(SettleInfo),
  goods_tag: Type.Optional(Type.String()),
});

const combineCommon = {
  combine_appid: Str(1, 32),
  combine_mchid: Str(1, 32),
  combine_out_trade_no: Str(6, 32),
  sub_orders: Type.Array(CombineSubOrder, { minItems: 1, maxItems: 50 }),
  time_start: Type.Optional(Str(1, 64)),
  time_expire: Type.Optional(Str(1, 64)),
  notify_url: Str(1, 256),
  scene_info: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  combine_payer_info: Type.Optional(
    Type.Object({ openid: Type.Optional(Str(1, 128)), sub_openid: Type.Optional(Str(1, 128)) }),
  ),
};

export const CombineNativeBody = Type.Object(combineCommon);
export const CombineJsapiBody = Type.Object({
  ...combineCommon,
  combine_payer_info: Type.Object({ openid: Str(1, 128), sub_openid: Type.Optional(Str(1, 128)) }),
});
export const CombineH5Body = Type.Object({
  ...combineCommon,
  scene_info: Type.Object({ payer_client_ip: Str(1, 45), h5_info: Type.Object({ type: Str(1, 32) }) }),
});

export const CombineCloseBody = Type.Object({
  combine_appid: Str(1, 32),
  sub_orders: Type.Array(
    Type.Object({
      mchid: Str(1, 32),
      out_trade_no: Str(6, 32),
      sub_mchid: Str(1, 32),
      sub_appid: Type.Optional(Str(1, 32)),
    }),
    { minItems: 1, maxItems: 50 },
  ),
});

export const RefundAmount = Type.Object({
  refund: Fen,
  total: Fen,
  currency: Type.Optional(Type.Literal('CNY')),
});

export const EcommerceRefundBody = Type.Object({
  sub_mchid: Str(1, 32),
  sp_appid: Str(1, 32),
  sub_appid: Type.Optional(Str(1, 32)),
  transaction_id: Type.Optional(Str(1, 32)),
  out_trade_no: Type.Optional(Str(1, 32)),
  out_refund_no: Str(1, 64),
  reason: Type.Optional(Type.String({ maxLength: 80 })),
  amount: RefundAmount,
  notify_url: Type.Optional(Str(1, 256)),
  refund_account: Type.Optional(Type.String()),
  funds_account: Type.Optional(Type.String()),
});

export const DomesticRefundBody = Type.Object({
  sub_mchid: Str(1, 32),
  transaction_id: Type.Optional(Str(1, 32)),
  out_trade_no: Type.Optional(Str(1, 32)),
  out_refund_no: Str(1, 64),
  reason: Type.Optional(Type.String({ maxLength: 80 })),
  notify_url: Type.Optional(Str(1, 256)),
  funds_account: Type.Optional(Type.String()),
  amount: RefundAmount,
});

export const SubMchidQuery = Type.Object({ sub_mchid: Str(1, 32) });
