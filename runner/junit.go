package runner

import (
	"strings"

	"github.com/mmcontract/mmcontract/reports/junit"
	"github.com/mmcontract/mmcontract/reports/results"
)

// junitOptions names the run's target in junit.xml. A simulator run's
// target reads "simulator (…)" (see displayTarget); anything else is the
// vendor's base URL.
func junitOptions(res results.Results) junit.Options {
	if strings.HasPrefix(res.Target, "simulator (") {
		return junit.Options{Target: res.Target, TargetKind: junit.KindSimulator}
	}
	return junit.Options{Target: res.Target, TargetKind: junit.KindVendor}
}
