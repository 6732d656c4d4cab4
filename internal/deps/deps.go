// Package deps pins the project's third-party modules in go.mod while the
// packages that use them are being written. It is removed once they exist.
package deps

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/onsi/ginkgo/v2"
	_ "github.com/onsi/ginkgo/v2/reporters"
	_ "github.com/onsi/gomega"
	_ "github.com/onsi/gomega/ghttp"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/robfig/cron/v3"
	_ "github.com/xeipuuv/gojsonschema"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
)
