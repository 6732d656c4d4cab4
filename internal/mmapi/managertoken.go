package mmapi

import "context"

// ManagerToken returns the Manager API token, authenticating first when
// none is cached. The Manager data push (/openapi-b/ws) takes it in its
// handshake, outside any Call.
func (c *Client) ManagerToken(ctx context.Context) (string, error) {
	tok, _, err := c.token(ctx, &c.manager, FamilyManager)
	return tok, err
}
