/**
 * Writes that arrive in one turn of the event loop, handed to `write` together at its end
 * (setImmediate), so that they share one statement or one transaction; each caller is
 * answered with its own item's answer. `write` answers for every item, in order; if it
 * fails, every item of the batch fails with it.
 */
export class TurnBatch<Item, Answer> {
  #pending: { item: Item; resolve: (answer: Answer) => void; reject: (error: unknown) => void }[] = [];

  constructor(private readonly write: (items: Item[]) => Promise<readonly Answer[]>) {}

  add(item: Item): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      if (this.#pending.length === 0) setImmediate(() => void this.#flush());
      this.#pending.push({ item, resolve, reject });
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    try {
      const answers = await this.write(batch.map((pending) => pending.item));
      batch.forEach((pending, index) => pending.resolve(answers[index]!));
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
}
