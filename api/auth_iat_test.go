package api_test

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/supportd/supportd/api"
)

// TestVerifyTakesTheIssueTimeAsNameAt: a token's iat dates its name (Caller.NameAt),
// a token without iat gives the zero time, and one issued in the future (beyond the
// clock-skew leeway) is refused, since it would win every rename until then.
func TestVerifyTakesTheIssueTimeAsNameAt(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	auth, err := api.NewAuth(testSecret, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	claims := func(iat *time.Time) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "aaaaaaaaaaaaaaaaaaaaaaaa", "name": "A", "role": "client", "exp": now.Add(time.Hour).Unix()}
		if iat != nil {
			c["iat"] = iat.Unix()
		}
		return c
	}
	past, skewed, future := now.Add(-time.Hour), now.Add(10*time.Second), now.Add(time.Hour)
	for _, tc := range []struct {
		name string
		iat  *time.Time
		want time.Time
		ok   bool
	}{
		{"iat an hour ago", &past, past, true},
		{"no iat", nil, time.Time{}, true},
		{"iat within the leeway", &skewed, skewed, true},
		{"iat an hour ahead", &future, time.Time{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := auth.Verify(sign(t, jwt.SigningMethodHS256, []byte(testSecret), claims(tc.iat)))
			if (err == nil) != tc.ok {
				t.Fatalf("Verify: got error %v, want ok=%v", err, tc.ok)
			}
			if !c.NameAt.Equal(tc.want) {
				t.Errorf("NameAt: got %v, want %v", c.NameAt, tc.want)
			}
		})
	}
}
