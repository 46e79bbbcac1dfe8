import type { createRouter } from "../app";
import { registerGetEvent } from "./get";
import { registerListEvents } from "./list";

/** `GET /v1/events` and `GET /v1/events/{id}`: the event log (src/events/log.ts). */
export function registerEventRoutes(app: ReturnType<typeof createRouter>) {
  registerListEvents(app);
  registerGetEvent(app);
}
