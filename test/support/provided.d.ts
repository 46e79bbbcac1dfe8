// Values test/support/global-setup.ts hands to the tests (vitest provide/inject).
declare module "vitest" {
  interface ProvidedContext {
    /** Base URL of the fake outside world (customer endpoints, provider APIs). */
    mockBaseUrl: string;
  }
}
export {};
