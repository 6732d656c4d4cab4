package suites

import "testing"

// Ensure a mutating spec runs only against the simulator or with
// --allow-mutations, and read-only specs always run.
func TestRefuseMutation(t *testing.T) {
	cases := []struct {
		name             string
		labels           []string
		simulator, allow bool
		refused          bool
	}{
		{"read-only against a live target", []string{"findCustomerInfo", "readonly"}, false, false, false},
		{"mutating against a live target", []string{"addOrder", "mutating"}, false, false, true},
		{"mutating against the simulator", []string{"addOrder", "mutating"}, true, false, false},
		{"mutating with --allow-mutations", []string{"addOrder", "mutating"}, false, true, false},
	}
	for _, c := range cases {
		env := &Env{Simulator: c.simulator, AllowMutations: c.allow}
		reason, refused := env.refuseMutation(c.labels)
		if refused != c.refused || (refused && reason == "") {
			t.Errorf("%s: refused=%t %q, want refused=%t with a reason", c.name, refused, reason, c.refused)
		}
	}
}
