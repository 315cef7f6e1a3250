// Numbers and durations as people read them.

export const FINISHED = ["SUCCESS", "FAILURE", "REVOKED"];

export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

export const count = (n) => Number(n).toLocaleString("en");

const PREFIXES = ["", "k", "M", "G", "T", "P"];

// 4.12 G: three significant digits with an SI prefix.
export function si(value) {
  let scaled = value;
  let step = 0;
  while (Math.abs(scaled) >= 1000 && step < PREFIXES.length - 1) {
    scaled /= 1000;
    step += 1;
  }
  return `${scaled.toPrecision(3).replace(/\.?0+$/, "")}${PREFIXES[step] ? ` ${PREFIXES[step]}` : ""}`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 1) return "under 1 s";
  const s = Math.round(seconds);
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${r} s`;
  return `${r} s`;
}

const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

// 10⁻¹²: a power of ten the way it is written on paper.
export function pow10(exponent) {
  return `10${String(exponent).replace(/./g, (c) => SUPERSCRIPT[c] ?? c)}`;
}

export function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString("en-GB") : "—";
}
