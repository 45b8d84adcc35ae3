import { describe, expect, test } from "vitest";
import type { VisitTypeRule } from "../bindings/VisitTypeRule";
import { checkRules, covers, hasPreviousOf, moveRule, newRule, previousChoice, removeRule } from "./visitRules";

const options = {
  complaints: [
    { id: "cc-tooth", name: "牙痛", departmentIds: ["dep-dental"] },
    { id: "cc-vision", name: "视力下降", departmentIds: ["dep-eye"] },
  ],
  departments: [
    { id: "dep-dental", name: "口腔科" },
    { id: "dep-eye", name: "眼科" },
  ],
  visitTypes: ["first", "return", "exam"],
};
const rule = (r: Partial<VisitTypeRule>): VisitTypeRule => ({ ...newRule(), visit_type: "exam", ...r });

describe("previous-visit condition", () => {
  test("any / first visit only / been before map to null / false / true and back", () => {
    for (const choice of ["any", "first", "return"] as const) expect(previousChoice({ has_previous_visit: hasPreviousOf(choice) })).toBe(choice);
    expect(hasPreviousOf("first")).toBe(false);
  });
});

describe("editing the list", () => {
  test("a rule moves one place up or down, and not past either end", () => {
    expect(moveRule(["a", "b", "c"], 1, -1)).toEqual(["b", "a", "c"]);
    expect(moveRule(["a", "b", "c"], 1, 1)).toEqual(["a", "c", "b"]);
    expect(moveRule(["a", "b", "c"], 0, -1)).toEqual(["a", "b", "c"]);
    expect(moveRule(["a", "b", "c"], 2, 1)).toEqual(["a", "b", "c"]);
  });
  test("removing a rule keeps the others in order", () => {
    expect(removeRule(["a", "b", "c"], 1)).toEqual(["a", "c"]);
  });
});

describe("checkRules", () => {
  test("a valid list has no problems", () => {
    const rules = [
      rule({ complaint_id: "cc-tooth", department_id: "dep-dental", visit_type: "exam" }),
      rule({ department_id: "dep-eye", has_previous_visit: true, visit_type: "return" }),
    ];
    expect(checkRules(rules, options)).toEqual([]);
  });
  test("a rule needs a visit type, and one the chain knows", () => {
    expect(checkRules([rule({ department_id: "dep-dental", visit_type: "" }), rule({ department_id: "dep-eye", visit_type: "ortho" })], options)).toEqual([
      { index: 0, field: "visitType", problem: "missing" },
      { index: 1, field: "visitType", problem: "unknown" },
    ]);
  });
  test("a complaint the chosen department does not treat never matches a booking", () => {
    expect(checkRules([rule({ complaint_id: "cc-vision", department_id: "dep-dental" })], options)).toEqual([
      { index: 0, field: "complaint", problem: "notInDepartment" },
    ]);
  });
  test("a complaint or department the store no longer has must be chosen again", () => {
    expect(checkRules([rule({ complaint_id: "cc-gone", department_id: "dep-gone" })], options)).toEqual([
      { index: 0, field: "complaint", problem: "unknown" },
      { index: 0, field: "department", problem: "unknown" },
    ]);
  });
  test("a rule an earlier rule already covers never applies (first match wins)", () => {
    const rules = [
      rule({ department_id: "dep-dental" }),
      rule({ complaint_id: "cc-tooth", department_id: "dep-dental", has_previous_visit: false }),
      rule({ department_id: "dep-eye", has_previous_visit: true }),
      rule({ department_id: "dep-eye" }),
    ];
    expect(checkRules(rules, options)).toEqual([{ index: 1, field: "rule", problem: "shadowed", earlier: 1 }]);
  });
  test("a rule without conditions covers every later rule", () => {
    expect(covers(newRule(), rule({ complaint_id: "cc-tooth", has_previous_visit: true }))).toBe(true);
    expect(covers(rule({ has_previous_visit: true }), newRule())).toBe(false);
  });
});
