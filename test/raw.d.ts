// Vite's `?raw` imports (a file's text, e.g. wrangler.toml in the config tests).
declare module "*?raw" {
  const text: string;
  export default text;
}
