import { seqGe, seqGt } from './seq';

/** What the sender must do after an ACK. */
export type CongestionAction = 'none' | 'retransmit';

const MAX_CWND = 1 << 30;

/**
 * Congestion control: slow start and congestion avoidance (RFC 5681, with
 * appropriate byte counting, RFC 3465), fast retransmit on the third
 * duplicate ACK and NewReno fast recovery (RFC 6582). It only does the
 * arithmetic; the connection sends what it is told to.
 */
export class NewReno {
  cwnd: number;
  ssthresh = MAX_CWND;
  dupAcks = 0;
  inRecovery = false;
  /** The highest sequence number sent when recovery (or the last timeout) began. */
  recover: number;
  private avoidanceBytes = 0;

  constructor(
    private mss: number,
    iss: number,
  ) {
    this.cwnd = initialWindow(mss);
    this.recover = iss;
  }

  /** The MSS is known once the handshake is done; the initial window follows it. */
  setMss(mss: number): void {
    this.mss = mss;
    this.cwnd = initialWindow(mss);
  }

  /**
   * SND.UNA advanced to `ack`, acknowledging `acked` bytes; `flight` is what
   * is still outstanding after it. A partial ACK during recovery asks for a
   * retransmission of the next unacknowledged segment.
   */
  onNewAck(ack: number, acked: number, flight: number): CongestionAction {
    this.dupAcks = 0;
    if (this.inRecovery) {
      if (seqGe(ack, this.recover)) {
        // Full acknowledgment: leave recovery with the halved window.
        this.inRecovery = false;
        this.cwnd = Math.min(this.ssthresh, Math.max(flight, this.mss) + this.mss);
        this.avoidanceBytes = 0;
        return 'none';
      }
      // Partial acknowledgment: deflate by what was acknowledged, retransmit the next hole.
      this.cwnd = Math.max(this.mss, this.cwnd - acked + (acked >= this.mss ? this.mss : 0));
      return 'retransmit';
    }
    if (this.cwnd < this.ssthresh) {
      this.cwnd = Math.min(MAX_CWND, this.cwnd + Math.min(acked, 2 * this.mss));
    } else {
      this.avoidanceBytes += acked;
      if (this.avoidanceBytes >= this.cwnd) {
        this.avoidanceBytes -= this.cwnd;
        this.cwnd = Math.min(MAX_CWND, this.cwnd + this.mss);
      }
    }
    return 'none';
  }

  /**
   * A duplicate ACK (RFC 5681 section 2) at `una`. The third one starts fast
   * retransmit, unless it is about data sent before the last loss was
   * handled (`una` not past `recover`); later ones inflate the window.
   */
  onDuplicateAck(una: number, sndMax: number, flight: number): CongestionAction {
    this.dupAcks++;
    if (this.inRecovery) {
      this.cwnd = Math.min(MAX_CWND, this.cwnd + this.mss);
      return 'none';
    }
    if (this.dupAcks !== 3 || !seqGt(una, this.recover)) return 'none';
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
    this.cwnd = this.ssthresh + 3 * this.mss;
    this.recover = sndMax;
    this.inRecovery = true;
    return 'retransmit';
  }

  /** The path MTU fell: later segments are smaller, the window in bytes stays. */
  lowerMss(mss: number): void {
    this.mss = mss;
  }

  /** SACK loss recovery begins (RFC 6675 5, step 4.2): half the flight, held until `sndMax` is acknowledged. */
  enterRecovery(flight: number, sndMax: number): void {
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
    this.cwnd = this.ssthresh;
    this.recover = sndMax;
    this.inRecovery = true;
    this.dupAcks = 0;
  }

  /** SACK loss recovery ended: continue from the halved window (never a burst larger than the flight allows). */
  exitRecovery(flight: number): void {
    this.inRecovery = false;
    this.cwnd = Math.min(this.ssthresh, Math.max(flight, this.mss) + this.mss);
    this.avoidanceBytes = 0;
  }

  /** The retransmission timer expired: back to one segment (RFC 5681 3.1, RFC 6582 3.2 step 4). */
  onTimeout(flight: number, sndMax: number): void {
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
    this.cwnd = this.mss;
    this.inRecovery = false;
    this.dupAcks = 0;
    this.avoidanceBytes = 0;
    this.recover = sndMax;
  }
}

/** RFC 6928: min(10 MSS, max(2 MSS, 14600)). */
function initialWindow(mss: number): number {
  return Math.min(10 * mss, Math.max(2 * mss, 14_600));
}
