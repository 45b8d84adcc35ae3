import { describe, expect, test } from "vitest";
import { responsiveSvg } from "./svg";

describe("charts scale to their box", () => {
  test("a fixed-size chart gets a viewBox from its size and loses width and height", () => {
    const out = responsiveSvg('<?xml version="1.0"?><svg width="800" height="500" xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>');
    expect(out).toContain('viewBox="0 0 800 500"');
    expect(out).toMatch(/<svg [^>]*preserveAspectRatio="xMidYMid meet"/);
    expect(/<svg[^>]*\swidth=/.test(out)).toBe(false);
    // Only the root's size goes: inner shapes keep theirs.
    expect(out).toContain('<rect width="10" height="10"/>');
  });

  test("a viewBox already there is kept", () => {
    const out = responsiveSvg('<svg width="10" height="20" viewBox="0 0 1 2"></svg>');
    expect(out).toContain('viewBox="0 0 1 2"');
    expect(out).not.toContain("0 0 10 20");
  });

  test("text that is not SVG comes back unchanged", () => {
    expect(responsiveSvg("no chart")).toBe("no chart");
  });
});
