/**
 * The simulated labeler: leases clips through the labeler API like the page does (GET next, POST label)
 * and labels each by the hidden taste: good with the jump's true p(good), else bad (so a label's
 * expected reward is exactly p(good)).
 */
export interface LabelerDeps {
  readonly base: string;
  readonly token: string;
  readonly name: string;
  /** True p(good) of the jump an event logged, or undefined for an event the simulation did not make. */
  readonly truth: (eventId: string) => number | undefined;
  readonly rand: () => number;
}

export class SimLabeler {
  labeled = 0;
  good = new Map<string, boolean>();
  #stop = false;
  #running: Promise<void> | null = null;

  constructor(private readonly d: LabelerDeps) {}

  #headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.d.token}`, 'X-Labeler-Name': encodeURIComponent(this.d.name) };
  }

  /** Labels the next clip; false when the queue is empty. */
  async labelOne(): Promise<boolean> {
    const res = await fetch(`${this.d.base}/api/rl/labeler/next`, { headers: this.#headers() });
    if (res.status !== 200) throw new Error(`labeler next: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { clip: { event_id: string } | null };
    if (!body.clip) return false;
    const p = this.d.truth(body.clip.event_id);
    const good = p !== undefined && this.d.rand() < p;
    const post = await fetch(`${this.d.base}/api/rl/labeler/label`, {
      method: 'POST',
      headers: { ...this.#headers(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ event_id: body.clip.event_id, label: good ? 'good' : 'bad', time_spent_ms: 1000 }),
    });
    if (post.status !== 200) throw new Error(`labeler label: HTTP ${post.status} ${await post.text()}`);
    this.labeled++;
    this.good.set(body.clip.event_id, good);
    return true;
  }

  /** Labels in the background until `stop`. */
  start(): void {
    this.#running = (async () => {
      while (!this.#stop) {
        if (!(await this.labelOne())) await new Promise((r) => setTimeout(r, 100));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#running;
  }

  /** Labels until the queue stays empty for `idleMs` (or `timeoutMs` passes). */
  async drain(idleMs: number, timeoutMs: number): Promise<void> {
    const t0 = Date.now();
    let idleSince = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      if (await this.labelOne()) idleSince = Date.now();
      else if (Date.now() - idleSince >= idleMs) return;
      else await new Promise((r) => setTimeout(r, 50));
    }
  }
}
