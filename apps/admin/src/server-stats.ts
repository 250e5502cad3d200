import type { Server } from '@keygate/runtime';

/** Connection and request counters for Kong's `GET /status` `server` section. */
export class ServerStats {
  accepted = 0;
  active = 0;
  requests = 0;
  inFlight = 0;

  attach(server: Server): void {
    server.on('connection', (socket) => {
      this.accepted++;
      this.active++;
      socket.once('close', () => this.active--);
    });
    server.on('request', (_req, res) => {
      this.requests++;
      this.inFlight++;
      res.once('close', () => this.inFlight--);
    });
  }

  toJSON(): Record<string, number> {
    return {
      connections_accepted: this.accepted,
      connections_handled: this.accepted,
      connections_active: this.active,
      connections_reading: 0,
      connections_writing: this.inFlight,
      connections_waiting: Math.max(0, this.active - this.inFlight),
      total_requests: this.requests,
    };
  }
}
