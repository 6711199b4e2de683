// SQL for merchants' onboarding profiles. Sensitive fields live only in `sealed` (field → AES-GCM value bound to
// the merchant and field); `plain` holds the rest; `images` the providers' media ids.
import type { Queryable } from '../shared/db';
import type { ProfileImages } from './profile';

export interface ProfileRow {
  merchant_id: string;
  plain: Record<string, string>;
  sealed: Record<string, string>;
  images: ProfileImages;
  updated_at: Date;
}

export const profileStore = {
  async get(q: Queryable, merchantId: string, forUpdate = false): Promise<ProfileRow | undefined> {
    return (
      await q.query<ProfileRow>(
        `SELECT * FROM merchant_profiles WHERE merchant_id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
        [merchantId],
      )
    ).rows[0];
  },
  async put(q: Queryable, row: ProfileRow): Promise<void> {
    await q.query(
      `INSERT INTO merchant_profiles (merchant_id, plain, sealed, images, updated_at) VALUES ($1,$2,$3,$4,$5)
       ON CONFLICT (merchant_id) DO UPDATE SET plain = $2, sealed = $3, images = $4, updated_at = $5`,
      [
        row.merchant_id,
        JSON.stringify(row.plain),
        JSON.stringify(row.sealed),
        JSON.stringify(row.images),
        row.updated_at,
      ],
    );
  },
};
