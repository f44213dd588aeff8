import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `vite build web` (run by `npm run build`): the UI goes to dist/web/, which the tracking server
// serves at `/`. `vite web` runs a dev server that sends API calls to a Hangar server on :5000.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:5000',
      '/ajax-api': 'http://127.0.0.1:5000',
    },
  },
});
