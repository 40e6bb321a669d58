import prices from "./prices.json";

type Table = Record<string, Record<string, [number, number]>>;
const table = prices as unknown as Table;

/** USD per million tokens [input, output] for a model, by the longest matching prefix; null when unknown. */
export function priceOf(provider: string | undefined, model: string | undefined): [number, number] | null {
  if (!provider || !model) return null;
  const models = table[provider.toLowerCase()];
  if (!models) return null;
  const m = model.toLowerCase().replace(/^models\//, "");
  let best: string | null = null;
  for (const key of Object.keys(models)) if (m.startsWith(key) && (!best || key.length > best.length)) best = key;
  return best ? models[best] : null;
}

/** Estimated cost in USD of one call, or null when the model or its token counts are unknown. */
export function costOf(provider: string | undefined, model: string | undefined, input: unknown, output: unknown): number | null {
  const p = priceOf(provider, model);
  if (!p || typeof input !== "number" || typeof output !== "number") return null;
  return (input * p[0] + output * p[1]) / 1_000_000;
}
