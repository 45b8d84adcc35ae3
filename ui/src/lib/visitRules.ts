// The visit-type rules editor of the store settings: editing the list and checking it before it is saved. Pure.
// The rules are tried top to bottom and the first whose conditions all hold decides the visit type; when none
// holds, the backend falls back to 初诊 (first) or 复诊 (return) by whether the patient has been before.

import type { ComplaintOption } from "../bindings/ComplaintOption";
import type { NamedRef } from "../bindings/NamedRef";
import type { VisitTypeRule } from "../bindings/VisitTypeRule";

/** The built-in visit types the fallback uses; every chain knows them. */
export const FALLBACK_FIRST = "first";
export const FALLBACK_RETURN = "return";

/** The "patient" condition of a rule as the form shows it: any, first visit only, been before. */
export type PreviousChoice = "any" | "first" | "return";

export function previousChoice(rule: Pick<VisitTypeRule, "has_previous_visit">): PreviousChoice {
  return rule.has_previous_visit === null ? "any" : rule.has_previous_visit ? "return" : "first";
}

export function hasPreviousOf(choice: PreviousChoice): boolean | null {
  return choice === "any" ? null : choice === "return";
}

/** A new rule: no condition yet, and no visit type chosen (the form asks for one). */
export function newRule(): VisitTypeRule {
  return { complaint_id: null, department_id: null, has_previous_visit: null, visit_type: "" };
}

/** The list with rule `index` moved one place up (-1) or down (+1); unchanged at the ends. */
export function moveRule<T>(rules: ReadonlyArray<T>, index: number, by: -1 | 1): T[] {
  const to = index + by;
  const out = [...rules];
  if (index < 0 || index >= out.length || to < 0 || to >= out.length) return out;
  [out[index], out[to]] = [out[to]!, out[index]!];
  return out;
}

export function removeRule<T>(rules: ReadonlyArray<T>, index: number): T[] {
  return rules.filter((_, i) => i !== index);
}

/** What is wrong with one field of one rule; `earlier` is the 1-based number of the rule that hides it. */
export type RuleProblem =
  | { index: number; field: "visitType"; problem: "missing" | "unknown" }
  | { index: number; field: "complaint"; problem: "unknown" | "notInDepartment" }
  | { index: number; field: "department"; problem: "unknown" }
  | { index: number; field: "rule"; problem: "shadowed"; earlier: number };

export type RuleOptions = {
  complaints: ReadonlyArray<ComplaintOption>;
  departments: ReadonlyArray<NamedRef>;
  /** Codes of the visit types the chain knows. */
  visitTypes: ReadonlyArray<string>;
};

/** True when every booking rule `b` matches is matched by `a` too (each condition of `a` is absent or the same). */
export function covers(a: VisitTypeRule, b: VisitTypeRule): boolean {
  const same = <T>(x: T | null, y: T | null) => x === null || x === y;
  return same(a.complaint_id, b.complaint_id) && same(a.department_id, b.department_id) && same(a.has_previous_visit, b.has_previous_visit);
}

/**
 * The problems that stop the rules from being saved, in list order:
 * a rule needs a visit type the chain knows; its complaint and department must still exist in the store,
 * and the complaint must be one the department treats (a booking never pairs them otherwise);
 * and a rule that an earlier rule already covers never decides anything.
 */
export function checkRules(rules: ReadonlyArray<VisitTypeRule>, options: RuleOptions): RuleProblem[] {
  const problems: RuleProblem[] = [];
  rules.forEach((rule, index) => {
    const complaint = rule.complaint_id === null ? null : options.complaints.find((c) => c.id === rule.complaint_id);
    const department = rule.department_id === null ? null : options.departments.find((d) => d.id === rule.department_id);
    if (complaint === undefined) problems.push({ index, field: "complaint", problem: "unknown" });
    else if (complaint && rule.department_id !== null && !complaint.departmentIds.includes(rule.department_id))
      problems.push({ index, field: "complaint", problem: "notInDepartment" });
    if (department === undefined) problems.push({ index, field: "department", problem: "unknown" });
    if (rule.visit_type === "") problems.push({ index, field: "visitType", problem: "missing" });
    else if (!options.visitTypes.includes(rule.visit_type)) problems.push({ index, field: "visitType", problem: "unknown" });
    const earlier = rules.findIndex((r, i) => i < index && covers(r, rule));
    if (earlier >= 0) problems.push({ index, field: "rule", problem: "shadowed", earlier: earlier + 1 });
  });
  return problems;
}
