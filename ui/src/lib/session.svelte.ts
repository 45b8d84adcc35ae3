// Who is signed in on this desk, as reactive state: the sign-in screen shows while `session` is null.

import type { Session } from "../bindings/Session";
import { toBackendError, type Backend, type BackendError } from "./backend";

export class SessionState {
  /** The signed-in staff member; null shows the sign-in screen. Replaced whole, never edited. */
  session = $state.raw<Session | null>(null);
  /** True until the backend has said whether someone is still signed in from before. */
  starting = $state(true);
  signingIn = $state(false);
  /** Why the last sign-in (or the start) failed, in the backend's words. */
  error = $state<BackendError | null>(null);
  /** The session ended on the backend's side (a command answered `not_signed_in`), not by signing out. */
  expired = $state(false);

  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** Asks the backend who is signed in (a reload of the window keeps the session). */
  async start(): Promise<void> {
    try {
      this.session = await this.#backend.session();
    } catch (e) {
      this.error = toBackendError(e);
    } finally {
      this.starting = false;
    }
  }

  /** Signs in; false (and `error` set) when the backend refused. Ignored while a sign-in is running. */
  async signIn(login: string, password: string): Promise<boolean> {
    if (this.signingIn) return false;
    this.signingIn = true;
    this.error = null;
    try {
      this.session = await this.#backend.signIn(login, password);
      this.expired = false;
      return true;
    } catch (e) {
      this.error = toBackendError(e);
      return false;
    } finally {
      this.signingIn = false;
    }
  }

  /**
   * Back to the sign-in screen at once; the desk is shared, so the screen never waits for the backend.
   * If the backend fails to end its session, the failure is logged and the next start finds it again.
   */
  async signOut(): Promise<void> {
    this.session = null;
    this.expired = false;
    this.error = null;
    try {
      await this.#backend.signOut();
    } catch (e) {
      console.error("sign_out failed", e);
    }
  }

  /** A command answered `not_signed_in`: show the sign-in screen and say why. */
  lost(): void {
    if (!this.session) return;
    this.session = null;
    this.expired = true;
    this.error = null;
  }
}
