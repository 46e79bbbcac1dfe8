import { MAX_KEY_LENGTH } from "./index";

type Operation = { parameters?: unknown[]; responses?: Record<string, unknown> };
type Doc = { paths?: object };

const ERROR_CONTENT = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };

/**
 * Describes the middleware in the OpenAPI document: every POST gets the `Idempotency-Key`
 * header and its two answers (409 idempotency_key_in_use, 422 idempotency_key_reused). Added
 * here, once, because the middleware covers every POST whoever writes the route.
 */
export function withIdempotencyKeys<D extends Doc>(doc: D): D {
  for (const item of Object.values((doc.paths ?? {}) as Record<string, { post?: Operation } | undefined>)) {
    const op = item?.post;
    if (!op) continue;
    op.parameters = [
      ...(op.parameters ?? []),
      {
        name: "Idempotency-Key",
        in: "header",
        required: false,
        description:
          "Makes a retry safe: the same key and body within 24 h answer the stored reply again (header idempotent-replayed: true). " +
          "Scoped to the workspace.",
        schema: { type: "string", minLength: 1, maxLength: MAX_KEY_LENGTH },
      },
    ];
    op.responses ??= {};
    op.responses["409"] ??= { description: "conflict (also idempotency_key_in_use: a request with this key is still running)", content: ERROR_CONTENT };
    op.responses["422"] ??= { description: "well-formed but unprocessable (also idempotency_key_reused: the key was used with another body)", content: ERROR_CONTENT };
  }
  return doc;
}
