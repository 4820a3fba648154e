/**
 * Bench-only what-if (never shipped): make every `ws` socket in this process cork on its first
 * send of a tick and uncork on the next tick, so the frames one commit fans out to a socket leave
 * in one writev instead of one syscall each. Returns a function that restores `send`.
 */
import { WebSocket } from 'ws';

export function applyCorkPatch() {
  const realSend = WebSocket.prototype.send;
  const corked = new Set();
  WebSocket.prototype.send = function corkedSend(data, options, cb) {
    const socket = this._socket;
    if (socket && !corked.has(socket)) {
      corked.add(socket);
      socket.cork();
      process.nextTick(() => {
        corked.delete(socket);
        socket.uncork();
      });
    }
    return realSend.call(this, data, options, cb);
  };
  return () => {
    WebSocket.prototype.send = realSend;
  };
}
