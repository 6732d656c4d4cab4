package monitor

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// scheduleParser accepts what the README promises: standard 5-field specs,
// descriptors (@hourly, @every 30s) and an optional CRON_TZ=/TZ= prefix.
var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron spec, wrapped against robfig/cron's traps:
//
//   - A bare "CRON_TZ=" or "TZ=" (no zone, or no space after it) makes
//     robfig/cron v3.0.1 panic with an index out of range instead of returning
//     an error; we reject it first, and parse under recover in case another
//     input finds a similar path.
//   - Without a zone, robfig/cron uses the scheduler's location; the monitor's
//     scheduler runs in UTC, so local daylight-saving jumps never skip or
//     double a run. A CRON_TZ= zone is honoured when given explicitly, and then
//     its DST transitions apply as robfig/cron computes them (a 02:30 job on a
//     spring-forward day does not run), which we document rather than hide.
func ParseSchedule(spec string) (sched cron.Schedule, err error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return nil, fmt.Errorf("empty schedule")
	}
	for _, prefix := range []string{"CRON_TZ=", "TZ="} {
		if strings.HasPrefix(s, prefix) {
			rest := s[len(prefix):]
			i := strings.IndexByte(rest, ' ')
			if i <= 0 {
				return nil, fmt.Errorf("schedule %q: %s needs a time zone name followed by a spec, e.g. %sEurope/Berlin 0 6 * * *", spec, prefix, prefix)
			}
			if _, err := time.LoadLocation(rest[:i]); err != nil {
				return nil, fmt.Errorf("schedule %q: unknown time zone %q", spec, rest[:i])
			}
		}
	}
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("schedule %q: rejected (the cron parser panicked: %v)", spec, r)
		}
	}()
	sched, err = scheduleParser.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	// robfig/cron silently rounds a sub-second @every up to 1s; say so
	// instead of running at another rate than the one written.
	if d, ok := strings.CutPrefix(s, "@every "); ok {
		if every, err := time.ParseDuration(strings.TrimSpace(d)); err == nil && every < time.Second {
			return nil, fmt.Errorf("schedule %q: @every must be at least 1s", spec)
		}
	}
	return sched, nil
}

// cronLogger adapts our log function to cron.Logger, so the Recover wrapper's
// panic reports reach the monitor's log instead of stderr.
type cronLogger struct {
	logf func(format string, args ...any)
}

func (l cronLogger) Info(msg string, kv ...any) {}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.logf("scheduler: %s: %v %v", msg, err, kv)
}

// newCron builds the scheduler: UTC, with Recover so a panicking job never
// takes the monitor down. Overlap is handled per job by skipIfStillRunning,
// added when the job is scheduled: it has cron.SkipIfStillRunning's
// semantics, but cron's own wrapper skips silently and the issue wants every
// skipped tick recorded. Using both would make ours dead code, since cron's
// would drop the tick before ours sees it.
func newCron(logf func(string, ...any)) *cron.Cron {
	l := cronLogger{logf: logf}
	return cron.New(
		cron.WithLocation(time.UTC),
		cron.WithParser(scheduleParser),
		cron.WithLogger(l),
		cron.WithChain(cron.Recover(l)),
	)
}

// skipIfStillRunning is cron.SkipIfStillRunning that reports each tick it
// drops to skipped, which records it. One wrapper per job: overlap is judged
// per job, so a slow job never delays another.
func skipIfStillRunning(skipped func()) cron.JobWrapper {
	return func(j cron.Job) cron.Job {
		ch := make(chan struct{}, 1)
		ch <- struct{}{}
		return cron.FuncJob(func() {
			select {
			case v := <-ch:
				defer func() { ch <- v }()
				j.Run()
			default:
				skipped()
			}
		})
	}
}
