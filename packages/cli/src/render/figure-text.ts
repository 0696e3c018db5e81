/**
 * Text in the `--png` figure: the font it is set in, and how wide a string comes out, measured by
 * the engine that draws it (resvg), so the layout can shorten or wrap what would not fit instead
 * of letting the canvas cut it.
 *
 * The font is Inter (regular and bold TrueType files from the `@expo-google-fonts/inter`
 * package), so a figure looks the same everywhere and a machine without any system font (a bare
 * container) still gets its text. resvg reads TrueType/OpenType, not the WOFF files most web-font
 * packages ship. System fonts are not loaded: they would make the layout machine-dependent and
 * cost a directory scan on every run. Characters Inter lacks (it covers Latin, Greek and
 * Cyrillic) are left out of the drawing.
 */
import { createRequire } from 'node:module';

import { Resvg } from '@resvg/resvg-js';
import type { ResvgRenderOptions } from '@resvg/resvg-js';

const require = createRequire(import.meta.url);

/** The family every text of the figure is set in. */
export const FONT_FAMILY = 'Inter';

/** The font files resvg loads: Inter regular (400) and bold (700). */
export const FONT_FILES: readonly string[] = [
  require.resolve('@expo-google-fonts/inter/400Regular/Inter_400Regular.ttf'),
  require.resolve('@expo-google-fonts/inter/700Bold/Inter_700Bold.ttf'),
];

/** resvg's font options for the figure: Inter only. */
export const RESVG_FONT: NonNullable<ResvgRenderOptions['font']> = {
  loadSystemFonts: false,
  fontFiles: [...FONT_FILES],
  defaultFontFamily: FONT_FAMILY,
  sansSerifFamily: FONT_FAMILY,
};

/** How a run of text is set. */
export interface TextStyle {
  /** Font size in px. */
  readonly size: number;
  readonly weight: 400 | 700;
}

/** The ellipsis that marks shortened text. */
export const ELLIPSIS = '\u2026';

/** `s` as SVG/XML character data or attribute value. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The SVG `<text>` attributes of a style (shared by the figure and the measurement). */
export function textAttributes(style: TextStyle): string {
  return `font-family="${FONT_FAMILY}" font-size="${style.size}" font-weight="${style.weight}" xml:space="preserve"`;
}

const widths = new Map<string, number>();

/**
 * How far `text` set in `style` reaches right of its starting point, in px: the right edge of its
 * last glyph's ink, as resvg lays it out (0 for blank text). Cached per string and style.
 */
export function textWidth(text: string, style: TextStyle): number {
  const key = `${style.size}/${style.weight}/${text}`;
  let width = widths.get(key);
  if (width === undefined) {
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1">` +
      `<text x="0" y="${style.size}" ${textAttributes(style)}>${escapeXml(text)}</text></svg>`;
    const box = text.trim() === '' ? undefined : new Resvg(svg, { font: RESVG_FONT }).getBBox();
    width = box === undefined ? 0 : Math.max(0, box.x + box.width);
    widths.set(key, width);
  }
  return width;
}

/**
 * `text + suffix` if it fits in `maxWidth`; otherwise the longest start of `text` that fits with
 * an ellipsis and the whole `suffix` after it (the suffix is what must stay readable, e.g. a class
 * index), ended at a word boundary when one lies within the last 12 characters; the suffix
 * alone, shortened, if not even that fits.
 */
export function shorten(text: string, maxWidth: number, style: TextStyle, suffix = ''): string {
  if (textWidth(text + suffix, style) <= maxWidth) return text + suffix;
  const chars = Array.from(text);
  const candidate = (n: number) => `${chars.slice(0, n).join('').trimEnd()}${ELLIPSIS}${suffix}`;
  if (textWidth(candidate(0), style) > maxWidth) return suffix === '' ? '' : shorten(suffix, maxWidth, style);
  // Binary search for the longest prefix that fits (widths grow with the prefix).
  let lo = 0;
  let hi = chars.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (textWidth(candidate(mid), style) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  // End at a word boundary when one is near, so no word is cut to a stub.
  const space = chars.slice(0, lo).lastIndexOf(' ');
  return candidate(space > 0 && lo - space <= 12 ? space : lo);
}

/**
 * `parts` joined with `separator` into as few lines as fit `maxWidth` each (greedy, in order); a
 * part too wide for a line by itself is wrapped at its spaces, and a word too wide is shortened.
 */
export function wrapText(parts: readonly string[], maxWidth: number, style: TextStyle, separator = ' '): string[] {
  const lines: string[] = [];
  let line = '';
  const push = (piece: string) => {
    const joined = line === '' ? piece : `${line}${separator}${piece}`;
    if (textWidth(joined, style) <= maxWidth) {
      line = joined;
      return;
    }
    if (line !== '') lines.push(line);
    line = '';
    if (textWidth(piece, style) <= maxWidth) line = piece;
    else if (separator !== ' ' && piece.includes(' ')) {
      for (const word of piece.split(' ')) {
        const next = line === '' ? word : `${line} ${word}`;
        if (textWidth(next, style) <= maxWidth) line = next;
        else {
          if (line !== '') lines.push(line);
          line = shorten(word, maxWidth, style);
        }
      }
    } else line = shorten(piece, maxWidth, style);
  };
  for (const part of parts) if (part !== '') push(part);
  if (line !== '') lines.push(line);
  return lines;
}
