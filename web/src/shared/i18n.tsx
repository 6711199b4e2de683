// Simplified Chinese and English. Each message is a [zh, en] pair, so a dictionary cannot miss one language.
// The language comes from the browser the first time, then from the switch (remembered in localStorage).
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

export type Lang = 'zh' | 'en';
export type Dict = Record<string, readonly [zh: string, en: string]>;

const STORAGE_KEY = 'hutong.lang';

export function initialLang(): Lang {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'zh' || stored === 'en') return stored;
  return (navigator.language || 'zh').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

interface LangState {
  lang: Lang;
  setLang(lang: Lang): void;
}

const LangContext = createContext<LangState>({ lang: 'zh', setLang: () => {} });

export function LangProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  }, [lang]);
  const setLang = useCallback((next: Lang) => {
    localStorage.setItem(STORAGE_KEY, next);
    setLangState(next);
  }, []);
  const value = useMemo(() => ({ lang, setLang }), [lang, setLang]);
  return <LangContext.Provider value={value}>{children}</LangContext.Provider>;
}

export function useLang(): LangState {
  return useContext(LangContext);
}

export type Translate<D extends Dict> = (key: keyof D & string, vars?: Record<string, string | number>) => string;

/** `t('key', { n: 3 })` replaces `{n}` in the message. */
export function useT<D extends Dict>(dict: D): Translate<D> {
  const { lang } = useLang();
  return useCallback(
    (key, vars) => {
      const pair = dict[key];
      let text: string = pair ? pair[lang === 'zh' ? 0 : 1] : key;
      if (vars) for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, String(value));
      return text;
    },
    [dict, lang],
  );
}

export function LangSwitch() {
  const { lang, setLang } = useLang();
  return (
    <button
      type="button"
      className="lang"
      onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}
      aria-label="中文 / English"
    >
      {lang === 'zh' ? 'English' : '中文'}
    </button>
  );
}
