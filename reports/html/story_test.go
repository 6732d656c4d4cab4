package html

import (
	"regexp"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// Ensure a lifecycle check (one with a step) is shown as one story, its
// steps in order with their outcomes, each with its own request and
// response, whether it passed or failed.
func TestLifecycleStory(t *testing.T) {
	steps := func(failing bool) []contract.StoryStep {
		out := []contract.StoryStep{
			{Step: "calculateMarketOrder: quote", Operation: "op.quote", Outcome: verdict.Pass,
				Exchange: exchange(true, `{"step":"quote-request"}`, `{"code":"0","data":{"marker":"quote-response"}}`, 200)},
			{Step: "addMarketOrder: open", Operation: "op.open", Outcome: verdict.Pass,
				Exchange: exchange(true, `{"step":"open-request"}`, `{"code":"0","data":{"marker":"open-response"}}`, 200)},
			{Step: "queryPositionPage: position listed", Operation: "op.list", Outcome: verdict.Pass,
				Exchange: exchange(true, `{"step":"list-request"}`, `{"code":"0","data":[]}`, 200)},
		}
		if failing {
			out[2].Outcome, out[2].Message = verdict.Broken, "position 7 is not listed"
		}
		return out
	}
	var specs []spec
	for _, failing := range []bool{false, true} {
		c := results.Check{Operation: "op.open", Family: "client", Verdict: verdict.Pass, Step: "queryPositionPage: position listed"}
		state := types.SpecStatePassed
		leaf := "a passing lifecycle"
		if failing {
			c.Verdict, c.Message, state, leaf = verdict.Broken, "position 7 is not listed", types.SpecStateFailed, "a failing lifecycle"
		}
		specs = append(specs, spec{containers: []string{"trading lifecycles"}, leaf: leaf, check: c, state: state,
			obs: &contract.Observation{Operation: "op.open", Family: "client", Step: c.Step, Story: steps(failing)}})
	}
	res, reps := fixture(t, "https://sim.invalid", specs)
	out := render(t, res, reps, Options{})
	stories := regexp.MustCompile(`(?s)<ol class="story">.*?</ol>`).FindAllString(out, -1)
	if len(stories) != 2 {
		t.Fatalf("%d stories rendered, want 2 (a passing and a failing lifecycle)", len(stories))
	}
	for i, story := range stories {
		names := regexp.MustCompile(`<strong class="step-name">([^<]*)</strong>`).FindAllStringSubmatch(story, -1)
		if len(names) != 3 || names[0][1] != "calculateMarketOrder: quote" || names[2][1] != "queryPositionPage: position listed" {
			t.Errorf("story %d: steps %v, want the three in order", i, names)
		}
		for _, marker := range []string{"quote-request", "quote-response", "open-request", "open-response", "list-request"} {
			if !strings.Contains(story, marker) {
				t.Errorf("story %d lacks %s: every step shows its request and response", i, marker)
			}
		}
		if !strings.Contains(story, "‹redacted:token›") || strings.Count(story, `class="step-exchange"`) != 3 {
			t.Errorf("story %d: %d step exchanges, want 3 with their (redacted) headers", i, strings.Count(story, `class="step-exchange"`))
		}
	}
	broken := 0
	for _, story := range stories {
		if strings.Contains(story, `data-outcome="broken"`) {
			broken++
			if !strings.Contains(story, "position 7 is not listed") || strings.Count(story, `data-outcome="pass"`) != 2 {
				t.Error("the failing story does not mark its last step broken, with its message, after two passing steps")
			}
		}
	}
	if broken != 1 {
		t.Errorf("%d stories with a broken step, want the failing lifecycle's only", broken)
	}
}
