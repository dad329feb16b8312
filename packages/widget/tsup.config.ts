import { defineConfig } from 'tsup'

// The ESM build for bundlers: Preact and the @kibitz packages stay imports (deduplicated by the
// app's bundler). The self-contained widget.js is built by scripts/build-iife.mjs.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  esbuildOptions(o) {
    o.jsx = 'automatic'
    o.jsxImportSource = 'preact'
  },
})
