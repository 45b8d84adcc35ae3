// Who did something, as the core labels it ("optometrist:林雨桐", "patient:…", "server:…"), for people.

import { isMessageKey, type MessageKey } from "./i18n";

/** "optometrist:林雨桐" → "视光师 林雨桐" in the UI's language; a label without a kind stays as it is. */
export function actorLabel(actor: string, t: (key: MessageKey) => string): string {
  const at = actor.indexOf(":");
  if (at < 0) return actor;
  const kind = actor.slice(0, at);
  const name = actor.slice(at + 1);
  const key = `role.${kind}`;
  const other = `actor.${kind}`;
  const label = isMessageKey(key) ? t(key) : isMessageKey(other) ? t(other) : kind;
  return `${label} ${name}`;
}
