// A minimal WebSocket client (RFC 6455) over node:http(s), so `shiprelay listen` runs on plain
// Node 20 without dependencies (Node 20 has no global WebSocket, and the standard one cannot
// send an Authorization header). Text frames only, which is all the relay sends; ping → pong.
import crypto from "node:crypto";
import http from "node:http";
import https from "node:https";
import { EventEmitter } from "node:events";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** Opens the socket; resolves with an emitter of `message` (text), `close` (code, reason) and `error`. */
export function connectWebSocket(url, headers = {}) {
  const target = new URL(url);
  const key = crypto.randomBytes(16).toString("base64");
  const lib = target.protocol === "https:" || target.protocol === "wss:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request({
      hostname: target.hostname,
      port: target.port || (lib === https ? 443 : 80),
      path: `${target.pathname}${target.search}`,
      headers: { ...headers, connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": key },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body: text })));
    });
    req.on("upgrade", (res, socket, head) => {
      const expected = crypto.createHash("sha1").update(key + GUID).digest("base64");
      if (res.headers["sec-websocket-accept"] !== expected) {
        socket.destroy();
        reject(new Error("the relay answered the upgrade with a bad Sec-WebSocket-Accept"));
        return;
      }
      resolve(wrap(socket, head));
    });
    req.end();
  });
}

function wrap(socket, head) {
  const ws = new EventEmitter();
  let buffer = head && head.length ? Buffer.from(head) : Buffer.alloc(0);
  let fragments = [];
  let closed = false;

  const sendFrame = (opcode, payload) => {
    if (closed && opcode !== 0x8) return;
    const mask = crypto.randomBytes(4);
    const len = payload.length;
    const header = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    if (len >= 126 && len < 65536) {
      header[0] = 0x80 | opcode;
      header[1] = 0x80 | 126;
      header.writeUInt16BE(len, 2);
    } else if (len >= 65536) {
      header[0] = 0x80 | opcode;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(len), 2);
    }
    const masked = Buffer.alloc(len);
    for (let i = 0; i < len; i++) masked[i] = payload[i] ^ mask[i % 4];
    socket.write(Buffer.concat([header, mask, masked]));
  };

  ws.send = (text) => sendFrame(0x1, Buffer.from(text, "utf8"));
  ws.close = (code = 1000) => {
    if (closed) return;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code, 0);
    sendFrame(0x8, payload);
    closed = true;
    socket.end();
  };

  const parse = () => {
    while (buffer.length >= 2) {
      const fin = (buffer[0] & 0x80) !== 0;
      const opcode = buffer[0] & 0x0f;
      const masked = (buffer[1] & 0x80) !== 0;
      let len = buffer[1] & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (buffer.length < 4) return;
        len = buffer.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (buffer.length < 10) return;
        len = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      const maskKey = masked ? buffer.subarray(offset, offset + 4) : null;
      if (masked) offset += 4;
      if (buffer.length < offset + len) return;
      let payload = buffer.subarray(offset, offset + len);
      if (maskKey) payload = Buffer.from(payload.map((b, i) => b ^ maskKey[i % 4]));
      buffer = buffer.subarray(offset + len);
      if (opcode === 0x8) {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        if (!closed) ws.close(code === 1005 ? 1000 : code);
        ws.emit("close", code, payload.subarray(2).toString("utf8"));
        return;
      }
      if (opcode === 0x9) sendFrame(0xa, payload);
      else if (opcode === 0x1 || opcode === 0x0) {
        fragments.push(payload);
        if (fin) {
          ws.emit("message", Buffer.concat(fragments).toString("utf8"));
          fragments = [];
        }
      }
    }
  };

  socket.on("data", (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    parse();
  });
  socket.on("error", (err) => ws.emit("error", err));
  socket.on("close", () => {
    if (!closed) {
      closed = true;
      ws.emit("close", 1006, "connection lost");
    }
  });
  setImmediate(parse);
  return ws;
}
