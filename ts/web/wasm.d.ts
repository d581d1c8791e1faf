// `.wasm` imports, whose meaning depends on the tool that resolves them: a WebAssembly.Module
// (workerd, wrangler), an instance's exports (Deno), the bytes (esbuild's binary loader). Each
// entry casts to what its own build gives it.
declare module '*.wasm' {
  const value: unknown;
  export default value;
}
