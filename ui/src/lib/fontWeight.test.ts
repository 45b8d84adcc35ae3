// The UI uses one weight of the CJK font (see app.css): a bold face is a second font file of some 20 MB that the
// page keeps mapped once any text is shown in it.
import { describe, expect, test } from "vitest";

/** Every component's and style sheet's source, by path. */
const sources = import.meta.glob(["../**/*.svelte", "../**/*.css"], { query: "?raw", import: "default", eager: true }) as Record<
  string,
  string
>;

describe("one font weight", () => {
  test("no style asks for a weight above 500 (no bold face of the CJK font is loaded)", () => {
    const files = Object.entries(sources);
    expect(files.length).toBeGreaterThan(10);
    const heavy = files.flatMap(([f, text]) =>
      [...text.matchAll(/font-weight:\s*([^;}\s]+)/g)]
        .map((m) => m[1] ?? "")
        .filter((w) => !["400", "500", "normal", "inherit"].includes(w))
        .map((w) => `${f}: ${w}`),
    );
    expect(heavy).toEqual([]);
  });

  test("no font shorthand asks for a bold face either", () => {
    const heavy = Object.entries(sources).flatMap(([f, text]) =>
      [...text.matchAll(/[^-]font:\s*([^;}]+)/g)]
        .map((m) => (m[1] ?? "").trim())
        .filter((v) => /\b(bold|bolder|[6-9]00)\b/.test(v))
        .map((v) => `${f}: ${v}`),
    );
    expect(heavy).toEqual([]);
  });

  test("headings and other bold-by-default elements are set to 500", () => {
    const css = sources["../app.css"] ?? "";
    expect(css).toMatch(/h1,\s*h2,[\s\S]*?strong,[\s\S]*?\{\s*font-weight: 500;/);
  });
});
