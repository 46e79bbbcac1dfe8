import type { z } from "zod";
import { firstIssue } from "../../events/normalize";
import { AdapterParseError } from "./types";

export interface ParseOptions {
  /** What the payload should have been, for the message: "not an AfterShip webhook". */
  what?: string;
  /** Where the value sits in the payload ("data", "shipments.2"): prefixed to the field path. */
  at?: string;
  /** The field to name when the schema's issue has no path (the whole value is wrong). */
  field?: string;
}

/**
 * Parses a provider payload (or part of one) with its zod schema, or throws the
 * AdapterParseError the relay turns into a stored `provider.unmapped` naming the field.
 */
export function parsePayload<T extends z.ZodType>(schema: T, value: unknown, opts: ParseOptions = {}): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(parsed.error);
  const message = opts.what ? `${opts.what}: ${issue.message}` : issue.message;
  const field = issue.field ? (opts.at ? `${opts.at}.${issue.field}` : issue.field) : (opts.at ?? opts.field);
  throw new AdapterParseError(message, field);
}
