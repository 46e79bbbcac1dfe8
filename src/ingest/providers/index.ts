import type { ProviderName } from "../../events/canonical";
import { atoshipAdapter } from "./atoship";
import { genericAdapter } from "./generic";
import type { ProviderAdapter } from "./types";

/**
 * Every provider's adapter, by the name sources use. A provider without its own adapter
 * yet falls back to `generic` so its callbacks are still stored (as provider.unmapped).
 */
const ADAPTERS: Partial<Record<ProviderName, ProviderAdapter>> = {
  atoship: atoshipAdapter,
  generic: genericAdapter,
};

export function adapterFor(provider: ProviderName): ProviderAdapter {
  return ADAPTERS[provider] ?? genericAdapter;
}
