// The subscriber list every conditions source keeps: add returns its own unsubscribe, emit calls a
// snapshot of the list (a listener may unsubscribe while being called). With `onError`, one throwing
// listener is reported and the others still hear the change.
export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  constructor(private readonly onError?: (e: unknown) => void) {}

  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  emit(value: T): void {
    for (const l of [...this.set]) {
      if (!this.onError) {
        l(value);
        continue;
      }
      try {
        l(value);
      } catch (e) {
        this.onError(e);
      }
    }
  }

  clear(): void {
    this.set.clear();
  }
}
