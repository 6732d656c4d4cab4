package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/runner"
	"github.com/mmcontract/mmcontract/schemas"
)

// simCommand serves the embedded vendor simulator: `mmcontract sim`.
type simCommand struct{ stdio }

func (c *simCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("sim", c.stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address; loopback by default")
	scenario := fs.String("scenario", "nominal", "scenario to serve (see -list)")
	list := fs.Bool("list", false, "list the scenarios and exit")
	usersFile := fs.String("users", "", "JSON file listing the customers to serve instead of the demo user (see simUser)")
	webhookReceiver := fs.Bool("webhook-receiver", false, "serve the reference Webhook API receiver (for 'mmcontract webhook verify') instead of the vendor; --scenario and -list then name its scenarios")
	demo := fs.Bool("demo", false, "report every customer as a demo account (findCustomerInfo type 1, companyType demo), the only accounts mutating specs trade on against a real target")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *webhookReceiver {
		return c.receiver(ctx, *addr, *scenario, *list, *usersFile)
	}
	if *list {
		for _, s := range simulator.Scenarios() {
			fmt.Fprintf(c.stdout, "%-28s %-9s %s\n", s.Name, s.Kind, s.Description)
		}
		return nil
	}
	set, err := schemas.Load()
	if err != nil {
		return fmt.Errorf("loading schemas: %w", err)
	}
	users, err := loadSimUsers(*usersFile)
	if err != nil {
		return &runner.UsageError{Err: err}
	}
	sim, err := simulator.New(simulator.Options{Schemas: set, Scenario: *scenario, Users: users, CheckRequests: true, Demo: *demo})
	if err != nil {
		what := "--scenario"
		if *usersFile != "" {
			what = "--scenario or --users " + *usersFile
		}
		return &runner.UsageError{Err: fmt.Errorf("%s: %w", what, err)}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return &runner.UsageError{Err: fmt.Errorf("--addr %s: %w", *addr, err)}
	}
	if len(users) == 0 {
		fmt.Fprintf(c.stdout, "simulator listening on http://%s (scenario %s, company %s, login %s; the password is in the README)\n",
			ln.Addr(), *scenario, simulator.DefaultCompanyID, simulator.DefaultUser().LoginName)
	} else {
		// Planted users may carry real-looking PII: never echo their values.
		fmt.Fprintf(c.stdout, "simulator listening on http://%s (scenario %s, company %s, %d users from --users)\n",
			ln.Addr(), *scenario, simulator.DefaultCompanyID, len(users))
	}
	return serve(ctx, ln, sim)
}

// receiver serves the reference Webhook API receiver: `mmcontract sim
// --webhook-receiver`.
func (c *simCommand) receiver(ctx context.Context, addr, scenario string, list bool, usersFile string) error {
	if list {
		for _, s := range simulator.ReceiverScenarios() {
			fmt.Fprintf(c.stdout, "%-28s %-15s %s\n", s.Name, s.Breaks, s.Description)
		}
		return nil
	}
	if usersFile != "" {
		return &runner.UsageError{Err: errors.New("--users applies to the vendor simulator, not to --webhook-receiver")}
	}
	h, err := simulator.NewWebhookReceiver(simulator.ReceiverOptions{Scenario: scenario})
	if err != nil {
		return &runner.UsageError{Err: fmt.Errorf("--scenario: %w%s", err, didYouMean(scenario, simulator.ReceiverScenarioNames()))}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return &runner.UsageError{Err: fmt.Errorf("--addr %s: %w", addr, err)}
	}
	fmt.Fprintf(c.stdout, "webhook receiver listening on http://%s (scenario %s, test account %s in %s)\n",
		ln.Addr(), scenario, simulator.DefaultWebhookUser, simulator.DefaultWebhookCurrency)
	return serve(ctx, ln, h, h.Close)
}

// serve serves h on ln until ctx ends, then shuts down gracefully; each
// onShutdown runs as the shutdown begins.
func serve(ctx context.Context, ln net.Listener, h http.Handler, onShutdown ...func()) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	for _, f := range onShutdown {
		srv.RegisterOnShutdown(f)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("shutting down: %w", err)
		}
		return nil
	}
}

// simUser is one entry of the --users file. It lets a tester plant their own
// (canary) credentials and PII in a simulator that runs as a separate
// process, so an end-to-end test can prove none of it reaches an artifact.
// Empty fields take the simulator's deterministic defaults.
type simUser struct {
	LoginName      string `json:"loginName"`
	Password       string `json:"password"`
	CustomerID     int64  `json:"customerId"`
	CustomerNo     string `json:"customerNo"`
	Email          string `json:"email"`
	Phone          string `json:"phone"`
	PhoneArea      string `json:"phoneArea"`
	Name           string `json:"name"`
	FirstName      string `json:"firstName"`
	LastName       string `json:"lastName"`
	IDCard         string `json:"idCard"`
	PostalCode     string `json:"postalCode"`
	Country        string `json:"country"`
	Address        string `json:"address"`
	BankCardNumber string `json:"bankCardNumber"`
	WalletAddress  string `json:"walletAddress"`
}

// loadSimUsers reads the --users file: a JSON array of simUser. An empty
// path means the demo user. Unknown keys are errors, so a typo does not
// silently serve the default value instead of a planted one.
func loadSimUsers(path string) ([]simulator.User, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--users: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var in []simUser
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("--users %s: %w", path, err)
	}
	if len(in) == 0 {
		return nil, fmt.Errorf("--users %s: no users listed", path)
	}
	users := make([]simulator.User, len(in))
	for i, u := range in {
		users[i] = simulator.User(u)
	}
	return users, nil
}
