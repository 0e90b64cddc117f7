import { defineConfig } from "vitest/config";

// One config for dev, build and unit tests. The Rust server serves `dist/` at `/`, so assets use
// relative URLs; in dev, Vite proxies the Socket.IO endpoint and the lobby (`/rooms`) to a server on port 3000.
export default defineConfig({
  base: "./",
  server: {
    port: 8080,
    proxy: {
      "/socket.io": { target: "http://127.0.0.1:3000", ws: true },
      "/rooms": { target: "http://127.0.0.1:3000" },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1600,
    rollupOptions: {
      output: {
        // Phaser is ~1.2 MB minified and changes far less often than the game code.
        manualChunks: { phaser: ["phaser"] },
      },
    },
  },
  test: {
    include: ["tests/unit/**/*.test.ts"],
    environment: "node",
  },
});
