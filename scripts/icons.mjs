// Draws Baton's icons into resources/ with no image tool: the app icon (PNG, ICO, ICNS) and the tray icons.
// The mark is the sidebar's: an accent diamond on a dark rounded square. Run: node scripts/icons.mjs
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const out = new URL('../resources/', import.meta.url);
mkdirSync(out, { recursive: true });

const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32(buf) {
  let c = -1;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}
/** An RGBA PNG of size×size, each pixel's colour from paint(u, v) with u, v in [0, 1), 4×4 supersampled. */
function png(size, paint) {
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    rows[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) {
        const [r, g, b, a] = paint((x + (sx + 0.5) / 4) / size, (y + (sy + 0.5) / 4) / size);
        acc[0] += r * a; acc[1] += g * a; acc[2] += b * a; acc[3] += a;
      }
      const o = y * (size * 4 + 1) + 1 + x * 4;
      const alpha = acc[3] / 16;
      rows[o] = alpha ? Math.round(acc[0] / acc[3]) : 0;
      rows[o + 1] = alpha ? Math.round(acc[1] / acc[3]) : 0;
      rows[o + 2] = alpha ? Math.round(acc[2] / acc[3]) : 0;
      rows[o + 3] = Math.round(alpha * 255);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

const NONE = [0, 0, 0, 0];
const inDiamond = (u, v, r) => Math.abs(u - 0.5) + Math.abs(v - 0.5) <= r;
function inRoundedSquare(u, v, inset, radius) {
  const dx = Math.max(inset + radius - u, 0, u - (1 - inset - radius));
  const dy = Math.max(inset + radius - v, 0, v - (1 - inset - radius));
  return u >= inset && u <= 1 - inset && v >= inset && v <= 1 - inset && dx * dx + dy * dy <= radius * radius;
}
/** The app icon: a dark square, an accent diamond, a lighter facet for depth. */
const appIcon = (u, v) => {
  if (!inRoundedSquare(u, v, 0.06, 0.2)) return NONE;
  if (inDiamond(u, v, 0.3)) return u + v < 1 ? [138, 163, 255, 1] : [108, 140, 255, 1];
  return [22, 26, 33, 1];
};
/** The tray mark: the diamond alone; with `alert`, a red dot for failures in the last day. */
const trayIcon = (alert) => (u, v) => {
  if (alert && (u - 0.8) ** 2 + (v - 0.2) ** 2 <= 0.2 ** 2) return [240, 82, 82, 1];
  return inDiamond(u, v, 0.45) ? [108, 140, 255, 1] : NONE;
};

const sizes = { 16: null, 32: null, 48: null, 64: null, 128: null, 256: null, 512: null, 1024: null };
for (const size of Object.keys(sizes)) sizes[size] = png(Number(size), appIcon);
writeFileSync(new URL('icon.png', out), sizes[512]);

// ICO with PNG entries (Windows Vista and later read them).
const icoSizes = [16, 32, 48, 256];
const dir = Buffer.alloc(6 + 16 * icoSizes.length);
dir.writeUInt16LE(0, 0); dir.writeUInt16LE(1, 2); dir.writeUInt16LE(icoSizes.length, 4);
let offset = dir.length;
icoSizes.forEach((s, i) => {
  const e = 6 + 16 * i;
  dir[e] = s === 256 ? 0 : s; dir[e + 1] = s === 256 ? 0 : s;
  dir.writeUInt16LE(1, e + 4); dir.writeUInt16LE(32, e + 6);
  dir.writeUInt32LE(sizes[s].length, e + 8); dir.writeUInt32LE(offset, e + 12);
  offset += sizes[s].length;
});
writeFileSync(new URL('icon.ico', out), Buffer.concat([dir, ...icoSizes.map((s) => sizes[s])]));

// ICNS with PNG entries: ic07 128, ic08 256, ic09 512, ic10 1024 (512@2x).
const icns = [['ic07', 128], ['ic08', 256], ['ic09', 512], ['ic10', 1024]].map(([type, s]) => {
  const head = Buffer.alloc(8);
  head.write(type, 0, 'ascii');
  head.writeUInt32BE(8 + sizes[s].length, 4);
  return Buffer.concat([head, sizes[s]]);
});
const icnsHead = Buffer.alloc(8);
icnsHead.write('icns', 0, 'ascii');
icnsHead.writeUInt32BE(8 + icns.reduce((n, b) => n + b.length, 0), 4);
writeFileSync(new URL('icon.icns', out), Buffer.concat([icnsHead, ...icns]));

writeFileSync(new URL('tray.png', out), png(16, trayIcon(false)));
writeFileSync(new URL('tray@2x.png', out), png(32, trayIcon(false)));
writeFileSync(new URL('tray-alert.png', out), png(16, trayIcon(true)));
writeFileSync(new URL('tray-alert@2x.png', out), png(32, trayIcon(true)));
console.log('icons written to resources/');
