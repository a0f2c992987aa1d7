#!/usr/bin/env node
// Makes assets/canyon.jpg, the sample photo `thumbctl demo` and `thumbctl bench` upload: a 3000x2000 canyon drawn
// as SVG (sky gradient, layered red-orange rock bands, a river) and rendered by sharp. Run once; the JPEG is
// committed, so nothing is downloaded and the demo's input never changes. Usage: node scripts/make-sample.mjs
import { mkdirSync, statSync } from 'node:fs';
import sharp from 'sharp';

const WIDTH = 3000;
const HEIGHT = 2000;
const OUT = new URL('../assets/canyon.jpg', import.meta.url);

// A small deterministic generator, so every run draws the same picture.
let seed = 389;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

/** A ridge line across the picture: a polygon closed along the bottom edge. */
function ridge(baseY, roughness, step = 60) {
  const points = [];
  let y = baseY;
  for (let x = -step; x <= WIDTH + step; x += step) {
    y += (random() - 0.5) * roughness;
    y = Math.max(baseY - roughness * 2, Math.min(baseY + roughness * 2, y));
    points.push(`${x},${y.toFixed(1)}`);
  }
  return `${points.join(' ')} ${WIDTH + step},${HEIGHT} ${-step},${HEIGHT}`;
}

const bands = [
  { y: 700, rough: 90, from: '#c8643c', to: '#8a3b22' },
  { y: 880, rough: 110, from: '#d9774a', to: '#9c4526' },
  { y: 1060, rough: 120, from: '#b8502e', to: '#6e2c18' },
  { y: 1240, rough: 130, from: '#e08a55', to: '#a24f2b' },
  { y: 1420, rough: 140, from: '#a9452a', to: '#5e2414' },
];

for (const band of bands) band.points = ridge(band.y, band.rough);

const strata = Array.from({ length: 60 }, (_, index) => {
  const y = 650 + index * 22 + random() * 12;
  return `<path d="M0 ${y.toFixed(0)} Q ${WIDTH / 2} ${(y + (random() - 0.5) * 80).toFixed(0)} ${WIDTH} ${(y + (random() - 0.5) * 60).toFixed(0)}" stroke="#3b1408" stroke-opacity="${(0.08 + random() * 0.12).toFixed(2)}" stroke-width="${(2 + random() * 5).toFixed(1)}" fill="none"/>`;
}).join('\n');

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">
<defs>
  <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
    <stop offset="0" stop-color="#2c5aa0"/><stop offset="0.55" stop-color="#7fb2e5"/><stop offset="1" stop-color="#f4d7a8"/>
  </linearGradient>
  ${bands.map((band, index) => `<linearGradient id="rock${index}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${band.from}"/><stop offset="1" stop-color="${band.to}"/></linearGradient>`).join('\n  ')}
  <linearGradient id="river" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#4f8fa8"/><stop offset="1" stop-color="#1f5a6e"/></linearGradient>
  <clipPath id="rock">${bands.map((band) => `<polygon points="${band.points}"/>`).join('')}</clipPath>
  <filter id="grain" x="0" y="0" width="100%" height="100%">
    <feTurbulence type="fractalNoise" baseFrequency="0.9 0.35" numOctaves="3" seed="7" result="noise"/>
    <feColorMatrix type="matrix" values="0 0 0 0 0.2  0 0 0 0 0.08  0 0 0 0 0.04  0 0 0 -1.4 1.1" in="noise" result="tint"/>
    <feComposite in="tint" in2="SourceGraphic" operator="in" result="grain"/>
    <feMerge><feMergeNode in="SourceGraphic"/><feMergeNode in="grain"/></feMerge>
  </filter>
</defs>
<rect width="${WIDTH}" height="${HEIGHT}" fill="url(#sky)"/>
<circle cx="2450" cy="330" r="120" fill="#fff4d6" opacity="0.85"/>
<g filter="url(#grain)">
  ${bands.map((band, index) => `<polygon points="${band.points}" fill="url(#rock${index})"/>`).join('\n  ')}
  <g clip-path="url(#rock)">${strata}</g>
</g>
<path d="M1180 ${HEIGHT} C 1350 1750, 1650 1680, 1540 1560 S 1420 1470, 1500 1430 L 1560 1432 C 1500 1480, 1640 1560, 1700 1640 S 1650 1850, 1900 ${HEIGHT} Z" fill="url(#river)"/>
<path d="M1300 ${HEIGHT} C 1420 1800, 1600 1720, 1560 1600" stroke="#bfe3ef" stroke-opacity="0.35" stroke-width="6" fill="none"/>
</svg>`;

mkdirSync(new URL('../assets/', import.meta.url), { recursive: true });
await sharp(Buffer.from(svg)).jpeg({ quality: 85, mozjpeg: true }).toFile(OUT.pathname);
const { size } = statSync(OUT);
const { width, height } = await sharp(OUT.pathname).metadata();
console.log(`wrote ${OUT.pathname}: ${width}x${height}, ${(size / 1024).toFixed(0)} KB`);
