// The one interface the UI uses to reach the Rust core, and its Tauri implementation.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AppointmentDetail } from "../bindings/AppointmentDetail";
import type { BoardDay } from "../bindings/BoardDay";
import type { BookingOptions } from "../bindings/BookingOptions";
import type { InboxItem } from "../bindings/InboxItem";
import type { Outcome } from "../bindings/Outcome";
import type { PatientHit } from "../bindings/PatientHit";
import type { Session } from "../bindings/Session";
import type { DoctorWeek } from "../bindings/DoctorWeek";
import type { StoreSettings } from "../bindings/StoreSettings";
import type { EyeExamAmend } from "../bindings/EyeExamAmend";
import type { EyeExamRecord } from "../bindings/EyeExamRecord";
import type { EyeView } from "../bindings/EyeView";
import type { ExamAuditLine } from "../bindings/ExamAuditLine";
import type { PatientExamRow } from "../bindings/PatientExamRow";
import type { Printed } from "../bindings/Printed";
import type { RecallListView } from "../bindings/RecallListView";
import type { RecallOutcome } from "../bindings/RecallOutcome";
import type { TaskKind } from "../bindings/TaskKind";
import type { ConflictItem } from "../bindings/ConflictItem";
import type { SyncLine } from "../bindings/SyncLine";
import type { SyncView } from "../bindings/SyncView";
import type { Locale } from "./i18n";

/**
 * The error shape of every backend call, as the Rust side serialises it.
 * `message` is already in the user's language and says what to do; show it as is.
 */
export type BackendError = {
  code: string;
  message: string;
  /** The form field a refusal is about (`"od.sphere_cd"`, `"examined_at"`), when it is about one. */
  field?: string;
};

/** The code every command except the session ones rejects with when nobody is signed in. */
export const NOT_SIGNED_IN = "not_signed_in";

/** The domain commands the desk runs through `execute`, with their (snake_case, Rust struct) arguments. */
export type Commands = {
  "appointment.confirm@1": { appointment_id: string };
  "appointment.check_in@1": { appointment_id: string };
  "appointment.complete@1": { appointment_id: string };
  "appointment.no_show@1": { appointment_id: string };
  "appointment.undo_check_in@1": { appointment_id: string; reason: string };
  "appointment.cancel@1": { appointment_id: string; reason: string };
  "fee.charge@1": { fee_id: string; method: "cash" | "card" };
  "fee.refund_cash@1": { refund_id: string; fee_id: string; reason: string };
  "fee.request_refund@1": { fee_id: string };
  "fee.refund_manual@1": { refund_id: string; fee_id: string; reason: string };
  "cancel_request.approve@1": { request_id: string };
  "cancel_request.reject@1": { request_id: string; reason: string };
  "patient.create@1": {
    patient_id: string;
    name: string;
    sex: "female" | "male";
    birth_date: string;
    phone: string;
    guardian: { guardian_id: string; name: string; phone: string } | null;
    channel_code: string | null;
  };
  "booking.create@1": {
    appointment_id: string;
    store_id: string;
    doctor_id: string;
    department_id: string;
    patient_id: string;
    complaint_id: string | null;
    /** ISO UTC, from the chosen slot. */
    start: string;
    end: string;
    visit_type: string | null;
    source: "desk" | "phone" | "walk_in";
    /** Amount in integer fen; `paid_with` null: to be charged later. */
    fee: { fee_id: string; amount: number; paid_with: "cash" | "card" | null } | null;
  };
  "appointment.reschedule@1": {
    appointment_id: string;
    start: string;
    end: string;
    /** Another doctor of the same department; null keeps the doctor. */
    doctor_id: string | null;
  };
  /** The store's full doctor order; a doctor appended becomes listed. Manager only. */
  "store.set_doctor_order@1": { store_id: string; doctor_ids: string[] };
  /** Shown to or hidden from patients; never changes the order. Manager only. */
  "store.set_doctor_hidden@1": { store_id: string; doctor_id: string; hidden: boolean };
  /** Cancellation policy, visit-type mode and rules, capacity per slot (1–10). Manager only. */
  "store.update_settings@1": { store_id: string; settings: StoreSettings };
  /** A new eye exam (optometrist or manager of the exam's store). */
  "eye_exam.record@1": EyeExamRecord;
  /** A correction of a recorded exam, with its reason; the old values stay in the audit. */
  "eye_exam.amend@1": EyeExamAmend;
  /** What came of a recall task (a call, a message): kept as history; "unreachable" keeps it open. */
  "recall.record_outcome@1": {
    store_id: string;
    patient_id: string;
    kind: TaskKind;
    outcome: RecallOutcome;
    note: string | null;
  };
};

/** The printed documents; each is written to a file and can then be opened in the system viewer. */
export type PrintJob =
  | { kind: "parent_report"; patientId: string; reference: string | null }
  | { kind: "day_sheet"; storeId: string; date: string }
  /** `refund`: the refund's id or its slip number. */
  | { kind: "refund_slip"; refund: string };
export type CommandName = keyof Commands;

/** The Tauri event the Rust side emits with a {@link SyncView} whenever the sync state changes. */
export const SYNC_STATUS_EVENT = "sync-status";

export interface Backend {
  /**
   * The appointment board of one store on one day. `storeId` null: the user's default store;
   * `date` (YYYY-MM-DD in the store's time zone) null: the store's today.
   * Rejects with a {@link BackendError}.
   */
  boardDay(storeId: string | null, date: string | null): Promise<BoardDay>;

  /**
   * Signs a staff member in on this desk. Rejects with code `sign_in_failed` (wrong login or password)
   * or `too_many_attempts` (locked for a while; the message says how long).
   */
  signIn(login: string, password: string): Promise<Session>;

  /** Who is signed in on this desk, or null. */
  session(): Promise<Session | null>;

  signOut(): Promise<void>;

  /** The language the backend words its error messages in; sent at start and on every switch. */
  setLanguage(lang: Locale): Promise<void>;

  /** Everything the appointment panel shows, with the actions this user may take now. */
  appointmentDetail(appointmentId: string): Promise<AppointmentDetail>;

  /** Runs a domain command as the signed-in user. Rejects with a {@link BackendError} (e.g. `refund_first`). */
  execute<N extends CommandName>(name: N, args: Commands[N]): Promise<Outcome>;

  /** The store's open cancellation requests, oldest first. */
  cancellationInbox(storeId: string): Promise<InboxItem[]>;

  /**
   * What the booking dialog offers in a store on a day: complaints, departments, and (with `departmentId`)
   * the department's doctors with free slots in the store's doctor order, and how the visit type is set.
   */
  bookingOptions(storeId: string, date: string, departmentId: string | null): Promise<BookingOptions>;

  /** Patients matching a name, phone digits or pinyin initials. */
  searchPatients(query: string): Promise<PatientHit[]>;

  /** The store's settings (manager only). */
  storeSettings(storeId: string): Promise<StoreSettings>;

  /** Seven days of one doctor in a store from `from` (YYYY-MM-DD); null: this week's Monday. */
  doctorWeek(storeId: string, doctorId: string, from: string | null): Promise<DoctorWeek>;

  /** A patient's eye exams, newest first, with SER and axial change since the previous one. */
  patientExams(patientId: string): Promise<PatientExamRow[]>;

  /** Who recorded and amended an exam, when, why, and which values changed. */
  examAudit(examId: string): Promise<ExamAuditLine[]>;

  /** Both eyes' growth charts (SVG), per-exam percentiles and the summary; `reference` null: default for age. */
  eyeView(patientId: string, reference: string | null): Promise<EyeView>;

  /** Writes a PDF to `path`, or (null) to the documents folder; resolves with where it went. */
  print(job: PrintJob, path: string | null): Promise<Printed>;

  /** Opens a saved document in the system viewer (where it can be printed). */
  openDocument(path: string): Promise<void>;

  /** The native "save as" dialog; null when the user cancels. */
  chooseSavePath(defaultName: string): Promise<string | null>;

  /** Today's recall tasks of a store, with their outcomes and the store's thresholds. */
  recallList(storeId: string): Promise<RecallListView>;

  /** The sync indicator's state: server, online or not, pending commands, last sync, progress, clock skew. */
  syncStatus(): Promise<SyncView>;

  /** Syncs now; resolves with the state once the attempt ended (a failed attempt resolves too, with `lastError`). */
  syncNow(): Promise<SyncView>;

  /** This desk's latest `limit` commands (newest first), each with its outcome on the server. */
  syncDetails(limit: number): Promise<SyncLine[]>;

  /** The store's conflicts (commands the server rejected), open and resolved. */
  syncConflicts(storeId: string): Promise<ConflictItem[]>;

  /**
   * Registers this desk with a server (manager only); the device token stays in the OS keychain on the Rust side.
   * Rejects with `bad_server_url`, `server_unreachable`, `sign_in_failed` or `forbidden`.
   */
  serverConnect(url: string, login: string, password: string): Promise<SyncView>;

  /** Disconnects from the server; pending commands stay in the outbox and go out after reconnecting. */
  serverDisconnect(): Promise<SyncView>;

  /** Records how a conflict was resolved: "dismissed", "rebooked:<new appointment id>", "called" … */
  resolveConflict(id: string, how: string): Promise<void>;

  /** Calls back with the new state whenever it changes (event "sync-status"); returns the unsubscribe. */
  onSyncStatus(callback: (view: SyncView) => void): () => void;
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
  if (isBackendError(e)) {
    const field = (e as Record<string, unknown>).field;
    return typeof field === "string" ? { code: e.code, message: e.message, field } : { code: e.code, message: e.message };
  }
  return { code: "unexpected", message: "" };
}

/** Calls the Rust commands of the Tauri shell. */
export class TauriBackend implements Backend {
  boardDay(storeId: string | null, date: string | null): Promise<BoardDay> {
    return call<BoardDay>("board_day", { storeId, date });
  }

  signIn(login: string, password: string): Promise<Session> {
    return call<Session>("sign_in", { login, password });
  }

  session(): Promise<Session | null> {
    return call<Session | null>("session");
  }

  async signOut(): Promise<void> {
    await call<null>("sign_out");
  }

  async setLanguage(lang: Locale): Promise<void> {
    await call<null>("set_language", { lang });
  }

  appointmentDetail(appointmentId: string): Promise<AppointmentDetail> {
    return call<AppointmentDetail>("appointment_detail", { appointmentId });
  }

  execute<N extends CommandName>(name: N, args: Commands[N]): Promise<Outcome> {
    return call<Outcome>("execute", { name, args });
  }

  cancellationInbox(storeId: string): Promise<InboxItem[]> {
    return call<InboxItem[]>("cancellation_inbox", { storeId });
  }

  bookingOptions(storeId: string, date: string, departmentId: string | null): Promise<BookingOptions> {
    return call<BookingOptions>("booking_options", { storeId, date, departmentId });
  }

  searchPatients(query: string): Promise<PatientHit[]> {
    return call<PatientHit[]>("search_patients", { query });
  }

  storeSettings(storeId: string): Promise<StoreSettings> {
    return call<StoreSettings>("store_settings", { storeId });
  }

  doctorWeek(storeId: string, doctorId: string, from: string | null): Promise<DoctorWeek> {
    return call<DoctorWeek>("doctor_week", { storeId, doctorId, from });
  }

  patientExams(patientId: string): Promise<PatientExamRow[]> {
    return call<PatientExamRow[]>("patient_exams", { patientId });
  }

  examAudit(examId: string): Promise<ExamAuditLine[]> {
    return call<ExamAuditLine[]>("exam_audit", { examId });
  }

  eyeView(patientId: string, reference: string | null): Promise<EyeView> {
    return call<EyeView>("eye_view", { patientId, reference });
  }

  print(job: PrintJob, path: string | null): Promise<Printed> {
    switch (job.kind) {
      case "parent_report":
        return call<Printed>("print_parent_report", { patientId: job.patientId, reference: job.reference, path });
      case "day_sheet":
        return call<Printed>("print_day_sheet", { storeId: job.storeId, date: job.date, path });
      case "refund_slip":
        return call<Printed>("print_refund_slip", { refundId: job.refund, path });
    }
  }

  async openDocument(path: string): Promise<void> {
    await call<null>("open_document", { path });
  }

  chooseSavePath(defaultName: string): Promise<string | null> {
    return call<string | null>("choose_save_path", { defaultName });
  }

  recallList(storeId: string): Promise<RecallListView> {
    return call<RecallListView>("recall_list", { storeId });
  }

  syncStatus(): Promise<SyncView> {
    return call<SyncView>("sync_status");
  }

  syncNow(): Promise<SyncView> {
    return call<SyncView>("sync_now");
  }

  syncDetails(limit: number): Promise<SyncLine[]> {
    return call<SyncLine[]>("sync_details", { limit });
  }

  syncConflicts(storeId: string): Promise<ConflictItem[]> {
    return call<ConflictItem[]>("sync_conflicts", { storeId });
  }

  serverConnect(url: string, login: string, password: string): Promise<SyncView> {
    return call<SyncView>("server_connect", { url, login, password });
  }

  serverDisconnect(): Promise<SyncView> {
    return call<SyncView>("server_disconnect");
  }

  async resolveConflict(id: string, how: string): Promise<void> {
    await call<null>("resolve_conflict", { id, how });
  }

  onSyncStatus(callback: (view: SyncView) => void): () => void {
    let unlisten: UnlistenFn | null = null;
    let stopped = false;
    listen<SyncView>(SYNC_STATUS_EVENT, (event) => callback(event.payload)).then(
      (stop) => {
        if (stopped) stop();
        else unlisten = stop;
      },
      (e: unknown) => console.error(`listen ${SYNC_STATUS_EVENT} failed`, e),
    );
    return () => {
      stopped = true;
      unlisten?.();
    };
  }
}

async function call<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    // Not a {code, message} from our commands: an IPC or shell failure worth seeing in devtools.
    if (!isBackendError(e)) console.error(`${command} failed`, e);
    throw toBackendError(e);
  }
}

/**
 * Wraps a backend so that any call rejected with `not_signed_in` (the session ended on the Rust side)
 * also calls `onNotSignedIn`, which takes the UI back to the sign-in screen. The error is still thrown.
 */
export class SessionGuard implements Backend {
  readonly #inner: Backend;
  readonly #onNotSignedIn: () => void;

  constructor(inner: Backend, onNotSignedIn: () => void) {
    this.#inner = inner;
    this.#onNotSignedIn = onNotSignedIn;
  }

  boardDay(storeId: string | null, date: string | null): Promise<BoardDay> {
    return this.#guard(this.#inner.boardDay(storeId, date));
  }

  signIn(login: string, password: string): Promise<Session> {
    return this.#guard(this.#inner.signIn(login, password));
  }

  session(): Promise<Session | null> {
    return this.#guard(this.#inner.session());
  }

  signOut(): Promise<void> {
    return this.#guard(this.#inner.signOut());
  }

  setLanguage(lang: Locale): Promise<void> {
    return this.#guard(this.#inner.setLanguage(lang));
  }

  appointmentDetail(appointmentId: string): Promise<AppointmentDetail> {
    return this.#guard(this.#inner.appointmentDetail(appointmentId));
  }

  execute<N extends CommandName>(name: N, args: Commands[N]): Promise<Outcome> {
    return this.#guard(this.#inner.execute(name, args));
  }

  cancellationInbox(storeId: string): Promise<InboxItem[]> {
    return this.#guard(this.#inner.cancellationInbox(storeId));
  }

  bookingOptions(storeId: string, date: string, departmentId: string | null): Promise<BookingOptions> {
    return this.#guard(this.#inner.bookingOptions(storeId, date, departmentId));
  }

  searchPatients(query: string): Promise<PatientHit[]> {
    return this.#guard(this.#inner.searchPatients(query));
  }

  storeSettings(storeId: string): Promise<StoreSettings> {
    return this.#guard(this.#inner.storeSettings(storeId));
  }

  doctorWeek(storeId: string, doctorId: string, from: string | null): Promise<DoctorWeek> {
    return this.#guard(this.#inner.doctorWeek(storeId, doctorId, from));
  }

  patientExams(patientId: string): Promise<PatientExamRow[]> {
    return this.#guard(this.#inner.patientExams(patientId));
  }

  examAudit(examId: string): Promise<ExamAuditLine[]> {
    return this.#guard(this.#inner.examAudit(examId));
  }

  eyeView(patientId: string, reference: string | null): Promise<EyeView> {
    return this.#guard(this.#inner.eyeView(patientId, reference));
  }

  print(job: PrintJob, path: string | null): Promise<Printed> {
    return this.#guard(this.#inner.print(job, path));
  }

  openDocument(path: string): Promise<void> {
    return this.#guard(this.#inner.openDocument(path));
  }

  chooseSavePath(defaultName: string): Promise<string | null> {
    return this.#guard(this.#inner.chooseSavePath(defaultName));
  }

  recallList(storeId: string): Promise<RecallListView> {
    return this.#guard(this.#inner.recallList(storeId));
  }

  syncStatus(): Promise<SyncView> {
    return this.#guard(this.#inner.syncStatus());
  }

  syncNow(): Promise<SyncView> {
    return this.#guard(this.#inner.syncNow());
  }

  syncDetails(limit: number): Promise<SyncLine[]> {
    return this.#guard(this.#inner.syncDetails(limit));
  }

  syncConflicts(storeId: string): Promise<ConflictItem[]> {
    return this.#guard(this.#inner.syncConflicts(storeId));
  }

  serverConnect(url: string, login: string, password: string): Promise<SyncView> {
    return this.#guard(this.#inner.serverConnect(url, login, password));
  }

  serverDisconnect(): Promise<SyncView> {
    return this.#guard(this.#inner.serverDisconnect());
  }

  resolveConflict(id: string, how: string): Promise<void> {
    return this.#guard(this.#inner.resolveConflict(id, how));
  }

  /** Not a call: an event subscription, passed through as is. */
  onSyncStatus(callback: (view: SyncView) => void): () => void {
    return this.#inner.onSyncStatus(callback);
  }

  async #guard<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (e) {
      if (isBackendError(e) && e.code === NOT_SIGNED_IN) this.#onNotSignedIn();
      throw e;
    }
  }
}

/** True inside the Tauri webview, where the IPC bridge is injected. */
export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}
