// A QR code drawn by the qrcode library as an SVG data URL (an <img>, so no inline markup is injected).
// Signed payment URLs are long: they get the lowest error correction, which holds the most characters.
import { useEffect, useState } from 'react';
import QRCode from 'qrcode';

export function QrCode({ text, label }: { text: string; label: string }) {
  // A long URL makes a dense code: draw it larger so a phone camera can still read it.
  const size = text.length > 600 ? 300 : 220;
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    QRCode.toString(text, { type: 'svg', margin: 1, errorCorrectionLevel: text.length > 900 ? 'L' : 'M' }).then(
      (svg) => live && setSrc(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`),
      () => live && setSrc(null),
    );
    return () => {
      live = false;
    };
  }, [text]);
  if (!src) return <div className="qr qr-empty" />;
  return (
    <img
      className={`qr${size > 220 ? ' qr-large' : ''}`}
      src={src}
      width={size}
      height={size}
      alt={label}
      data-qr-text={text}
    />
  );
}
