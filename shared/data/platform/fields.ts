/**
 * Reading a stored item back into its type, one helper for every context's mapper (`toCounty`, `toPayout`, …).
 * This code wrote the item, so each named attribute has the type its field declares; they come out in the
 * order named. An attribute given a default in `defaults` reads as that default when the item lacks it or holds
 * null (items written before the attribute existed).
 */
export function storedFields<T>() {
  return <K extends keyof T & string>(
    item: Record<string, unknown>,
    names: readonly K[],
    defaults: { [P in K]?: T[P] } = {},
  ): Pick<T, K> => {
    const fields = {} as Pick<T, K>;
    for (const name of names) fields[name] = (name in defaults ? (item[name] ?? defaults[name]) : item[name]) as T[K];
    return fields;
  };
}
