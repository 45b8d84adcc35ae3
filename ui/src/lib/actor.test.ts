import { describe, expect, test } from "vitest";
import { actorLabel } from "./actor";
import { translate } from "./i18n";

describe("who did it is shown in the reader's language", () => {
  test("a staff label shows the role and the name", () => {
    expect(actorLabel("optometrist:林雨桐", (k) => translate("zh-CN", k))).toBe("视光师 林雨桐");
    expect(actorLabel("receptionist:刘婷", (k) => translate("en", k))).toMatch(/刘婷$/);
  });

  test("a label without a kind, or of an unknown kind, is kept readable", () => {
    expect(actorLabel("林雨桐", (k) => translate("zh-CN", k))).toBe("林雨桐");
    expect(actorLabel("robot:R2", (k) => translate("zh-CN", k))).toBe("robot R2");
  });
});
