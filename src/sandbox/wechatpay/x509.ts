// Loads @peculiar/x509 lazily. Its dependency tsyringe refuses to load without the Reflect metadata API
// (normally from the `reflect-metadata` package, which is not installed), so we supply the three functions it
// calls — only when they are missing — and import the library afterwards.
type MetadataStore = WeakMap<object, Map<unknown, unknown>>;

type ReflectWithMetadata = typeof Reflect & {
  getMetadata?: (key: unknown, target: object) => unknown;
  getOwnMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
};

function installReflectMetadata(): void {
  const reflect = Reflect as ReflectWithMetadata;
  if (reflect.getMetadata) return;
  const store: MetadataStore = new WeakMap();
  reflect.defineMetadata = (key, value, target) => {
    const map = store.get(target) ?? new Map<unknown, unknown>();
    map.set(key, value);
    store.set(target, map);
  };
  reflect.getOwnMetadata = (key, target) => store.get(target)?.get(key);
  reflect.getMetadata = (key, target) => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const found = store.get(t)?.get(key);
      if (found !== undefined) return found;
    }
    return undefined;
  };
}

export type X509Module = typeof import('@peculiar/x509');

let loaded: Promise<X509Module> | undefined;

export function loadX509(): Promise<X509Module> {
  installReflectMetadata();
  loaded ??= import('@peculiar/x509');
  return loaded;
}
