package identity

import "testing"

func TestIdentitiesAreTheSameForTheSameRun(t *testing.T) {
	m1, err := NewMinter("supportbench-secret-0123456789abcdef", 0)
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := NewMinter("supportbench-secret-0123456789abcdef", 0)
	a, _ := m1.Users(RoleClient, "sb r1 client", 3)
	b, _ := m2.Users(RoleClient, "sb r1 client", 3)
	c, _ := m2.Users(RoleClient, "sb r2 client", 3)
	d, _ := m2.Users(RoleAdmin, "sb r1 client", 3)
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Errorf("client %d of one run: %s and %s", i, a[i].ID, b[i].ID)
		}
		if a[i].ID == c[i].ID || a[i].ID == d[i].ID {
			t.Errorf("client %d: another run or role gave the same id %s", i, a[i].ID)
		}
		if len(a[i].ID) != 24 {
			t.Errorf("id %q: want 24 hex digits", a[i].ID)
		}
	}
	if a[0].ID == a[1].ID {
		t.Errorf("two clients of one run share id %s", a[0].ID)
	}
}
