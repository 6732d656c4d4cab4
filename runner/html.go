package runner

import (
	"path/filepath"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/reports/html"
	"github.com/mmcontract/mmcontract/reports/results"
)

func writeHTML(dir string, report types.Report, ix *results.Index, res results.Results, red *redact.Redactor) error {
	return html.WriteFile(filepath.Join(dir, "report.html"), res, []types.Report{report}, html.Options{
		Version: res.Version, Commit: res.Commit, Redactor: red, Index: ix,
	})
}
