package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/supportd/supportd/store"
)

// readIdempotent reads the body and, when the request carries an Idempotency-Key,
// the key with a fingerprint of what is asked (path and body), so that a retry with
// another body can be told from a true retry.
func (s *Server) readIdempotent(w http.ResponseWriter, r *http.Request) (*store.Idempotency, []byte, error) {
	body, err := readBody(w, r)
	if err != nil {
		return nil, nil, err
	}
	keys, ok := r.Header["Idempotency-Key"]
	if !ok {
		return nil, body, nil
	}
	key := ""
	if len(keys) == 1 {
		key = keys[0]
	}
	if !validIdempotencyKey(key) {
		return nil, nil, badRequest("Idempotency-Key must be 1 to %d printable ASCII characters", maxIdempotencyKey)
	}
	h := sha256.New()
	h.Write([]byte(r.URL.Path))
	h.Write([]byte{0})
	h.Write(body)
	return &store.Idempotency{Key: key, Hash: hex.EncodeToString(h.Sum(nil))}, body, nil
}

func validIdempotencyKey(k string) bool {
	if len(k) < 1 || len(k) > maxIdempotencyKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// writeReplay answers a repeated idempotent request with the original 201 and body.
func writeReplay(w http.ResponseWriter, rep *store.Replay) {
	w.Header().Set("Idempotent-Replayed", "true")
	writeRaw(w, http.StatusCreated, append(append([]byte(`{"data":`), rep.Body...), '}'))
}
