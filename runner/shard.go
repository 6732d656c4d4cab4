package runner

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/suites"
)

// MaxShards bounds --shard's total: far more shards than operations is a
// mistake, not a plan.
const MaxShards = 1000

// ParseShard reads --shard I/N: shard I (1-based, as a CI matrix counts) of N.
func ParseShard(s string) (results.Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	index, err1 := strconv.Atoi(i)
	total, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil {
		return results.Shard{}, fmt.Errorf("--shard %q: want I/N, e.g. 1/4 (shard I of N, counted from 1)", s)
	}
	return checkShard(results.Shard{Index: index, Total: total}, "--shard "+strconv.Quote(s))
}

// ShardFromEnv reads a Kubernetes Indexed Job's JOB_COMPLETION_INDEX
// (0-based) and JOB_COMPLETIONS (N). It returns nil unless both are set.
func ShardFromEnv(getenv func(string) string) (*results.Shard, error) {
	idx, n := getenv("JOB_COMPLETION_INDEX"), getenv("JOB_COMPLETIONS")
	if idx == "" || n == "" {
		return nil, nil
	}
	index, err1 := strconv.Atoi(strings.TrimSpace(idx))
	total, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("JOB_COMPLETION_INDEX=%q and JOB_COMPLETIONS=%q: want integers (index from 0, as Kubernetes counts, and the number of completions)", idx, n)
	}
	s, err := checkShard(results.Shard{Index: index + 1, Total: total},
		fmt.Sprintf("JOB_COMPLETION_INDEX=%d JOB_COMPLETIONS=%d", index, total))
	if err != nil {
		return nil, fmt.Errorf("%w (JOB_COMPLETION_INDEX counts from 0)", err)
	}
	return &s, nil
}

func checkShard(s results.Shard, what string) (results.Shard, error) {
	switch {
	case s.Total < 1 || s.Total > MaxShards:
		return s, fmt.Errorf("%s: the number of shards must be between 1 and %d, got %d", what, MaxShards, s.Total)
	case s.Index < 1 || s.Index > s.Total:
		return s, fmt.Errorf("%s: shard %d does not exist; shards are 1 to %d", what, s.Index, s.Total)
	}
	return s, nil
}

// ShardRate is a shard's share of the target's per-operation budget: the N
// shards of a run call the same endpoints at once, so each gets rate/N (at
// least 1 per minute) and together they stay within the budget.
func ShardRate(perMinute int, shard *results.Shard) int {
	if perMinute <= 0 {
		perMinute = mmapi.DefaultRatePerMinute
	}
	if shard == nil {
		return perMinute
	}
	return max(1, perMinute/shard.Total)
}

// Partition assigns each operation to a shard (1-based): the operations are
// sorted and dealt out round-robin, so shard sizes differ by at most one and
// the assignment depends only on the set, never on the order it came in.
func Partition(operations []string, total int) map[string]int {
	ops := append([]string(nil), operations...)
	sort.Strings(ops)
	out := make(map[string]int, len(ops))
	for i, op := range ops {
		out[op] = i%total + 1
	}
	return out
}

// shardPlan is what a sharded run learnt from previewing the tree.
type shardPlan struct {
	selected int      // operations the label filter selects, in all shards
	mine     []string // this shard's operations, sorted
}

// planShard previews the spec tree (Ginkgo's PreviewSpecs, which runs no
// spec), takes the operations that the label filter selects, partitions
// them and narrows env to this shard's. Every shard previews the same tree
// with the same filter, so every shard computes the same partition.
func planShard(env *suites.Env, filter string, shard results.Shard) (shardPlan, error) {
	match, err := types.ParseLabelFilter(filter)
	if err != nil {
		return shardPlan{}, usagef("--label-filter %q: %s", filter, ginkgoReason(err))
	}
	preview := ginkgo.PreviewSpecs("mmcontract")
	set := map[string]bool{}
	for _, spec := range preview.SpecReports {
		if spec.LeafNodeType != types.NodeTypeIt || !match(spec.Labels()) {
			continue
		}
		op := env.OperationOf(spec)
		if op == "" {
			return shardPlan{}, fmt.Errorf("sharding: spec %q belongs to no operation", spec.FullText())
		}
		set[op] = true
	}
	ops := make([]string, 0, len(set))
	for op := range set {
		ops = append(ops, op)
	}
	assigned := Partition(ops, shard.Total)
	plan := shardPlan{selected: len(ops)}
	for _, op := range ops {
		if assigned[op] == shard.Index {
			plan.mine = append(plan.mine, op)
		}
	}
	sort.Strings(plan.mine)
	env.Include = func(op string) bool { return assigned[op] == shard.Index }
	return plan, nil
}
