package pubsub

import "testing"

// A proxy would connect to the endpoint on the deliverer's behalf, past the
// dialer's check: with DenyPrivate none is used, whatever the environment says.
func TestWebhookTransportProxy(t *testing.T) {
	if webhookTransport(true).Proxy != nil {
		t.Error("DenyPrivate: the transport has a proxy, want none")
	}
	if webhookTransport(false).Proxy == nil {
		t.Error("default: the transport ignores HTTP_PROXY and friends, want them honoured as before")
	}
}
