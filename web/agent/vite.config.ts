/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// `npm run dev` proxies the API and the realtime stream to a Loket server
// (LOKET_URL, default http://localhost:8080).
const target = process.env.LOKET_URL ?? 'http://localhost:8080'

export default defineConfig({
  plugins: [vue()],
  build: {
    target: 'es2022',
    outDir: 'build',
    assetsDir: 'assets',
    reportCompressedSize: true,
  },
  server: {
    proxy: {
      '/api/v1/stream': { target, ws: true, changeOrigin: false },
      '/api': { target, changeOrigin: false },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
  },
})
