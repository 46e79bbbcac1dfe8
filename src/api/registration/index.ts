import type { createRouter } from "../app";
import { registerListWebhooks } from "./list";
import { registerRegisterWebhooks } from "./register";
import { registerRemoveWebhooks } from "./remove";

/** Provider registration of a source's ingest URL. One route per file. */
export function registerRegistrationRoutes(app: ReturnType<typeof createRouter>) {
  registerRegisterWebhooks(app);
  registerListWebhooks(app);
  registerRemoveWebhooks(app);
}
