// The staff logins of the demo clinic chain the desk runs by default (crates/demo), for the sign-in hint.

import type { Role } from "../bindings/Role";

/** Every demo login has this password. */
export const DEMO_PASSWORD = "demo1234";

/** A few demo logins, one per kind of user, in the order the hint lists them. */
export const DEMO_ACCOUNTS: ReadonlyArray<{ login: string; role: Role }> = [
  { login: "front.bj01", role: "receptionist" },
  { login: "manager.bj01", role: "manager" },
  { login: "opto.bj02", role: "optometrist" },
  { login: "admin", role: "manager" },
];
