// Entry point: picks the backend (Tauri inside the desktop app, the fake in a plain browser) and mounts the app.

import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import { inTauri, TauriBackend } from "./lib/backend";
import { FakeBackend } from "./lib/fakeBackend";
import { loadSavedLocale } from "./lib/i18n.svelte";

const tauri = inTauri();

export default mount(App, {
  target: document.getElementById("app")!,
  props: {
    backend: tauri ? new TauriBackend() : new FakeBackend(),
    demo: !tauri,
    locale: loadSavedLocale(),
  },
});
