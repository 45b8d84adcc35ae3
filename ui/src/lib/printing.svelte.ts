// Printing from any screen: the PDF is written to the documents folder and opened in the system
// viewer (where the print dialog is), or written where the user chooses with "save as".

import type { Printed } from "../bindings/Printed";
import { toBackendError, type Backend, type BackendError, type PrintJob } from "./backend";

/** The file name a job suggests in the save dialog: the name printing gives the same document
 *  (`clinicdesk_print::file_name`: kind, who, date), so both land under one name. */
export function suggestedName(job: PrintJob, who: string, today: string): string {
  const safe = who.replace(/[\\/:*?"<>|\s]+/g, "_").replace(/^_+|_+$/g, "");
  switch (job.kind) {
    case "parent_report":
      return `parent-report-${safe || job.patientId}-${today}.pdf`;
    case "day_sheet":
      return `day-sheet-${safe || job.storeId}-${job.date}.pdf`;
    case "refund_slip":
      return `refund-slip-${safe || job.refund}-${today}.pdf`;
  }
}

/** This machine's calendar date, YYYY-MM-DD. */
export function localIsoDate(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export type PrintStatus =
  | { kind: "idle" }
  | { kind: "busy" }
  /** Written; `opened` false when the viewer could not be started (the message says where the file is). */
  | { kind: "done"; printed: Printed; opened: boolean; openError: BackendError | null }
  | { kind: "failed"; error: BackendError };

export class Printer {
  status = $state<PrintStatus>({ kind: "idle" });
  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  get busy(): boolean {
    return this.status.kind === "busy";
  }

  /** Print: write to the documents folder, then open it in the system viewer. */
  async print(job: PrintJob): Promise<void> {
    if (this.busy) return;
    this.status = { kind: "busy" };
    let printed: Printed;
    try {
      printed = await this.#backend.print(job, null);
    } catch (e) {
      this.status = { kind: "failed", error: toBackendError(e) };
      return;
    }
    await this.#open(printed);
  }

  /** Save as: the user picks the file; nothing is opened. */
  async saveAs(job: PrintJob, who: string): Promise<void> {
    if (this.busy) return;
    this.status = { kind: "busy" };
    try {
      const path = await this.#backend.chooseSavePath(suggestedName(job, who, localIsoDate(new Date())));
      if (path === null) {
        this.status = { kind: "idle" };
        return;
      }
      const printed = await this.#backend.print(job, path);
      this.status = { kind: "done", printed, opened: false, openError: null };
    } catch (e) {
      this.status = { kind: "failed", error: toBackendError(e) };
    }
  }

  /** Open the last written file again. */
  async reopen(): Promise<void> {
    if (this.status.kind === "done") await this.#open(this.status.printed);
  }

  dismiss(): void {
    if (!this.busy) this.status = { kind: "idle" };
  }

  async #open(printed: Printed): Promise<void> {
    try {
      await this.#backend.openDocument(printed.path);
      this.status = { kind: "done", printed, opened: true, openError: null };
    } catch (e) {
      this.status = { kind: "done", printed, opened: false, openError: toBackendError(e) };
    }
  }
}
