// Vite build of the civmap map client. Output: dist/, embedded into the civmap binary by embed.go (//go:embed all:dist).
//
// dist/ is emptied on every build; the placeholder dist/README.md that git keeps (so that a fresh clone without Node
// still compiles: go:embed needs the folder to exist) is written back by the plugin below, byte for byte, so a build
// leaves `git status` clean.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const placeholder = readFileSync(new URL('./dist-placeholder.md', import.meta.url), 'utf8');

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // maplibre-gl is one large chunk by nature; do not warn about it.
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
    // Three pages: the planners' map (index.html), the inspectors' field view (inspector.html) and the planners'
    // coverage dashboard (coverage.html); and the OGC API's HTML pages load src/ogc-map.js by a fixed name
    // (ogc/html.go, MapScript).
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        inspector: fileURLToPath(new URL('./inspector.html', import.meta.url)),
        coverage: fileURLToPath(new URL('./coverage.html', import.meta.url)),
        'ogc-map': fileURLToPath(new URL('./src/ogc-map.js', import.meta.url)),
      },
      output: { entryFileNames: (c) => (c.name === 'ogc-map' ? 'assets/ogc-map.js' : 'assets/[name]-[hash].js') },
    },
  },
  plugins: [
    {
      name: 'civmap-dist-placeholder',
      generateBundle() {
        this.emitFile({ type: 'asset', fileName: 'README.md', source: placeholder });
      },
    },
  ],
});
