import * as hdr from 'hdr-histogram-js'

/** Milliseconds on a clock shared by every process of the machine (sub-millisecond resolution). */
export const now = (): number => performance.timeOrigin + performance.now()

/** Latencies in milliseconds, kept in an HDR histogram at microsecond resolution. */
export class Histogram {
  readonly hdr: hdr.Histogram

  constructor (from?: hdr.Histogram) {
    this.hdr = from ?? hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 })
  }

  record (ms: number): void {
    this.hdr.recordValue(Math.max(1, Math.round(ms * 1000)))
  }

  add (other: Histogram): void {
    this.hdr.add(other.hdr)
  }

  get count (): number {
    return this.hdr.totalCount
  }

  percentile (p: number): number {
    return this.hdr.totalCount === 0 ? 0 : this.hdr.getValueAtPercentile(p) / 1000
  }

  get max (): number {
    return this.hdr.totalCount === 0 ? 0 : this.hdr.maxValue / 1000
  }

  encode (): string {
    return hdr.encodeIntoCompressedBase64(this.hdr)
  }

  static decode (text: string): Histogram {
    return new Histogram(hdr.decodeFromCompressedBase64(text))
  }

  /** p50/p99/max in milliseconds, rounded to 0.1 ms. */
  summary (): { p50: number, p99: number, max: number } {
    const round = (value: number) => Math.round(value * 10) / 10
    return { p50: round(this.percentile(50)), p99: round(this.percentile(99)), max: round(this.max) }
  }
}
