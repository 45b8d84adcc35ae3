// The one interface the UI uses to reach the Rust core, and its Tauri implementation.

import { invoke } from "@tauri-apps/api/core";
import type { BoardDay } from "../bindings/BoardDay";

/**
 * The error shape of every backend call, as the Rust side serialises it.
 * `message` is already in the user's language and says what to do; show it as is.
 */
export type BackendError = { code: string; message: string };

export interface Backend {
  /**
   * The appointment board of one store on one day. `storeId` null: the user's default store;
   * `date` (YYYY-MM-DD in the store's time zone) null: the store's today.
   * Rejects with a {@link BackendError}.
   */
  boardDay(storeId: string | null, date: string | null): Promise<BoardDay>;
}

export function isBackendError(e: unknown): e is BackendError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as Record<string, unknown>).code === "string" &&
    typeof (e as Record<string, unknown>).message === "string"
  );
}

/**
 * Turns whatever a call rejected with into a BackendError. Anything not shaped like one (an IPC
 * failure, a bug) gets code "unexpected" and an empty message, so the UI shows its own text.
 */
export function toBackendError(e: unknown): BackendError {
  if (isBackendError(e)) return { code: e.code, message: e.message };
  return { code: "unexpected", message: "" };
}

/** Calls the Rust commands of the Tauri shell. */
export class TauriBackend implements Backend {
  async boardDay(storeId: string | null, date: string | null): Promise<BoardDay> {
    try {
      return await invoke<BoardDay>("board_day", { storeId, date });
    } catch (e) {
      // Not a {code, message} from our commands: an IPC or shell failure worth seeing in devtools.
      if (!isBackendError(e)) console.error("board_day failed", e);
      throw toBackendError(e);
    }
  }
}

/** True inside the Tauri webview, where the IPC bridge is injected. */
export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}
