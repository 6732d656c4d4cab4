// Package signing implements the vendor's two request-authentication schemes
// that need cryptography, each as a wrapping http.RoundTripper for the client
// and as a verifier for the simulator:
//
//   - Open API (openapi-c): every request carries apiKey, timestamp,
//     recvWindow and a base64 SHA1withRSA signature over a canonical string
//     built from the JSON body (see StringToSign for the exact rule, including
//     the parts the vendor's docs leave open).
//   - Encrypted mode of the Client and Manager APIs, used when the company
//     has a public key configured: an uppercase-hex MD5 signature is added to
//     the body, which is then URL-encoded, RSA-encrypted in 100-character
//     chunks and sent as {"data":"..."} with an "x-" trace.
//
// The Manager API's appId/appSecret login is a plain call and lives in the
// client, not here.
//
// Signing lives in transports, not in the client, so that the client builds
// the same request whichever family it talks to and the recorded exchange
// shows the business body; the transport adds the authentication at the last
// moment on a clone of the request.
//
// Secrets: no error or log line produced here contains a private key, an API
// key, a signature or a string to sign. A transport given a *redact.Redactor
// teaches it the API key and every signature it computes, and scrubs the text
// of errors coming back from the wrapped transport.
package signing
