/** An output stream for the CLI and the worker agent in tests: keeps what was written. */
export class Capture {
  text = '';
  private wrote!: () => void;
  /** Resolves at the first write. */
  readonly written = new Promise<void>(resolve => (this.wrote = resolve));
  constructor(readonly isTTY = false) {}
  write(chunk: string): boolean {
    this.text += chunk;
    this.wrote();
    return true;
  }
}
