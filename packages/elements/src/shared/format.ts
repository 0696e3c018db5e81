/**
 * Number formatting for evidence values in text (tooltips, legends, summaries): a real minus sign,
 * an explicit plus for evidence *for* a class, and three significant digits.
 */

/** `+1.23`, `−0.0456`, `0`: signed, 3 significant digits, U+2212 minus. */
export function formatEvidence(value: number, digits = 3): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return String(value);
  const text = formatNumber(Math.abs(value), digits);
  return `${value > 0 ? '+' : '\u2212'}${text}`;
}

/** `1.23`, `−0.0456`, `1.2e+4`: 3 significant digits without trailing zeros, U+2212 minus. */
export function formatNumber(value: number, digits = 3): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  const text =
    abs >= 1e5 || abs < 1e-4
      ? abs.toExponential(digits - 1).replace(/\.?0+e/, 'e')
      : String(Number.parseFloat(abs.toPrecision(digits)));
  return value < 0 ? `\u2212${text}` : text;
}

/** `12.3 %` from a fraction 0.123 (one decimal below 10 %, none above). */
export function formatShare(fraction: number): string {
  const pct = fraction * 100;
  const abs = Math.abs(pct);
  const text = abs >= 10 ? abs.toFixed(0) : abs.toFixed(1);
  return `${pct < 0 ? '\u2212' : ''}${text} %`;
}

/** Words for the sign of evidence (a patch's contribution to the logit): colour is never the only channel. */
export function evidenceWord(value: number): string {
  return value > 0 ? 'for' : value < 0 ? 'against' : 'neutral';
}
