// The chosen language as reactive state, handed to components through Svelte context.

import { getContext, setContext } from "svelte";
import { DEFAULT_LOCALE, isLocale, translate, type Locale, type MessageKey } from "./i18n";

export class I18n {
  locale = $state<Locale>(DEFAULT_LOCALE);

  constructor(locale: Locale = DEFAULT_LOCALE) {
    this.locale = locale;
  }

  /** Reads `locale`, so markup that calls it re-renders when the language changes. */
  t = (key: MessageKey, params?: Record<string, string | number>): string => translate(this.locale, key, params);
}

const KEY = Symbol("i18n");

export function provideI18n(i18n: I18n): I18n {
  return setContext(KEY, i18n);
}

export function useI18n(): I18n {
  const i18n = getContext<I18n | undefined>(KEY);
  if (!i18n) throw new Error("useI18n() called outside a component tree that called provideI18n()");
  return i18n;
}

const STORAGE_KEY = "clinicdesk.locale";

/** The language chosen on this machine before, or the default. */
export function loadSavedLocale(): Locale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    return isLocale(saved) ? saved : DEFAULT_LOCALE;
  } catch {
    return DEFAULT_LOCALE;
  }
}

export function saveLocale(locale: Locale): void {
  try {
    localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    // Storage can be unavailable (private mode, quota); the choice then lasts for this run only.
  }
}
