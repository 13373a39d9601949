/// <reference types="vitest/config" />
import { defineConfig } from 'vite'

// One self-contained script (IIFE, styles inlined) with a content hash in
// its name; the server's loader.js points sites at the current one.
// public/ holds only .gitkeep, so build/ keeps it after a clean build.
export default defineConfig({
  build: {
    target: 'es2020',
    outDir: 'build',
    emptyOutDir: true,
    reportCompressedSize: true,
    lib: {
      entry: 'src/main.ts',
      formats: ['iife'],
      name: 'LoketChat',
    },
    rollupOptions: {
      output: { entryFileNames: 'assets/widget-[hash].js' },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
  },
})
