// Entry point: picks the backend (Tauri inside the desktop app, the fake in a plain browser) and mounts the app.

import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import { inTauri, TauriBackend, type Backend } from "./lib/backend";
import { loadSavedLocale } from "./lib/i18n.svelte";

const tauri = inTauri();
/** In a plain browser, `?doctors=60` gives each fake store that many doctors (to try the board at scale). */
const doctorCount = Number(new URLSearchParams(location.search).get("doctors")) || undefined;

/** The fake backend (and its demo clinic) is loaded only in a plain browser: the desktop app never parses it. */
async function backend(): Promise<Backend> {
  if (tauri) return new TauriBackend();
  const { FakeBackend } = await import("./lib/fakeBackend");
  return new FakeBackend({ doctorCount, syncStepMs: 250, demoSync: true });
}

export default mount(App, {
  target: document.getElementById("app")!,
  props: { backend: await backend(), demo: !tauri, locale: loadSavedLocale() },
});
