package runner

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/reports/results"
)

// Ensure the partition puts every operation in exactly one shard, balances
// shard sizes to within one, and depends only on the set of operations,
// not on the order they are listed in.
func TestPartition(t *testing.T) {
	var ops []string
	for i := 0; i < 23; i++ {
		ops = append(ops, fmt.Sprintf("client op%02d", i))
	}
	reversed := make([]string, len(ops))
	for i, op := range ops {
		reversed[len(ops)-1-i] = op
	}
	for n := 1; n <= 30; n++ {
		a, b := Partition(ops, n), Partition(reversed, n)
		sizes := make([]int, n+1)
		for _, op := range ops {
			if a[op] != b[op] {
				t.Errorf("N=%d: %s in shard %d or %d depending on input order", n, op, a[op], b[op])
			}
			if a[op] < 1 || a[op] > n {
				t.Fatalf("N=%d: %s in shard %d", n, op, a[op])
			}
			sizes[a[op]]++
		}
		lo, hi := len(ops), 0
		for _, s := range sizes[1:] {
			lo, hi = min(lo, s), max(hi, s)
		}
		if len(a) != len(ops) || hi-lo > 1 {
			t.Errorf("N=%d: %d assigned, sizes %v", n, len(a), sizes[1:])
		}
	}
}

// Ensure --shard and the Indexed Job variables parse as documented and bad
// values name what is wrong.
func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "1/1", want: "1/1"},
		{in: " 3/5 ", want: "3/5"},
		{in: "0/5", err: "shard 0 does not exist; shards are 1 to 5"},
		{in: "6/5", err: "shard 6 does not exist"},
		{in: "1/0", err: "between 1 and 1000"},
		{in: "1/1001", err: "between 1 and 1000"},
		{in: "1", err: "want I/N"},
		{in: "a/b", err: "want I/N"},
	} {
		s, err := ParseShard(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || s.String() != tc.want {
			t.Errorf("%q: %v %v, want %s", tc.in, s, err, tc.want)
		}
	}
	for _, tc := range []struct {
		index, total, want, err string
	}{
		{"0", "3", "1/3", ""},
		{"2", "3", "3/3", ""},
		{"", "3", "<nil>", ""},
		{"0", "", "<nil>", ""},
		{"3", "3", "", "shard 4 does not exist; shards are 1 to 3 (JOB_COMPLETION_INDEX counts from 0)"},
		{"-1", "3", "", "shard 0 does not exist"},
		{"x", "3", "", "want integers"},
	} {
		env := map[string]string{"JOB_COMPLETION_INDEX": tc.index, "JOB_COMPLETIONS": tc.total}
		s, err := ShardFromEnv(func(k string) string { return env[k] })
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", env, err, tc.err)
			}
			continue
		}
		got := "<nil>"
		if s != nil {
			got = s.String()
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: %s %v, want %s", env, got, err, tc.want)
		}
	}
}

// Ensure a shard's limiter gets the target's budget divided by N, at least
// 1 per minute, and an unsharded run the whole budget (default 240).
func TestShardRate(t *testing.T) {
	for _, tc := range []struct {
		rate, total, want int
	}{
		{0, 0, 240}, {100, 0, 100}, {0, 1, 240}, {0, 3, 80}, {0, 7, 34}, {100, 4, 25}, {2, 5, 1},
	} {
		var s *results.Shard
		if tc.total > 0 {
			s = &results.Shard{Index: 1, Total: tc.total}
		}
		if got := ShardRate(tc.rate, s); got != tc.want {
			t.Errorf("ShardRate(%d, N=%d) = %d, want %d", tc.rate, tc.total, got, tc.want)
		}
	}
}
