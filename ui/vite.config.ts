// Vite + Vitest configuration. Tauri loads `dist/` in release and http://localhost:5173 in dev.
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";
import { defineConfig } from "vitest/config";

// Set by `tauri dev` when developing on a phone or another device on the network.
const host = process.env.TAURI_DEV_HOST;

export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  // Keep Rust compiler output visible when run by `tauri dev`.
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    host: host || false,
    hmr: host ? { protocol: "ws", host, port: 5174 } : undefined,
  },
  envPrefix: ["VITE_", "TAURI_ENV_"],
  build: {
    outDir: "dist",
    emptyOutDir: true,
  },
  test: {
    include: ["src/**/*.test.ts"],
    // The whole-app tests click through several screens; on a busy 2-core machine one can take over 5 s.
    testTimeout: 20_000,
    // The global style sheet is read as text by a test (lib/fontWeight.test.ts); other CSS stays unprocessed.
    css: { include: [/app\.css/] },
  },
});
