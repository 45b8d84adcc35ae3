// An in-memory model of this desk's sync (SYNC.md) for the FakeBackend: an outbox of the commands run here, a
// pretend server that acknowledges them (or rejects a booking whose slot it has given to another desk), the
// store's conflict inbox, and the indicator's state, pushed to subscribers on every change. It is "local only"
// until a manager connects it to a server; tests can put it offline, show a long sync's progress, skew the clock,
// halt it, and make the server reject a booking.

import type { ApiError } from "../bindings/ApiError";
import type { ConflictBooking } from "../bindings/ConflictBooking";
import type { ConflictItem } from "../bindings/ConflictItem";
import type { ConflictSide } from "../bindings/ConflictSide";
import type { Session } from "../bindings/Session";
import type { SyncLine } from "../bindings/SyncLine";
import type { SyncProgress } from "../bindings/SyncProgress";
import type { SyncView } from "../bindings/SyncView";
import type { CommandName, Commands } from "./backend";
import type { Locale } from "./i18n";
import { can, worksIn } from "./permissions";

const MESSAGES: Record<Locale, Record<string, string>> = {
  "zh-CN": {
    server_unreachable: "无法连接服务器，请检查网络。操作会保存在本机，联网后自动同步。",
    bad_server_url: "服务器地址无效，请填写以 https:// 开头的完整地址。",
    sign_in_failed: "服务器上的账号或密码不正确。",
    forbidden: "只有店长可以连接服务器。",
    forbidden_resolve: "你的账号没有权限处理同步冲突。",
    not_found: "找不到这个冲突，请刷新后再试。",
    already_resolved: "这个冲突已经处理过了。",
    slot_conflict: "该时段已被其他前台的预约占用。",
    protocol_error: "服务器报告了协议错误（操作编号重复），同步已停止。",
  },
  "zh-TW": {
    server_unreachable: "無法連線伺服器，請檢查網路。操作會儲存在本機，連網後自動同步。",
    bad_server_url: "伺服器位址無效，請填寫以 https:// 開頭的完整位址。",
    sign_in_failed: "伺服器上的帳號或密碼不正確。",
    forbidden: "只有店長可以連線伺服器。",
    forbidden_resolve: "你的帳號沒有權限處理同步衝突。",
    not_found: "找不到這個衝突，請重新整理後再試。",
    already_resolved: "這個衝突已經處理過了。",
    slot_conflict: "該時段已被其他櫃台的預約佔用。",
    protocol_error: "伺服器回報了協定錯誤（操作編號重複），同步已停止。",
  },
  en: {
    server_unreachable: "The server cannot be reached; check the network. Changes are kept here and sync once online.",
    bad_server_url: "The server address is not valid; enter the full address starting with https://.",
    sign_in_failed: "The login or password on the server is not correct.",
    forbidden: "Only a manager can connect the server.",
    forbidden_resolve: "Your account is not allowed to resolve sync conflicts.",
    not_found: "This conflict was not found. Refresh and try again.",
    already_resolved: "This conflict was already resolved.",
    slot_conflict: "Another desk's booking holds this slot.",
    protocol_error: "The server reported a protocol error (a reused change id); syncing stopped.",
  },
};

/** What the fake sync needs from the FakeBackend's appointments. */
export type FakeSyncHooks = {
  /** An appointment as a conflict shows it (this desk's label added by the fake), or null. */
  side(appointmentId: string): Omit<ConflictSide, "deskLabel"> | null;
  /** The server acknowledged this desk's commands: pending cards become confirmed. */
  acknowledged(): void;
  /** A booking was rejected, or is predicted to be: its card needs attention. */
  attention(appointmentId: string): void;
  /** A conflict about `appointmentId` was resolved `how` ("reinstated" keeps the appointment). */
  resolved(appointmentId: string, how: string): void;
  /** The demo: an appointment of the store's generated board that holds its slot, with its doctor and department. */
  demoSlot?(storeId: string): { side: Omit<ConflictSide, "deskLabel">; doctorId: string; departmentId: string } | null;
};

export type FakeSyncOptions = {
  /** Milliseconds since the epoch. */
  clock: () => number;
  lang: () => Locale;
  hooks: FakeSyncHooks;
  /** The store this desk stands in (its conflicts count in the indicator). */
  deskStoreId: string;
  /** This desk's name as other desks see it. */
  deskLabel?: string;
  /** This desk's number (`D` + six hex digits), shown in the sync panel. */
  deviceCode?: string;
  /** Milliseconds between the steps of a long sync (the first one); 0: every sync completes at once. */
  stepMs?: number;
  /** The demo: the first sync brings in a conflict from another desk. */
  demo?: boolean;
};

type Entry = { line: SyncLine; storeId: string | null; appointmentId: string | null; booking: ConflictBooking | null; rejectAs: string | null };

/** A server the fake "finds": any http(s) address (other schemes, or no host, are `bad_server_url`). */
function normalizeUrl(url: string): string | null {
  try {
    const u = new URL(url.trim());
    if ((u.protocol !== "https:" && u.protocol !== "http:") || !u.hostname) return null;
    return u.toString().replace(/\/$/, "");
  } catch {
    return null;
  }
}

export class FakeSync {
  readonly #o: FakeSyncOptions;
  #serverUrl: string | null = null;
  #signedInAs: string | null = null;
  #network = true;
  #halted = false;
  #syncing = false;
  #progress: SyncProgress | null = null;
  #lastSyncAt: string | null = null;
  #lastError: string | null = null;
  #clockSkewSecs: number | null = null;
  /** What the server would say about the desk's clock once connected. */
  #serverSkewSecs = 0;
  #demoSeeded = false;
  readonly #outbox: Entry[] = [];
  readonly #conflicts: ConflictItem[] = [];
  readonly #attention = new Set<string>();
  readonly #listeners = new Set<(view: SyncView) => void>();
  #conflictSeq = 0;

  constructor(options: FakeSyncOptions) {
    this.#o = options;
  }

  #now(): string {
    return new Date(this.#o.clock()).toISOString();
  }

  #text(code: string): string {
    return MESSAGES[this.#o.lang()][code] ?? "";
  }

  #error(code: string): ApiError {
    return { code, message: this.#text(code) };
  }

  view(): SyncView {
    const state = this.#halted
      ? "halted"
      : this.#serverUrl === null
        ? "local_only"
        : this.#syncing
          ? "syncing"
          : this.#network
            ? "online"
            : "offline";
    return {
      serverUrl: this.#serverUrl,
      signedInAs: this.#signedInAs,
      state,
      pending: this.#outbox.filter((e) => e.line.status === "pending").length,
      attention: this.#attention.size,
      openConflicts: this.#conflicts.filter((c) => c.storeId === this.#o.deskStoreId && c.resolved === null).length,
      lastSyncAt: this.#lastSyncAt,
      lastError: this.#lastError === null ? null : this.#error(this.#lastError),
      progress: this.#progress && { ...this.#progress },
      clockSkewSecs: this.#serverUrl === null ? null : this.#clockSkewSecs,
      deviceCode: this.#o.deviceCode ?? null,
    };
  }

  subscribe(callback: (view: SyncView) => void): () => void {
    this.#listeners.add(callback);
    return () => this.#listeners.delete(callback);
  }

  #emit(): void {
    for (const callback of [...this.#listeners]) callback(this.view());
  }

  /** A command ran on this desk: it waits in the outbox. */
  record<N extends CommandName>(name: N, args: Commands[N], actorName: string, deviceSeq: number): void {
    let storeId: string | null = null;
    let appointmentId: string | null = null;
    let booking: ConflictBooking | null = null;
    if (name === "booking.create@1") {
      const b = args as Commands["booking.create@1"];
      storeId = b.store_id;
      appointmentId = b.appointment_id;
      booking = {
        patientId: b.patient_id,
        doctorId: b.doctor_id,
        departmentId: b.department_id,
        complaintId: b.complaint_id,
        start: b.start,
        end: b.end,
        visitType: b.visit_type,
        fee: b.fee && { amount: b.fee.amount, paidWith: b.fee.paid_with },
      };
    }
    const line: SyncLine = {
      deviceSeq,
      name,
      createdAt: this.#now(),
      actorName,
      status: "pending",
      code: null,
      message: null,
      predicted: null,
    };
    this.#outbox.unshift({ line, storeId, appointmentId, booking, rejectAs: null });
    this.#emit();
  }

  details(limit: number): SyncLine[] {
    return this.#outbox.slice(0, Math.max(0, limit)).map((e) => ({
      ...e.line,
      message: e.line.code === null ? e.line.message : this.#text(e.line.code) || e.line.message,
    }));
  }

  conflicts(storeId: string): ConflictItem[] {
    return this.#conflicts
      .filter((c) => c.storeId === storeId)
      .map((c) => ({
        ...c,
        message: this.#text(c.code) || c.message,
        ours: c.ours && { ...c.ours },
        theirs: c.theirs.map((t) => ({ ...t })),
        booking: c.booking && { ...c.booking, fee: c.booking.fee && { ...c.booking.fee } },
        fixes: [...c.fixes],
        refundFeeId: c.refundFeeId,
        resolved: c.resolved && { ...c.resolved },
      }));
  }

  /** Registers the desk with a server: `account` is who signed in there (null: wrong login or password). */
  async connect(session: Session, url: string, account: Session | null): Promise<SyncView> {
    if (!can(session, "edit_store_settings")) throw this.#error("forbidden");
    const normalized = normalizeUrl(url);
    if (normalized === null) throw this.#error("bad_server_url");
    if (!this.#network) throw this.#error("server_unreachable");
    if (!account) throw this.#error("sign_in_failed");
    if (!can(account, "edit_store_settings")) throw this.#error("forbidden");
    this.#serverUrl = normalized;
    this.#signedInAs = account.name;
    this.#clockSkewSecs = this.#serverSkewSecs;
    this.#lastError = null;
    this.#emit();
    return this.syncNow(this.#lastSyncAt === null ? "snapshot" : "push");
  }

  async disconnect(session: Session): Promise<SyncView> {
    if (!can(session, "edit_store_settings")) throw this.#error("forbidden");
    this.#serverUrl = null;
    this.#signedInAs = null;
    this.#clockSkewSecs = null;
    this.#lastError = null;
    this.#progress = null;
    this.#syncing = false;
    this.#emit();
    return this.view();
  }

  /** One sync attempt; resolves with the state once it ended (offline: with `lastError`). */
  async syncNow(first: "snapshot" | "push" = "push"): Promise<SyncView> {
    if (this.#serverUrl === null || this.#halted || this.#syncing) return this.view();
    if (!this.#network) {
      this.#lastError = "server_unreachable";
      this.#emit();
      return this.view();
    }
    const pending = this.#outbox.filter((e) => e.line.status === "pending");
    if ((this.#o.stepMs ?? 0) > 0) {
      this.#syncing = true;
      if (first === "snapshot") await this.#steps("snapshot", 1200, 200);
      if (pending.length > 0) await this.#steps("push", pending.length, 1);
      await this.#steps("pull", null, 40);
      this.#syncing = false;
      this.#progress = null;
      if (this.#serverUrl === null || !this.#network) {
        this.#lastError = this.#serverUrl === null ? null : "server_unreachable";
        this.#emit();
        return this.view();
      }
    }
    for (const entry of pending) {
      if (entry.rejectAs) this.#reject(entry, entry.rejectAs);
      else entry.line.status = "applied";
    }
    if (this.#o.demo && !this.#demoSeeded) this.#seedDemo();
    this.#o.hooks.acknowledged();
    // Each successful sync has its own time, even on a test's frozen clock.
    const last = this.#lastSyncAt === null ? -Infinity : Date.parse(this.#lastSyncAt);
    this.#lastSyncAt = new Date(Math.max(this.#o.clock(), last + 1)).toISOString();
    this.#lastError = null;
    this.#emit();
    return this.view();
  }

  async #steps(phase: SyncProgress["phase"], total: number | null, step: number): Promise<void> {
    const end = total ?? 3 * step;
    for (let done = 0; done < end; done = Math.min(end, done + step)) {
      this.#progress = { phase, done, total };
      this.#emit();
      await new Promise((resolve) => setTimeout(resolve, this.#o.stepMs));
    }
  }

  #reject(entry: Entry, code: string): void {
    const at = this.#now();
    entry.line.status = "rejected";
    entry.line.code = code;
    entry.line.message = this.#text(code);
    entry.line.predicted = null;
    if (entry.storeId === null) return;
    const ours = entry.appointmentId ? this.#o.hooks.side(entry.appointmentId) : null;
    const deskLabel = this.#o.deskLabel ?? "前台1";
    const ourSide = ours && { ...ours, deskLabel };
    this.#conflictSeq += 1;
    this.#conflicts.push({
      id: `conflict-${this.#conflictSeq}`,
      storeId: entry.storeId,
      commandName: entry.line.name,
      code,
      message: this.#text(code),
      createdAt: entry.line.createdAt,
      rejectedAt: at,
      deskLabel,
      actorName: entry.line.actorName,
      ours: ourSide,
      theirs: ourSide ? [theirsFor(ourSide, this.#conflictSeq)] : [],
      booking: entry.booking,
      fixes: entry.booking ? bookingFixes(ourSide) : ["dismiss"],
      refundFeeId: null,
      resolved: null,
    });
    if (entry.appointmentId) {
      this.#attention.add(entry.appointmentId);
      this.#o.hooks.attention(entry.appointmentId);
    }
  }

  /** The demo: another desk of the store booked a slot offline that the server had given away. */
  #seedDemo(): void {
    this.#demoSeeded = true;
    const slot = this.#o.hooks.demoSlot?.(this.#o.deskStoreId);
    if (!slot) return;
    const at = Date.parse(this.#now());
    const ours: ConflictSide = {
      appointmentId: "demo-conflict-1",
      patientName: "李雨桐",
      patientPhone: "13900139002",
      doctorName: slot.side.doctorName,
      departmentName: slot.side.departmentName,
      start: slot.side.start,
      end: slot.side.end,
      deskLabel: "前台2",
    };
    this.#conflictSeq += 1;
    this.#conflicts.push({
      id: `conflict-${this.#conflictSeq}`,
      storeId: this.#o.deskStoreId,
      commandName: "booking.create@1",
      code: "slot_conflict",
      message: this.#text("slot_conflict"),
      createdAt: new Date(at - 3 * 3_600_000).toISOString(),
      rejectedAt: new Date(at - 5 * 60_000).toISOString(),
      deskLabel: "前台2",
      actorName: "王芳",
      ours,
      theirs: [{ ...slot.side, deskLabel: "患者小程序" }],
      booking: {
        patientId: "patient-demo-2",
        doctorId: slot.doctorId,
        departmentId: slot.departmentId,
        complaintId: null,
        start: slot.side.start,
        end: slot.side.end,
        visitType: null,
        fee: { amount: 2500, paidWith: "cash" },
      },
      fixes: ["next_free_slot", "other_doctor", "hand_back_cash", "call_patient", "dismiss"],
      refundFeeId: null,
      resolved: null,
    });
  }

  async resolve(session: Session, id: string, how: string): Promise<void> {
    const item = this.#conflicts.find((c) => c.id === id);
    if (!item || !worksIn(session, item.storeId)) throw this.#error("not_found");
    if (!["book_appointment", "refund_fee", "resolve_conflicts"].some((p) => session.permissions.includes(p))) {
      throw { code: "forbidden", message: this.#text("forbidden_resolve") };
    }
    if (item.resolved) throw this.#error("already_resolved");
    item.resolved = { by: session.name, how, at: this.#now() };
    if (item.ours) {
      this.#attention.delete(item.ours.appointmentId);
      this.#o.hooks.resolved(item.ours.appointmentId, how);
    }
    this.#emit();
  }

  // ---- test and demo hooks -------------------------------------------------------------------------------

  /** The network comes or goes; losing it shows "offline" at once, coming back waits for the next sync. */
  setOnline(online: boolean): void {
    this.#network = online;
    if (!online && this.#serverUrl !== null) this.#lastError = "server_unreachable";
    this.#emit();
  }

  /** Shows a long sync in progress (null: the sync is over). */
  setProgress(progress: SyncProgress | null): void {
    this.#syncing = progress !== null;
    this.#progress = progress && { ...progress };
    this.#emit();
  }

  /** This desk's clock minus the server's, as the server reports it (once connected). */
  setClockSkew(secs: number): void {
    this.#serverSkewSecs = secs;
    if (this.#serverUrl !== null) this.#clockSkewSecs = secs;
    this.#emit();
  }

  /** The server reported a protocol error: syncing stops, nothing is deleted. */
  halt(): void {
    this.#halted = true;
    this.#lastError = "protocol_error";
    this.#emit();
  }

  /**
   * The server has given the slot of this desk's pending booking `appointmentId` to another desk: the desk
   * predicts the rejection at once (the card needs attention), and the next sync is rejected with slot_conflict.
   */
  conflictOnNextSync(appointmentId: string): void {
    const entry = this.#outbox.find((e) => e.appointmentId === appointmentId && e.line.status === "pending");
    if (!entry) throw new Error(`no pending booking ${appointmentId} in the fake outbox`);
    entry.rejectAs = "slot_conflict";
    entry.line.predicted = "slot_conflict";
    this.#attention.add(appointmentId);
    this.#o.hooks.attention(appointmentId);
    this.#emit();
  }

  /** Adds a conflict as the server would send it (any kind, e.g. a refund only the server may make). */
  addConflict(item: ConflictItem): void {
    this.#conflicts.push(JSON.parse(JSON.stringify(item)) as ConflictItem);
    this.#emit();
  }
}

/** The fixes of a rejected booking: book again, call when there is a phone, or dismiss. */
function bookingFixes(ours: ConflictSide | null): string[] {
  return ["next_free_slot", "other_doctor", ...(ours?.patientPhone ? ["call_patient"] : []), "dismiss"];
}

const OTHER_PATIENTS = [
  { name: "周思远", phone: "13700137011" },
  { name: "郑佳怡", phone: "13600136012" },
  { name: "梁国平", phone: "13500135013" },
];

/** What the pretend server holds in the slot: another desk's booking of the same doctor and time. */
function theirsFor(ours: ConflictSide, n: number): ConflictSide {
  const other = OTHER_PATIENTS[n % OTHER_PATIENTS.length]!;
  return { ...ours, appointmentId: `server-appt-${n}`, patientName: other.name, patientPhone: other.phone, deskLabel: "前台2" };
}
