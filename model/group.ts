/** Items grouped by a key, groups in the order of their first item, items in their order (pure). */
export function groupInOrder<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
    const groups = new Map<string, T[]>();
    for (const item of items) {
        const group = groups.get(key(item));
        if (group) {
            group.push(item);
        } else {
            groups.set(key(item), [item]);
        }
    }
    return groups;
}
