import type { createRouter } from "../app";
import { registerCreateSource } from "./create";
import { registerDeleteSource } from "./delete";
import { registerGetSource } from "./get";
import { registerListSources } from "./list";
import { registerRotateSourceSecret } from "./rotate";
import { registerTriggerRoutes } from "./trigger";
import { registerUpdateSource } from "./update";

/** `/v1/sources`: where providers send. One route per file. */
export function registerSourceRoutes(app: ReturnType<typeof createRouter>) {
  registerCreateSource(app);
  registerListSources(app);
  registerGetSource(app);
  registerUpdateSource(app);
  registerDeleteSource(app);
  registerRotateSourceSecret(app);
  registerTriggerRoutes(app);
}
