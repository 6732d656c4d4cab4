package monitor

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mmcontract/mmcontract/runner/history"
)

// Replica leases. Several monitors on one PostgreSQL store share the work:
// each job is scheduled by the replica holding its lease. A holder renews
// every LeaseRenew; a standby tries every LeaseRenew too and takes a lease
// over once it expired, so a dead holder's jobs move within LeaseTTL +
// LeaseRenew (20 s), plus the wait for the job's next scheduled tick. On
// SQLite there is one replica, and it holds every lease.
const (
	LeaseTTL   = 15 * time.Second
	LeaseRenew = 5 * time.Second
)

// leaseStore is the lease side of the history store.
type leaseStore interface {
	AcquireLease(ctx context.Context, name string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name string) error
	InterruptRuns(ctx context.Context, job string) (int, error)
}

// leases tracks which jobs this replica schedules.
type leases struct {
	store  leaseStore
	jobs   []string
	gauge  *prometheus.GaugeVec // mmcontract_replica_leader{job}
	onLost func(job string)
	onErr  func(error)
	log    func(msg string, args ...any)

	mu   sync.Mutex
	held map[string]bool
}

// renew takes or renews every job's lease. A job taken over marks the
// runs its previous holder left in flight interrupted. A store error drops
// every lease this replica thought it held: it cannot prove it still holds
// them, and scheduling twice is worse than a missed tick.
func (l *leases) renew(ctx context.Context) {
	for _, job := range l.jobs {
		ok, err := l.store.AcquireLease(ctx, history.JobLease(job), LeaseTTL)
		if err != nil {
			l.onErr(err)
			ok = false
		}
		l.mu.Lock()
		was := l.held[job]
		l.held[job] = ok
		l.mu.Unlock()
		switch {
		case ok && !was:
			n, err := l.store.InterruptRuns(ctx, job)
			if err != nil {
				l.onErr(err)
			}
			l.log("took the job's lease: this replica schedules it", "job", job, "interrupted_runs", n)
		case !ok && was:
			l.log("lost the job's lease: another replica schedules it", "job", job)
		}
		if l.gauge != nil {
			v := 0.0
			if ok {
				v = 1
			}
			l.gauge.WithLabelValues(job).Set(v)
		}
	}
}

// holds reports whether this replica schedules job.
func (l *leases) holds(job string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held[job]
}

// release gives up every lease held, so a standby takes over at its next
// attempt rather than after LeaseTTL.
func (l *leases) release(ctx context.Context) error {
	var errs []error
	for _, job := range l.jobs {
		if l.holds(job) {
			if err := l.store.ReleaseLease(ctx, history.JobLease(job)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// role is the /healthz line: which jobs this replica leads, which it
// stands by for.
func (l *leases) role() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var lead, standby []string
	for _, job := range l.jobs {
		if l.held[job] {
			lead = append(lead, job)
		} else {
			standby = append(standby, job)
		}
	}
	sort.Strings(lead)
	sort.Strings(standby)
	var parts []string
	if len(lead) > 0 {
		parts = append(parts, "leader of "+strings.Join(lead, ", "))
	}
	if len(standby) > 0 {
		parts = append(parts, "standby for "+strings.Join(standby, ", "))
	}
	if len(parts) == 0 {
		return "no jobs"
	}
	return strings.Join(parts, "; ")
}

func jobNames(cfg *Config) []string {
	names := make([]string, 0, len(cfg.Jobs))
	for _, j := range cfg.Jobs {
		names = append(names, j.Name)
	}
	return slices.Sorted(slices.Values(names))
}
