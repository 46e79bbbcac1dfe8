import type { ProviderName } from "../../events/canonical";
import { aftershipAdapter } from "./aftership";
import { atoshipAdapter } from "./atoship";
import { easypostAdapter } from "./easypost";
import { genericAdapter } from "./generic";
import { shipedgeAdapter } from "./shipedge";
import { shipengineAdapter } from "./shipengine";
import { shippyproAdapter } from "./shippypro";
import { shipstationAdapter } from "./shipstation";
import { shipupAdapter } from "./shipup";
import type { ProviderAdapter } from "./types";

/** Every provider's adapter, by the name sources use (CONTRACT.md, Sources). */
const ADAPTERS: Record<ProviderName, ProviderAdapter> = {
  shipstation: shipstationAdapter,
  shipengine: shipengineAdapter,
  shipedge: shipedgeAdapter,
  shippypro: shippyproAdapter,
  shipup: shipupAdapter,
  atoship: atoshipAdapter,
  easypost: easypostAdapter,
  aftership: aftershipAdapter,
  generic: genericAdapter,
};

export function adapterFor(provider: ProviderName): ProviderAdapter {
  return ADAPTERS[provider] ?? genericAdapter;
}
