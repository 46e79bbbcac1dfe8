// npm install standardwebhooks
// SHIPRELAY_SIGNING_SECRET=whsec_… node node.mjs
import http from "node:http";
import { Webhook } from "standardwebhooks";

const wh = new Webhook(process.env.SHIPRELAY_SIGNING_SECRET);

http
  .createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8"); // the raw body: verify before parsing
      let event;
      try {
        event = wh.verify(body, {
          "webhook-id": req.headers["webhook-id"],
          "webhook-timestamp": req.headers["webhook-timestamp"],
          "webhook-signature": req.headers["webhook-signature"],
        });
      } catch {
        res.writeHead(401).end("bad signature");
        return;
      }
      console.log(req.headers["webhook-id"], event.type, event.id);
      res.writeHead(204).end(); // any 2xx acknowledges; anything else is retried
    });
  })
  .listen(3000);
