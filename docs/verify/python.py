# pip install standardwebhooks flask
# SHIPRELAY_SIGNING_SECRET=whsec_… python python.py
import os

from flask import Flask, request
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

app = Flask(__name__)
wh = Webhook(os.environ["SHIPRELAY_SIGNING_SECRET"])


@app.post("/")
def receive():
    body = request.get_data()  # the raw body: verify before parsing
    headers = {
        "webhook-id": request.headers.get("webhook-id", ""),
        "webhook-timestamp": request.headers.get("webhook-timestamp", ""),
        "webhook-signature": request.headers.get("webhook-signature", ""),
    }
    try:
        event = wh.verify(body, headers)
    except WebhookVerificationError:
        return "bad signature", 401
    print(headers["webhook-id"], event["type"], event["id"])
    return "", 204  # any 2xx acknowledges; anything else is retried


if __name__ == "__main__":
    app.run(port=3000)
