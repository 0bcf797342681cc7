package pubsub

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// SecretPrefix starts every webhook secret (the Standard Webhooks convention).
const SecretPrefix = "whsec_"

// SignWebhook returns the webhook-signature header of a delivery per the Standard
// Webhooks spec: "v1," and the base64 HMAC-SHA256 of "{id}.{timestamp}.{body}",
// keyed with the secret's bytes (base64 after the whsec_ prefix).
func SignWebhook(secret, id string, timestamp int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
