// go get github.com/standard-webhooks/standard-webhooks/libraries/go
// SHIPRELAY_SIGNING_SECRET=whsec_… go run main.go
package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"os"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func main() {
	wh, err := standardwebhooks.NewWebhook(os.Getenv("SHIPRELAY_SIGNING_SECRET"))
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body) // the raw body: verify before parsing
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		// Verify reads webhook-id, webhook-timestamp and webhook-signature from the headers.
		if err := wh.Verify(body, r.Header); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var event struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(body, &event); err != nil {
			http.Error(w, "not JSON", http.StatusBadRequest)
			return
		}
		log.Println(r.Header.Get("webhook-id"), event.Type, event.ID)
		w.WriteHeader(http.StatusNoContent) // any 2xx acknowledges; anything else is retried
	})
	log.Fatal(http.ListenAndServe(":3000", nil))
}
