package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
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
	if err := parseFlags(fs, args); err != nil {
		return err
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
	sim, err := simulator.New(simulator.Options{Schemas: set, Scenario: *scenario})
	if err != nil {
		return &runner.UsageError{Err: fmt.Errorf("--scenario: %w", err)}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return &runner.UsageError{Err: fmt.Errorf("--addr %s: %w", *addr, err)}
	}
	u := simulator.DefaultUser()
	fmt.Fprintf(c.stdout, "simulator listening on http://%s (scenario %s, company %s, login %s; the password is in the README)\n",
		ln.Addr(), *scenario, simulator.DefaultCompanyID, u.LoginName)
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
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
