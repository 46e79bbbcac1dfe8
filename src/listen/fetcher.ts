/** The header by which a listener's object says an attempt could not be made (nobody listening, no local answer). */
export const LISTENER_ERROR_HEADER = "x-listener-error";

/**
 * What the consumer sends a `listen` destination's attempts through: its listener's object,
 * not the network. An attempt the object could not make comes back as a thrown error, so
 * it is recorded like a connection error (and retried) — thrown here rather than in the
 * object, where it would be reported as an uncaught exception.
 */
export function listenerFetcher(env: Env, destinationId: string): Pick<Fetcher, "fetch"> {
  const stub = env.LISTENERS.get(env.LISTENERS.idFromName(destinationId));
  return {
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const res = await stub.fetch(input as RequestInfo, init as RequestInit<CfProperties>);
      const error = res.headers.get(LISTENER_ERROR_HEADER);
      if (error) throw new Error(error);
      return res;
    },
  } as Pick<Fetcher, "fetch">;
}
