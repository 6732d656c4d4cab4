package signing_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/signing"
)

func ExampleStringToSign() {
	s, err := signing.StringToSign([]byte(`{"companyId":1,"lang":"zh-CN","customerNo":"86001308"}`), "1650361143685")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s)
	// Output: {companyId:1,customerNo:86001308,lang:zh-CN}1650361143685
}

func ExampleClientSignature() {
	s, _ := signing.ClientSignString([]byte(`{"parentCode":"USDT"}`), "1722093946335")
	fmt.Println(s)
	fmt.Println(signing.ClientSignature(s))
	// Output:
	// timestamp=1722093946335&parentCode=USDT&timestamp=1722093946335
	// 5EF9837436D52991C79B7C0C4B007DAE
}

// Wiring the Open API family: the client gets an *http.Client whose
// transport signs; apiKey and secret come from MM_API_KEY / MM_API_SECRET.
func ExampleOpenAPITransport() {
	apiKey, secret := "your-api-key", "MII..." // from the environment, never a file
	key, err := signing.ParsePrivateKey(secret)
	if err != nil {
		fmt.Println("MM_API_SECRET:", err) // never prints the key
		return
	}
	r := redact.New(redact.DefaultConfig())
	tr := &signing.OpenAPITransport{Base: http.DefaultTransport, APIKey: apiKey, Key: key, Redactor: r}
	r.Learn(tr.Secrets()...)
	hc := &http.Client{Transport: tr, Timeout: 15 * time.Second}
	_ = hc // pass to mmapi.New(cfg, hc)
}
