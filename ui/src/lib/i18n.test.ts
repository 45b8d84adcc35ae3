import { describe, expect, test } from "vitest";
import { CATALOGUES, isLocale, LOCALES, translate, type MessageKey } from "./i18n";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("catalogues", () => {
  test("every translation uses exactly the placeholders of the zh-CN source", () => {
    const source = CATALOGUES["zh-CN"];
    for (const locale of LOCALES) {
      for (const key of Object.keys(source) as MessageKey[]) {
        expect(placeholders(CATALOGUES[locale][key]), `${locale} ${key}`).toEqual(placeholders(source[key]));
      }
    }
  });

  test("no translation is empty", () => {
    for (const locale of LOCALES) {
      for (const [key, text] of Object.entries(CATALOGUES[locale])) expect(text.trim(), `${locale} ${key}`).not.toBe("");
    }
  });
});

describe("translate", () => {
  test("fills in named parameters", () => {
    expect(translate("zh-CN", "header.openRequestsHint", { count: 3 })).toBe("3 条取消申请待处理");
    expect(translate("en", "header.openRequestsHint", { count: 3 })).toBe("3 cancellation requests waiting");
  });

  test("leaves a placeholder visible when its parameter is missing, rather than printing undefined", () => {
    expect(translate("en", "header.openRequestsHint")).toBe("{count} cancellation requests waiting");
  });

  test("picks the catalogue of the chosen language", () => {
    expect(translate("zh-CN", "header.today")).toBe("今天");
    expect(translate("en", "header.today")).toBe("Today");
    expect(translate("zh-TW", "board.loading")).toBe("載入中…");
  });
});

test("isLocale accepts only the supported languages", () => {
  expect(isLocale("zh-TW")).toBe(true);
  expect(isLocale("zh-HK")).toBe(false);
  expect(isLocale(null)).toBe(false);
});
