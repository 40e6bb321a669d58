// What the files viewer makes of a file's bytes: text or binary, an image type it may preview, where UTF-8 may be cut.

/** Image types the viewer previews, by extension. SVG only ever goes into an <img> (no scripts run there). */
const IMAGES: Record<string, string> = {
  png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp", bmp: "image/bmp",
  ico: "image/x-icon", svg: "image/svg+xml", avif: "image/avif",
};

export function imageTypeOf(path: string): string | undefined {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? IMAGES[base.slice(dot + 1).toLowerCase()] : undefined;
}

/** The length of the longest prefix that does not end inside a UTF-8 sequence (a file shown in part is cut anywhere). */
export function utf8Boundary(bytes: Uint8Array): number {
  let i = bytes.length;
  // Step back over at most 3 continuation bytes to the lead byte; keep the sequence only if it is complete.
  let back = 0;
  while (back < 3 && i - back - 1 >= 0 && (bytes[i - back - 1] & 0xc0) === 0x80) back++;
  const lead = i - back - 1;
  if (lead < 0) return i;
  const b = bytes[lead];
  const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return back + 1 >= need ? i : lead;
}

/** Text as UTF-8, or null when it is binary: a NUL byte in its first 8 KiB, or bytes that are not UTF-8. */
export function decodeText(bytes: Uint8Array, truncated: boolean): string | null {
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(truncated ? bytes.subarray(0, utf8Boundary(bytes)) : bytes);
  } catch {
    return null;
  }
}

/** A hex dump (offset, 16 bytes, their printable ASCII) of the first bytes of a binary file. */
export function hexDump(bytes: Uint8Array, max = 1024): string {
  const lines: string[] = [];
  for (let o = 0; o < Math.min(bytes.length, max); o += 16) {
    const row = bytes.subarray(o, Math.min(o + 16, bytes.length));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${o.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join("\n");
}

export function bytes(n: number | undefined | null): string {
  if (n === undefined || n === null) return "";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024, u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}
