// Full screen for presentation mode: the Tauri window itself when running in the app, else the page.

import { inTauri } from "./backend";

export async function setFullscreen(on: boolean): Promise<void> {
  try {
    if (inTauri()) {
      const { getCurrentWindow } = await import("@tauri-apps/api/window");
      await getCurrentWindow().setFullscreen(on);
    } else if (typeof document !== "undefined" && document.documentElement.requestFullscreen) {
      if (on && !document.fullscreenElement) await document.documentElement.requestFullscreen();
      else if (!on && document.fullscreenElement) await document.exitFullscreen();
    }
  } catch {
    // Not allowed here (a browser without a user gesture, a test DOM): the overlay still covers the window.
  }
}
