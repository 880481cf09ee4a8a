// Reading a service's Prometheus /metrics in tests.

/** The samples of a Prometheus text exposition: 'name{labels}' → value. */
export function samples(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

/** Scrape 127.0.0.1:port/metrics. */
export async function scrapePort(port: number | undefined): Promise<Map<string, number>> {
  if (!port) throw new Error('no metrics port (startStack({ metrics: true }))');
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return samples(await res.text());
}
