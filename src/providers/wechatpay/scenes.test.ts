import { describe, expect, it } from 'vitest';
import { wechatpaySceneFor } from './scenes';

describe('the WeChat Pay scene for a client', () => {
  it.each([
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.44(0x18002c2b) NetType/WIFI Language/zh_CN',
      'jsapi',
    ],
    [
      'Mozilla/5.0 (Linux; Android 13; V2183A) AppleWebKit/537.36 Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.43.2480(0x28002B37) WeChat/arm64',
      'jsapi',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1',
      'h5',
    ],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36', 'h5'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36', 'qr'],
    [undefined, 'qr'],
  ])('%s → %s', (ua, scene) => {
    expect(wechatpaySceneFor(ua)).toBe(scene);
  });
});
