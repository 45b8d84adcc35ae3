// Entry point: picks the backend (Tauri inside the desktop app, the fake in a plain browser) and mounts the app.

import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import { inTauri, TauriBackend } from "./lib/backend";
import { FakeBackend } from "./lib/fakeBackend";
import { loadSavedLocale } from "./lib/i18n.svelte";

const tauri = inTauri();
/** In a plain browser, `?doctors=60` gives each fake store that many doctors (to try the board at scale). */
const doctorCount = Number(new URLSearchParams(location.search).get("doctors")) || undefined;

export default mount(App, {
  target: document.getElementById("app")!,
  props: {
    backend: tauri ? new TauriBackend() : new FakeBackend({ doctorCount, syncStepMs: 250, demoSync: true }),
    demo: !tauri,
    locale: loadSavedLocale(),
  },
});
