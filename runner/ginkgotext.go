package runner

import (
	"errors"
	"strings"

	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
)

// ginkgoReason says in one plain line what a Ginkgo error is about. Its own
// text is a heading, the input with the bad character highlighted, the
// reason and a documentation link, over several lines with colour codes;
// the reason alone is what the user needs ("Unexpected EOF.").
func ginkgoReason(err error) string {
	var ge types.GinkgoError
	if !errors.As(err, &ge) {
		return err.Error()
	}
	// The message holds formatter tags ({{red}}); render them as plain text.
	msg := strings.TrimSpace(formatter.New(formatter.ColorModeNone).F("%s", ge.Message))
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = msg[i+1:]
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if msg == "" {
		return ge.Heading
	}
	return strings.ToLower(ge.Heading) + ": " + msg
}
