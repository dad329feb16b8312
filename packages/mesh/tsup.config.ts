import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/node-wrtc.ts', 'src/roam-media.ts', 'src/simple-peer-link.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['node-datachannel'],
})
