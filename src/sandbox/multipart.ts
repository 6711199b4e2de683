// A small multipart/form-data reader for the sandboxes' media upload endpoints (RFC 7578): the parts' names,
// filenames and bytes. Bounded: at most PARTS_MAX parts; the body size is bounded by the route's body limit.
export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

const PARTS_MAX = 10;
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

export class MultipartError extends Error {}

export function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /^multipart\/form-data\s*;.*?boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  return match ? (match[1] ?? match[2]) : undefined;
}

export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new MultipartError('no boundary in the body');
  while (parts.length <= PARTS_MAX) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return parts; // the closing delimiter
    if (!body.subarray(at, at + 2).equals(CRLF)) throw new MultipartError('malformed delimiter line');
    const headersEnd = body.indexOf(HEADER_END, at + 2);
    if (headersEnd < 0) throw new MultipartError('part without headers');
    const headers = body.subarray(at + 2, headersEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([CRLF, delimiter]), headersEnd + 4);
    if (next < 0) throw new MultipartError('unterminated part');
    const disposition = /content-disposition:\s*form-data\s*;([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) throw new MultipartError('part without a name');
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    const contentType = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim();
    parts.push({
      name,
      ...(filename !== undefined ? { filename } : {}),
      ...(contentType ? { contentType } : {}),
      data: body.subarray(headersEnd + 4, next),
    });
    at = next + 2;
  }
  throw new MultipartError(`more than ${PARTS_MAX} parts`);
}

/** The image formats both providers take, by magic bytes. */
export function imageFormat(data: Buffer): 'png' | 'jpg' | 'bmp' | 'gif' | undefined {
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (data[0] === 0xff && data[1] === 0xd8) return 'jpg';
  if (data[0] === 0x42 && data[1] === 0x4d) return 'bmp';
  if (data.subarray(0, 4).toString('latin1') === 'GIF8') return 'gif';
  return undefined;
}
