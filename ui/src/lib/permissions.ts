// What the signed-in staff member may do. The backend decides (Session.permissions) and checks again
// on every command; the UI only uses this to offer no action the session does not permit.

import type { Role } from "../bindings/Role";
import type { Session } from "../bindings/Session";

/** Every permission the backend knows, spelled as it sends them (Rust `Permission::as_str`). */
export const PERMISSIONS = [
  "view_board",
  "register_patient",
  "book_appointment",
  "manage_appointment",
  "undo_check_in",
  "charge_fee",
  "refund_fee",
  "handle_cancellation_requests",
  "edit_doctor_order",
  "edit_store_settings",
  "view_clinical",
  "edit_clinical",
  "view_reports",
  "resolve_conflicts",
  "edit_recall_thresholds",
  "work_recall_list",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/**
 * True when `session` holds `permission`. No session holds nothing. Only the list the backend sent
 * counts, never the role name: the backend's matrix may change without the UI.
 */
export function can(session: Session | null | undefined, permission: Permission): boolean {
  return session?.permissions.includes(permission) ?? false;
}

/** True when `session` may work in the store `storeId`. */
export function worksIn(session: Session | null | undefined, storeId: string): boolean {
  return session?.stores.some((s) => s.id === storeId) ?? false;
}

/**
 * The role matrix of DOMAIN.md §1 as the Rust core has it (`role_allows`). Only the fake backend uses it
 * to build its sessions; the real UI reads `Session.permissions`.
 */
export function rolePermissions(role: Role): Permission[] {
  switch (role) {
    case "manager":
      return [...PERMISSIONS];
    case "receptionist":
      return [
        "view_board",
        "register_patient",
        "book_appointment",
        "manage_appointment",
        "charge_fee",
        "refund_fee",
        "handle_cancellation_requests",
        "work_recall_list",
      ];
    case "optometrist":
      return ["view_board", "manage_appointment", "view_clinical", "edit_clinical", "work_recall_list"];
  }
}
