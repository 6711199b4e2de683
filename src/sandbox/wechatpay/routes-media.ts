// POST /v3/merchant/media/upload: multipart/form-data with a `meta` part ({ filename, sha256 }) and a `file` part.
// The request signature covers the `meta` JSON only (the file is bound to it by its sha256), so the raw body the
// signature check sees is that part's text. Answers { media_id }; the image's bytes are not kept.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { keepRawBody } from './auth';
import type { Ctx } from './context';
import { wx } from './errors';
import { ids } from './ids';
import { merchantOf, type V3Env } from './v3';
import { boundaryOf, imageFormat, MultipartError, parseMultipart, type FormPart } from '../multipart';
import { createHash } from 'node:crypto';
import { SANDBOX_CLIENT } from '../access';

/** WeChat Pay takes JPG, BMP and PNG images up to 2 MB. */
const IMAGE_BYTES_MAX = 2 * 1024 * 1024;
const BODY_LIMIT_BYTES = IMAGE_BYTES_MAX + 64 * 1024;
const EXTENSIONS: Record<string, 'jpg' | 'png' | 'bmp'> = { jpg: 'jpg', jpeg: 'jpg', png: 'png', bmp: 'bmp' };

interface Upload {
  meta: string;
  file: FormPart | undefined;
}

export function registerMediaRoutes(app: FastifyInstance, env: V3Env): void {
  const { ctx } = env;
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES },
    (req, body, done) => {
      const boundary = boundaryOf(req.headers['content-type']);
      if (!boundary) return done(wx.param('multipart/form-data 缺少 boundary'));
      try {
        const parts = parseMultipart(body as Buffer, boundary);
        const meta = parts.find((p) => p.name === 'meta' && p.filename === undefined)?.data.toString('utf8') ?? '';
        keepRawBody(req, meta);
        done(null, { meta, file: parts.find((p) => p.name === 'file') } satisfies Upload);
      } catch (err) {
        done(err instanceof MultipartError ? wx.param(`multipart/form-data 格式错误: ${err.message}`) : (err as Error));
      }
    },
  );

  app.post('/v3/merchant/media/upload', { config: SANDBOX_CLIENT }, async (req: FastifyRequest) => {
    const merchant = merchantOf(req);
    const { meta, file } = (req.body ?? { meta: '', file: undefined }) as Upload;
    const { filename, sha256 } = parseMeta(meta);
    if (!file || file.data.length === 0) throw wx.param('缺少 file 文件');
    if (file.data.length > IMAGE_BYTES_MAX) throw wx.param('图片大小不能超过 2M');
    if (createHash('sha256').update(file.data).digest('hex') !== sha256.toLowerCase())
      throw wx.param('meta.sha256 与文件内容不符');
    const extension = EXTENSIONS[/\.([A-Za-z]+)$/.exec(filename)?.[1]?.toLowerCase() ?? ''];
    if (!extension || imageFormat(file.data) !== extension)
      throw wx.param('仅支持 JPG、BMP、PNG 格式的图片，且文件名后缀须与内容一致');
    const mediaId = ids.mediaId();
    await ctx.db.query(
      'insert into wx_media (media_id, mchid, filename, sha256, bytes, created_ms) values ($1, $2, $3, $4, $5, $6)',
      [mediaId, merchant.mchid, filename, sha256.toLowerCase(), file.data.length, ctx.clock.now()],
    );
    return { media_id: mediaId };
  });
}

function parseMeta(meta: string): { filename: string; sha256: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(meta);
  } catch {
    throw wx.param('缺少 meta 或 meta 不是合法的 JSON');
  }
  const m = (parsed ?? {}) as { filename?: unknown; sha256?: unknown };
  if (typeof m.filename !== 'string' || m.filename.length === 0 || m.filename.length > 128)
    throw wx.param('meta.filename 缺失或过长');
  if (typeof m.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(m.sha256))
    throw wx.param('meta.sha256 须为 64 位十六进制');
  return { filename: m.filename, sha256: m.sha256 };
}

/** Application forms name images by media id: each must be one this merchant uploaded. */
export async function checkMediaIds(
  ctx: Ctx,
  mchid: string,
  ids: Array<[path: string, value: unknown]>,
): Promise<void> {
  for (const [path, value] of ids) {
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') throw wx.param(`${path} 应为图片上传接口返回的 media_id`);
    const { rows } = await ctx.db.query('select 1 from wx_media where media_id = $1 and mchid = $2', [value, mchid]);
    if (rows.length === 0) throw wx.param(`${path} 不是本商户上传的图片 media_id`);
  }
}
