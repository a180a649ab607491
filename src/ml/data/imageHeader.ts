// Image size from the file header, read before decoding: a 30000×30000 PNG is 875 KB on disk but
// 3.6 GB once decoded, so the size is checked first and such files are refused at once.

/** Images above this many pixels are refused before decoding (Pillow's MAX_IMAGE_PIXELS: 89.5 Mpx). */
export const MAX_IMAGE_PIXELS = 89_478_485;

export interface ImageHeader {
  readonly format: 'png' | 'jpeg';
  readonly width: number;
  readonly height: number;
}

/** True when the bytes start with the PNG signature. */
export function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a;
}

/** True when the bytes start with a JPEG start-of-image marker. */
export function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

const u16 = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u32 = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;

/**
 * Format and size of a PNG (IHDR, the first chunk) or JPEG (the first SOFn frame header);
 * undefined when the header is missing or cut short.
 */
export function readImageHeader(b: Uint8Array): ImageHeader | undefined {
  if (isPng(b)) {
    // signature (8), IHDR length (4), "IHDR" (4), width (4), height (4)
    if (b.length < 24 || String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!) !== 'IHDR') return undefined;
    return { format: 'png', width: u32(b, 16), height: u32(b, 20) };
  }
  if (isJpeg(b)) {
    let i = 2;
    while (i + 4 <= b.length) {
      if (b[i] !== 0xff) return undefined;
      const marker = b[i + 1]!;
      if (marker === 0xff) { i++; continue; } // fill byte
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { i += 2; continue; }
      const len = u16(b, i + 2);
      // SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC)
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        if (i + 9 > b.length) return undefined;
        return { format: 'jpeg', height: u16(b, i + 5), width: u16(b, i + 7) };
      }
      if (marker === 0xda || marker === 0xd9) return undefined; // scan data before any frame header
      i += 2 + len;
    }
  }
  return undefined;
}
