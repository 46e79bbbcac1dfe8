import type { createRouter } from "../app";
import { registerCreateDestination } from "./create";
import { registerDeleteDestination } from "./delete";
import { registerGetDestination } from "./get";
import { registerListDestinations } from "./list";
import { registerRotateDestinationSecret } from "./rotate";
import { registerDestinationStats } from "./stats";
import { registerTestDestination } from "./test";
import { registerTransformPreview } from "./transform-preview";
import { registerUpdateDestination } from "./update";

/** `/v1/destinations`: where customers receive. One route per file. */
export function registerDestinationRoutes(app: ReturnType<typeof createRouter>) {
  registerCreateDestination(app);
  registerListDestinations(app);
  registerGetDestination(app);
  registerUpdateDestination(app);
  registerDeleteDestination(app);
  registerRotateDestinationSecret(app);
  registerTestDestination(app);
  registerDestinationStats(app);
  registerTransformPreview(app);
}
