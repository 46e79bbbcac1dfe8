/** A bundled provider callback: its content type and its body, as test/fixtures holds it. */
export interface Sample {
  headers: Record<string, string>;
  body: unknown;
}

/** A provider's samples by event name (the fixture's file name). */
export type SampleSet = Record<string, Sample>;
