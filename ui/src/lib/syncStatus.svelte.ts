// This desk's sync state as reactive state: the last SyncView (fetched at start, then pushed by "sync-status"),
// and "sync now" from the UI. The desk reacts to changes through the callback given to `start`.

import type { SyncView } from "../bindings/SyncView";
import { toBackendError, type Backend, type BackendError } from "./backend";

export class SyncStatus {
  /** The latest state; null until the first answer. */
  view = $state.raw<SyncView | null>(null);
  /** A "sync now" of this window is running. */
  busy = $state(false);
  /** Why the last call from this window failed (a failed sync attempt itself resolves, with `lastError`). */
  error = $state<BackendError | null>(null);

  readonly #backend: Pick<Backend, "syncStatus" | "syncNow" | "onSyncStatus">;
  #onchange: (prev: SyncView | null, next: SyncView) => void = () => {};
  #fetch = 0;

  constructor(backend: Pick<Backend, "syncStatus" | "syncNow" | "onSyncStatus">) {
    this.#backend = backend;
  }

  /** Subscribes to the pushed state and fetches the current one; returns the unsubscribe. */
  start(onchange: (prev: SyncView | null, next: SyncView) => void = () => {}): () => void {
    this.#onchange = onchange;
    const stop = this.#backend.onSyncStatus((view) => {
      this.#fetch++; // a pushed state is newer than an answer still on its way
      this.set(view);
    });
    const request = ++this.#fetch;
    this.#backend.syncStatus().then(
      (view) => {
        if (request === this.#fetch) this.set(view);
      },
      (e: unknown) => (this.error = toBackendError(e)),
    );
    return stop;
  }

  /** Takes a state the backend answered or pushed. */
  set(view: SyncView): void {
    const prev = this.view;
    this.view = view;
    this.#onchange(prev, view);
  }

  async syncNow(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.error = null;
    try {
      this.set(await this.#backend.syncNow());
    } catch (e) {
      this.error = toBackendError(e);
    } finally {
      this.busy = false;
    }
  }
}
