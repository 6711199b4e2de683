// Words every page uses: states, payment methods, unavailability reasons, common errors and buttons.
import type { Dict } from './i18n';

export const common = {
  loading: ['加载中…', 'Loading…'],
  retry: ['重试', 'Retry'],
  save: ['保存', 'Save'],
  cancel: ['取消', 'Cancel'],
  logout: ['退出', 'Log out'],
  login: ['登录', 'Log in'],
  api_key: ['API 密钥', 'API key'],
  empty: ['暂无数据', 'Nothing here yet'],
  not_available: [
    '此功能暂未开放：服务器还没有这个接口。',
    'Not available yet: the server does not offer this endpoint.',
  ],
  error: ['出错了', 'Something went wrong'],
  total: ['合计', 'Total'],
  amount: ['金额', 'Amount'],
  status: ['状态', 'Status'],
  created_at: ['创建时间', 'Created'],
  reason: ['原因', 'Reason'],
  actions: ['操作', 'Actions'],
  yes: ['是', 'Yes'],
  no: ['否', 'No'],

  method_alipay: ['支付宝', 'Alipay'],
  method_wechatpay: ['微信支付', 'WeChat Pay'],

  reason_method_disabled: ['平台未开通该支付方式', 'This payment method is not enabled on the platform'],
  reason_method_paused: ['该支付方式暂停使用', 'This payment method is paused for now'],
  reason_client_unsupported: [
    '当前环境不支持（如在微信内无法使用支付宝）',
    'Not supported here (e.g. Alipay inside WeChat)',
  ],
  reason_merchant_not_enabled: ['有商家尚未开通该支付方式', 'A merchant in this order has not enabled it yet'],
  reason_buyer_not_in_rollout: [
    '该支付方式正在逐步开放，暂未对您开放',
    'Being rolled out gradually; not open to you yet',
  ],

  order_pending_payment: ['待付款', 'Awaiting payment'],
  order_paid: ['已付款', 'Paid'],
  order_shipped: ['已发货', 'Shipped'],
  order_completed: ['已完成', 'Completed'],
  order_closed: ['已关闭', 'Closed'],

  payment_requires_method: ['待选择支付方式', 'Choose a payment method'],
  payment_pending: ['等待支付', 'Waiting for payment'],
  payment_succeeded: ['支付成功', 'Paid'],
  payment_expired: ['已过期', 'Expired'],

  activation_not_invited: ['未受邀', 'Not invited'],
  activation_invited: ['已受邀，待接受', 'Invited: accept to start'],
  activation_applying: ['进件审核中', 'Application under review'],
  activation_approved: ['已开通，等待上线', 'Approved, going live with the wave'],
  activation_rejected: ['进件被驳回', 'Application rejected'],
  activation_live: ['已上线', 'Live'],
  activation_paused: ['已暂停', 'Paused'],

  err_unauthenticated: ['密钥无效或已失效', 'The key is invalid or revoked'],
  err_forbidden_role: ['该密钥没有此权限', 'This key may not do that'],
  err_forbidden_resource: ['无权访问该数据', 'Not yours to see'],
  err_not_found: ['找不到', 'Not found'],
  err_method_unavailable: ['该支付方式不可用', 'That payment method is unavailable'],
  err_validation_failed: ['输入有误', 'Invalid input'],
  err_insufficient_stock: ['库存不足', 'Not enough stock'],
  err_provider_unavailable: [
    '支付机构暂时不可用，请稍后再试',
    'The payment provider is unavailable; try again shortly',
  ],
  err_provider_declined: [
    '支付机构拒绝了此次支付，请换一种支付方式',
    'The payment provider declined; try another payment method',
  ],
  err_rate_limited: ['操作太频繁，请稍后再试', 'Too many requests; try again shortly'],
} satisfies Dict;
